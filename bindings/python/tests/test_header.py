"""The binding's ctypes table (quire/_prototypes.py) against include/quire.h:
every QUIRE_API function must be bound with the same parameters and return
type, or be listed as deliberately not bound, so the header cannot drift from
the binding unnoticed."""

from __future__ import annotations

import re
from ctypes import (POINTER, c_char_p, c_double, c_int, c_int32, c_int64, c_size_t, c_uint32,
                    c_uint64, c_void_p)

import pytest

from quire._prototypes import NOT_BOUND, PROTOTYPES, WRITE_FN

SCALARS = {"int": c_int, "int32_t": c_int32, "int64_t": c_int64, "uint64_t": c_uint64,
           "uint32_t": c_uint32, "size_t": c_size_t, "double": c_double}


def strip(source: str) -> str:
    """The header without comments and preprocessor lines."""
    source = re.sub(r"/\*.*?\*/", " ", source, flags=re.S)
    source = re.sub(r"//[^\n]*", " ", source)
    source = re.sub(r"^\s*#(?:[^\n]*\\\n)*[^\n]*", " ", source, flags=re.M)
    return source


def parse(source: str):
    """{name: (return type tokens, [parameter type tokens])} of every
    QUIRE_API declaration."""
    body = strip(source)
    decls = {}
    for match in re.finditer(r"QUIRE_API\s+([^;]*?)\(([^()]*)\)\s*;", body):
        head = re.findall(r"[A-Za-z_]\w*|\*", match.group(1))
        name, ret = head[-1], head[:-1]
        params = []
        for param in match.group(2).split(","):
            tokens = re.findall(r"[A-Za-z_]\w*|\*", param)
            if tokens == ["void"]:
                continue
            if len(tokens) >= 2 and tokens[-1] not in ("*", "const"):
                tokens = tokens[:-1]  # drop the parameter's name
            params.append(tokens)
        decls[name] = (ret, params)
    assert body.count("QUIRE_API") == len(decls), "a QUIRE_API declaration was not understood"
    return decls


def allowed(tokens):
    """The ctypes types that stand for a C type."""
    stars = tokens.count("*")
    if tokens[:1] == ["struct"] and stars == 1:
        return {c_void_p}  # a struct of another specification (Arrow), by pointer
    base = [t for t in tokens if t not in ("const", "*")]
    assert len(base) == 1, f"unexpected C type {' '.join(tokens)}"
    base = base[0]
    if stars == 0:
        if base == "void":
            return {None}
        if base == "quire_write_fn":
            return {WRITE_FN}
        if base == "char":
            return set()
        return {SCALARS[base]}
    if stars == 1:
        if base in ("char", "void"):
            return {c_char_p, c_void_p}
        if base.startswith("quire_"):
            return {c_void_p}  # an opaque handle
        return {POINTER(SCALARS[base])}
    if stars == 2:
        return {POINTER(c_void_p), POINTER(c_char_p)}
    return set()


@pytest.fixture
def declarations(header_path):
    decls = parse(header_path.read_text())
    assert len(decls) > 60, "the header parser found too few functions"
    return decls


def test_every_header_function_is_bound_or_excused(declarations):
    missing = sorted(set(declarations) - set(PROTOTYPES) - set(NOT_BOUND))
    assert missing == [], f"functions of quire.h the binding has no entry for: {missing}"


def test_every_bound_function_is_in_the_header(declarations):
    unknown = sorted(set(PROTOTYPES) - set(declarations))
    assert unknown == [], f"functions the binding declares that quire.h lacks: {unknown}"
    assert not set(NOT_BOUND) - set(declarations)


@pytest.mark.parametrize("name", sorted(PROTOTYPES))
def test_signature_matches_header(declarations, name):
    ret, params = declarations[name]
    restype, argtypes = PROTOTYPES[name]
    assert len(argtypes) == len(params), (
        f"{name}: quire.h has {len(params)} parameters, the binding {len(argtypes)}")
    for i, (c_type, py_type) in enumerate(zip(params, argtypes)):
        assert py_type in allowed(c_type), f"{name} parameter {i + 1}: {' '.join(c_type)} vs {py_type}"
    assert restype in allowed(ret), f"{name} returns {' '.join(ret)}, the binding says {restype}"


def test_parser_sees_a_changed_arity():
    changed = "QUIRE_API int quire_writer_finish(quire_writer *writer, int flags);"
    ret, params = parse(changed)["quire_writer_finish"]
    assert ret == ["int"] and len(params) == 2
    assert len(PROTOTYPES["quire_writer_finish"][1]) != len(params)
