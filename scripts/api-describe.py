#!/usr/bin/env python3
"""Describes the C API of include/quire.h as JSON, for the bindings' drift
tests and documentation: every exported function (return type, parameters,
the first sentence of its comment), struct, typedef (opaque handles,
callbacks) and constant (#define, with its value and type), and the library
and format versions.

usage: scripts/api-describe.py [--check] [--header H] [--output F]

  (default)  writes api/quire-api.json
  --check    fails, saying what differs, when the file is not what the
             header gives

Everything comes from the header as clang sees it, never from a list of
names: clang's JSON AST for the declarations, `clang -E -dD` for the
macros, and the AST of a probe file (each macro assigned to an __auto_type
variable) for the constants' types and values. The header is read twice,
without and with -DQUIRE_EXPERIMENTAL: what only the second reading has is
marked "experimental". A QUIRE_API function without a comment right above it
(or above the run of declarations it belongs to) is an error.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[1]
HEADER = ROOT / "include" / "quire.h"
OUTPUT = ROOT / "api" / "quire-api.json"
CLANG = os.environ.get("CLANG", "clang")
EXPERIMENTAL = "QUIRE_EXPERIMENTAL"
# The bits of the C types of constants the probe can give.
INT_BITS = {"int": 32, "unsigned int": 32, "long": 64, "unsigned long": 64,
            "long long": 64, "unsigned long long": 64}


class Failure(Exception):
    """The header cannot be described; the message says why."""


def clang(args: List[str], stdin: Optional[str] = None) -> str:
    cmd = [CLANG, "-x", "c", "-std=c11"] + args
    try:
        run = subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=False)
    except FileNotFoundError as e:
        raise Failure(f"{CLANG} not found (scripts/deps.sh installs clang)") from e
    if run.returncode != 0:
        raise Failure(f"{' '.join(cmd)} failed:\n{run.stderr}")
    return run.stdout


# ---- locations ---------------------------------------------------------------


def locate(node: Any, state: Dict[str, Any]) -> None:
    """Fills in the file and line of every location of clang's JSON AST,
    which gives them only where they change from the location before (in
    the order of the dump)."""
    if isinstance(node, dict):
        if "offset" in node:
            state["file"] = node.get("file", state["file"])
            state["line"] = node.get("line", state["line"])
            node["file"], node["line"] = state["file"], state["line"]
        for value in node.values():
            locate(value, state)
    elif isinstance(node, list):
        for value in node:
            locate(value, state)


def where(loc: Dict[str, Any]) -> Dict[str, Any]:
    """The place a declaration was written (its expansion, for a macro)."""
    return loc.get("expansionLoc", loc)


def ast_of(path: Path, defines: List[str]) -> List[Dict[str, Any]]:
    dump = json.loads(clang(["-Xclang", "-ast-dump=json", "-fsyntax-only"] + defines + [str(path)]))
    locate(dump, {"file": None, "line": None})
    return dump.get("inner", [])


# ---- comments ----------------------------------------------------------------


def doc_comment(lines: List[str], line: int) -> Optional[str]:
    """The first sentence of the block comment that ends right above line
    (1-based), or above the run of declarations line belongs to (a comment
    may head several declarations, or a typedef and the function using it)."""
    i = line - 2
    while i >= 0 and lines[i].strip() and "*/" not in lines[i]:
        i -= 1  # a declaration (or one of its lines) before this one
    if i < 0 or not lines[i].rstrip().endswith("*/"):
        return None
    end = i
    while i >= 0 and "/*" not in lines[i]:
        i -= 1
    if i < 0:
        return None
    text = " ".join(lines[i:end + 1])
    text = text[text.index("/*") + 2:text.rindex("*/")]
    text = " ".join(word for word in text.split() if word != "*")
    match = re.match(r"(.+?[.!?])(?:\s|$)", text)
    return match.group(1) if match else text or None


# ---- types -------------------------------------------------------------------


def qual_type(node: Dict[str, Any]) -> str:
    return node["type"]["qualType"]


def split_params(text: str) -> List[str]:
    """The parameters of the last top-level parenthesised list of text."""
    close = text.rindex(")")
    depth, i = 0, close
    while i >= 0:
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            depth -= 1
            if depth == 0:
                break
        i -= 1
    params, depth, start = [], 0, i + 1
    for j in range(i + 1, close + 1):
        ch = text[j]
        if ch == "(":
            depth += 1
        elif ch == ")" and depth > 0:
            depth -= 1
        elif (ch == "," and depth == 0) or j == close:
            params.append(text[start:j].strip())
            start = j + 1
    return [] if params in ([""], ["void"]) else params


C_WORDS = {"void", "char", "short", "int", "long", "float", "double", "signed",
           "unsigned", "const", "volatile", "struct", "union", "enum", "_Bool"}


def param_name(text: str) -> Optional[str]:
    tokens = re.findall(r"[A-Za-z_]\w*|\S", text)
    if len(tokens) >= 2 and re.match(r"[A-Za-z_]", tokens[-1]) and tokens[-1] not in C_WORDS:
        return tokens[-1]
    return None


def callback(node: Dict[str, Any], source: str) -> Optional[Dict[str, Any]]:
    """A typedef of a pointer to a function: its return and parameters
    (their names from the declaration's text, where it gives them)."""
    inner = node.get("inner", [{}])[0]
    while inner.get("kind") in ("PointerType", "ParenType", "ElaboratedType"):
        if inner.get("kind") == "PointerType" and inner["inner"][0].get("kind") not in (
                "ParenType", "FunctionProtoType"):
            return None
        inner = inner["inner"][0]
    if inner.get("kind") != "FunctionProtoType":
        return None
    types = [qual_type(t) for t in inner["inner"]]
    begin, end = node["range"]["begin"], node["range"]["end"]
    texts = split_params(source[where(begin)["offset"]:where(end)["offset"] + 1])
    if len(texts) != len(types) - 1:
        raise Failure(f"{node['name']}: cannot read the parameters of the callback")
    params = [{"name": param_name(t), "type": ty} for t, ty in zip(texts, types[1:])]
    return {"returns": types[0], "params": params}


def is_header(loc: Dict[str, Any], header: Path) -> bool:
    name = where(loc).get("file")
    return name is not None and Path(name).resolve() == header


def declarations(header: Path, defines: List[str]) -> Dict[str, Dict[str, Any]]:
    """Every function, struct and typedef quire.h itself declares, by
    name, each with "line" (where it starts) and "kind"."""
    source = header.read_text()
    lines = source.split("\n")
    out: Dict[str, Dict[str, Any]] = {}
    for node in ast_of(header, defines):
        if node.get("isImplicit") or not is_header(node["loc"], header):
            continue
        kind, name = node.get("kind"), node.get("name")
        line = where(node["range"]["begin"])["line"]
        if kind == "FunctionDecl":
            ret = qual_type(node).split("(")[0].strip()
            params = [{"name": p.get("name"), "type": qual_type(p)}
                      for p in node.get("inner", []) if p.get("kind") == "ParmVarDecl"]
            if node.get("variadic"):
                raise Failure(f"{name}: variadic functions cannot be described")
            out[name] = {"kind": "function", "name": name, "returns": ret, "params": params,
                         "doc": doc_comment(lines, line), "line": line}
        elif kind == "RecordDecl" and name:
            fields = [{"name": f["name"], "type": qual_type(f)}
                      for f in node.get("inner", []) if f.get("kind") == "FieldDecl"]
            entry = out.setdefault(f"struct {name}", {"kind": "struct", "name": name, "line": line})
            if node.get("completeDefinition"):
                entry.update(fields=fields, line=line, tag=node.get("tagUsed", "struct"))
        elif kind == "TypedefDecl":
            signature = callback(node, source)
            if signature:
                out[name] = dict(kind="callback", name=name, line=line, **signature)
            else:
                under = qual_type(node)
                out[name] = {"kind": "typedef", "name": name, "type": under, "line": line}
    # A typedef of a struct that is only declared is an opaque handle (listed
    # once, as the handle); a defined struct is listed with its typedef name.
    for entry in list(out.values()):
        if entry["kind"] == "typedef":
            target = out.get(entry["type"])
            if target and target["kind"] == "struct":
                if "fields" in target:
                    target["typedef"] = entry["name"]
                    del out[entry["name"]]
                else:
                    entry["kind"] = "opaque"
                    del out[entry["type"]]
    for entry in out.values():
        if entry["kind"] == "struct":
            entry.setdefault("fields", None)  # declared only: no layout
    return out


# ---- constants ---------------------------------------------------------------


def macros(header: Path, defines: List[str]) -> List[Tuple[str, str, int]]:
    """(name, definition, line) of the object-like QUIRE_* macros quire.h
    itself defines, in header order, without its include guard and those
    expanding to attributes (QUIRE_API)."""
    text = clang(["-E", "-dD"] + defines + [str(header)])
    current, line, out = None, 0, []
    for row in text.split("\n"):
        marker = re.match(r'# (\d+) "(.*)"', row)
        if marker:
            line, current = int(marker.group(1)), marker.group(2)
            continue
        own = current is not None and Path(current).resolve() == header
        define = re.match(r"#define (QUIRE_\w+)(\(?)\s*(.*)", row)
        if own and define and not define.group(2) and define.group(1) != EXPERIMENTAL:
            out.append((define.group(1), define.group(3).strip(), line))
        line += 1
    guard = re.search(r"^\s*#\s*ifndef\s+(\w+)\s*\n\s*#\s*define\s+\1\b", header.read_text(), re.M)
    return [m for m in out if m[1] and not (guard and m[0] == guard.group(1))
            and not re.search(r"__attribute__|__declspec", m[1])]


def evaluate(node: Dict[str, Any]) -> Any:
    """The value of a constant expression of clang's AST, computed in the
    types clang gave each part."""
    kind, ty = node["kind"], node.get("type", {}).get("qualType")
    if kind == "IntegerLiteral":
        return int(node["value"])
    if kind == "FloatingLiteral":
        return float(node["value"])
    if kind == "StringLiteral":
        return ast.literal_eval(node["value"])
    if kind in ("ParenExpr", "ImplicitCastExpr", "CStyleCastExpr", "ConstantExpr"):
        value = evaluate(node["inner"][0])
        if kind == "ImplicitCastExpr" and node.get("castKind") == "ArrayToPointerDecay":
            return value
        return convert(value, ty)
    if kind == "UnaryOperator":
        value = evaluate(node["inner"][0])
        ops = {"-": lambda v: -v, "+": lambda v: v, "~": lambda v: ~v}
        if node["opcode"] not in ops:
            raise Failure(f"unsupported operator {node['opcode']}")
        return convert(ops[node["opcode"]](value), ty)
    if kind == "BinaryOperator":
        a, b = (evaluate(n) for n in node["inner"])
        ops = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
               "<<": lambda: a << b, ">>": lambda: a >> b, "|": lambda: a | b,
               "&": lambda: a & b, "^": lambda: a ^ b,
               "/": lambda: a / b if isinstance(a, float) or isinstance(b, float)
               else abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)}
        if node["opcode"] not in ops:
            raise Failure(f"unsupported operator {node['opcode']}")
        return convert(ops[node["opcode"]](), ty)
    raise Failure(f"cannot evaluate a {kind}")


