"""Finds and loads libquire, and declares the functions it is called through."""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import importlib.machinery
import os

from ._prototypes import PROTOTYPES

# The ABI major version this package was written against (quire.h).
ABI_MAJOR = 1

_HERE = os.path.dirname(os.path.abspath(__file__))


def _candidates() -> list[str]:
    """The places libquire is looked for, in order."""
    found = []
    env = os.environ.get("QUIRE_LIBRARY")
    if env:
        return [env]  # an explicit choice is never second-guessed
    # The libquire compiled into the package by setup.py.
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        found += sorted(glob.glob(os.path.join(_HERE, "_libquire" + suffix)))
    found += sorted(glob.glob(os.path.join(_HERE, "libquire.so*")))
    found += sorted(glob.glob(os.path.join(_HERE, "libquire*.dylib")))
    found += sorted(glob.glob(os.path.join(_HERE, "quire.dll")))
    system = ctypes.util.find_library("quire")
    if system:
        found.append(system)
    return found


def _declare(lib: ctypes.CDLL) -> None:
    for name, (restype, argtypes) in PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


def load() -> ctypes.CDLL:
    """Loads the first libquire found and checks its ABI major version."""
    tried = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as exc:
            tried.append(f"{path}: {exc}")
            continue
        _declare(lib)
        major = lib.quire_version_number() // 10000
        if major != ABI_MAJOR:
            raise ImportError(
                f"{path} is libquire {lib.quire_version_string().decode()}, "
                f"this package needs major version {ABI_MAJOR}"
            )
        return lib
    where = "; ".join(tried) if tried else "nothing found"
    raise ImportError(
        "libquire not found (install the package with pip, which compiles it in, "
        f"or set QUIRE_LIBRARY to the path of a libquire.so): {where}"
    )


lib = load()
