"""The binding against the C API as api/quire-api.json describes it (made
from include/quire.h by scripts/api-describe.py, checked current by ctest
api_description): every QUIRE_API function must be bound with the same
parameters and return type, or be listed as deliberately not bound; the
quire_write_fn callback type and every constant and status code the package
restates must be the header's, so the header cannot drift from the binding
unnoticed. QUIRE_API_JSON names another description (an installed header's,
or a test's)."""

from __future__ import annotations

import json
import os
import re
from ctypes import (POINTER, c_char_p, c_double, c_int, c_int32, c_int64, c_size_t, c_uint32,
                    c_uint64, c_void_p)
from pathlib import Path

import pytest

from quire import _arrow, _common, _dups, _errors
from quire._prototypes import NOT_BOUND, PROGRESS_FN, PROTOTYPES, WRITE_FN, CDocument

REPO = Path(__file__).resolve().parents[3]
SCALARS = {"int": c_int, "int32_t": c_int32, "int64_t": c_int64, "uint64_t": c_uint64,
           "uint32_t": c_uint32, "size_t": c_size_t, "double": c_double}
# Constants the package restates under a name of its own (module, name, C name).
RENAMED = [(_arrow, "DEFAULT_BATCH", "QUIRE_ARROW_DEFAULT_BATCH"),
           (_arrow, "MAX_BATCH", "QUIRE_ARROW_MAX_BATCH"),
           (_dups, "DEFAULT_SIMILARITY", "QUIRE_DEFAULT_SIMILARITY")]


@pytest.fixture(scope="module")
def api():
    path = Path(os.environ.get("QUIRE_API_JSON", REPO / "api" / "quire-api.json"))
    if not path.is_file():
        pytest.fail(f"{path} not found: run scripts/api-describe.py, or set QUIRE_API_JSON")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def declarations(api):
    """{name: (return type tokens, [parameter type tokens])}."""
    decls = {f["name"]: (tokens(f["returns"]), [tokens(p["type"]) for p in f["params"]])
             for f in api["functions"]}
    assert len(decls) > 60, "the description holds too few functions"
    return decls


def tokens(c_type: str):
    """A C type as clang spells it, as words and stars: ["const", "char", "*"]."""
    return re.findall(r"[A-Za-z_]\w*|\*", c_type)


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
        if base == "quire_progress_fn":
            return {PROGRESS_FN}
        if base == "char":
            return set()
        return {SCALARS[base]}
    if stars == 1:
        if base in ("char", "void"):
            return {c_char_p, c_void_p}
        if base == "quire_document":
            return {POINTER(CDocument)}  # the one struct passed field by field
        if base.startswith("quire_"):
            return {c_void_p}  # an opaque handle
        return {POINTER(SCALARS[base])}
    if stars == 2:
        return {POINTER(c_void_p), POINTER(c_char_p)}
    return set()


def test_every_header_function_is_bound_or_excused(api, declarations):
    # Experimental functions (#ifdef QUIRE_EXPERIMENTAL) may be left out.
    experimental = {f["name"] for f in api["functions"] if f["experimental"]}
    missing = sorted(set(declarations) - set(PROTOTYPES) - set(NOT_BOUND) - experimental)
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


@pytest.mark.parametrize("name, fn_type", [("quire_write_fn", WRITE_FN),
                                           ("quire_progress_fn", PROGRESS_FN)])
def test_callback_types_match_header(api, name, fn_type):
    (callback,) = [t for t in api["types"] if t["name"] == name]
    assert callback["kind"] == "callback"
    params = [tokens(p["type"]) for p in callback["params"]]
    assert len(fn_type._argtypes_) == len(params)
    for c_type, py_type in zip(params, fn_type._argtypes_):
        assert py_type in allowed(c_type), f"{name}: {' '.join(c_type)} vs {py_type}"
    assert fn_type._restype_ in allowed(tokens(callback["returns"]))


def test_document_struct_matches_header(api):
    """ctypes lays CDocument out from _fields_: the same names, in the same
    order, of the same types as struct quire_document."""
    (struct,) = [s for s in api["structs"] if s["name"] == "quire_document"]
    fields = [(f["name"], tokens(f["type"])) for f in struct["fields"]]
    assert [name for name, _ in CDocument._fields_] == [name for name, _ in fields]
    for (name, py_type), (_, c_type) in zip(CDocument._fields_, fields):
        want = {c_char_p} if c_type == ["const", "char", "*"] else allowed(c_type)
        assert py_type in want, f"quire_document.{name}: {' '.join(c_type)} vs {py_type}"


def test_status_codes_match_header(api):
    """One exception class per negative QUIRE_E* code, with its number and
    name, and nothing else."""
    want = {c["name"]: c["value"] for c in api["constants"]
            if re.fullmatch(r"QUIRE_E[A-Z0-9_]+", c["name"]) and c["type"] == "int"
            and c["value"] < 0}
    assert len(want) >= 13, f"the description holds {len(want)} status codes"
    got = {cls.name: code for code, cls in _errors._BY_CODE.items()}
    assert all(cls.code == code for code, cls in _errors._BY_CODE.items())
    assert got == want


def test_restated_constants_match_header(api):
    """Every upper-case number of quire._common is QUIRE_<its name>, and the
    renamed ones are their C constants."""
    values = {c["name"]: c["value"] for c in api["constants"]}
    restated = [(_common, name, "QUIRE_" + name) for name, value in vars(_common).items()
                if name.isupper() and isinstance(value, (int, float))]
    assert len(restated) >= 15, "quire._common restates fewer constants than it used to"
    for module, name, c_name in restated + RENAMED:
        assert c_name in values, f"{module.__name__}.{name}: quire.h has no {c_name}"
        assert getattr(module, name) == values[c_name], (
            f"{module.__name__}.{name} is {getattr(module, name)}, {c_name} {values[c_name]}")


def test_description_is_of_this_major_version(api):
    from quire._lib import ABI_MAJOR

    assert api["version"]["major"] == ABI_MAJOR