def convert(value: Any, ty: Optional[str]) -> Any:
    """value as the C type ty holds it (integers wrap as C converts them)."""
    if ty in ("double", "float"):
        return float(value)
    if ty in INT_BITS and isinstance(value, int):
        bits = INT_BITS[ty]
        value &= (1 << bits) - 1
        if not ty.startswith("unsigned") and value >= 1 << (bits - 1):
            value -= 1 << bits
    return value


def constants(header: Path, defines: List[str]) -> List[Dict[str, Any]]:
    found = macros(header, defines)
    # An initialiser list (such as QUIRE_DOCUMENT_INIT) has no value of its
    # own: it is described by its text.
    valued = [name for name, definition, _ in found if not definition.startswith("{")]
    probe = [f'#include "{header}"']
    probe += [f"__auto_type quire_api_probe_{name} = {name};" for name in valued]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "probe.c"
        path.write_text("\n".join(probe) + "\n")
        nodes = {n["name"][len("quire_api_probe_"):]: n for n in ast_of(path, defines)
                 if n.get("kind") == "VarDecl" and n.get("name", "").startswith("quire_api_probe_")}
    out = []
    for name, definition, line in found:
        if name not in valued:
            out.append({"name": name, "type": "initializer", "c_type": None,
                        "value": None, "definition": definition, "line": line})
            continue
        node = nodes[name]
        ctype = qual_type(node)
        try:
            value = evaluate(node["inner"][0])
        except Failure as e:
            raise Failure(f"{name} ({definition}): {e}") from e
        if ctype in INT_BITS:
            kind = "unsigned" if ctype.startswith("unsigned") else "int"
        elif ctype in ("double", "float"):
            kind = "double"
        elif ctype in ("char *", "const char *"):
            kind, ctype = "string", "const char *"
        else:
            raise Failure(f"{name} ({definition}): unsupported type {ctype}")
        out.append({"name": name, "type": kind, "c_type": ctype, "value": value,
                    "definition": definition, "line": line})
    return out


# ---- the description -----------------------------------------------------------


def describe(header: Path) -> Dict[str, Any]:
    header = header.resolve()
    plain = declarations(header, [])
    full = declarations(header, [f"-D{EXPERIMENTAL}"])
    plain_constants = {c["name"] for c in constants(header, [])}
    all_constants = constants(header, [f"-D{EXPERIMENTAL}"])

    def ordered(kinds: Tuple[str, ...]) -> Iterator[Dict[str, Any]]:
        for key, entry in sorted(full.items(), key=lambda kv: kv[1]["line"]):
            if entry["kind"] in kinds:
                entry = dict(entry, experimental=key not in plain)
                del entry["line"]
                yield entry

    functions = list(ordered(("function",)))
    undocumented = [f["name"] for f in functions if not f["doc"]]
    if undocumented:
        raise Failure("functions without a comment right above them: " + ", ".join(undocumented))
    for f in functions:
        del f["kind"]
    if not functions:
        raise Failure(f"no function found in {header}")
    values = {c["name"]: c["value"] for c in all_constants}
    for c in all_constants:
        c["experimental"] = c["name"] not in plain_constants
        del c["line"]
    try:
        version = {"major": values["QUIRE_VERSION_MAJOR"], "minor": values["QUIRE_VERSION_MINOR"],
                   "patch": values["QUIRE_VERSION_PATCH"], "number": values["QUIRE_VERSION_NUMBER"],
                   "string": values["QUIRE_VERSION_STRING"]}
        fmt = {"major": values["QUIRE_FORMAT_MAJOR"], "minor": values["QUIRE_FORMAT_MINOR"]}
    except KeyError as e:
        raise Failure(f"the header does not define {e.args[0]}") from e
    try:
        shown = header.relative_to(ROOT).as_posix()
    except ValueError:
        shown = header.name
    return {
        "comment": "Generated from " + shown + " by scripts/api-describe.py: do not edit.",
        "header": shown,
        "version": version,
        "format_version": fmt,
        "constants": all_constants,
        "types": list(ordered(("opaque", "callback", "typedef"))),
        "structs": list(ordered(("struct",))),
        "functions": functions,
    }


def render(description: Dict[str, Any]) -> str:
    return json.dumps(description, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="fail when the output file is not what the header gives")
    parser.add_argument("--header", type=Path, default=HEADER)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    try:
        text = render(describe(args.header))
    except Failure as e:
        print(f"api-describe: {e}", file=sys.stderr)
        return 2
    if args.check:
        old = args.output.read_text() if args.output.exists() else ""
        if old == text:
            print(f"api-describe: {args.output} is current")
            return 0
        diff = difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                    f"{args.output} (committed)",
                                    f"{args.output} (from the header)")
        sys.stdout.writelines(diff)
        print(f"api-describe: {args.output} is stale: run scripts/api-describe.py"
              " and commit api/quire-api.json", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"api-describe: wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
