"""Compiles libquire into the package, so that `pip install` is the whole
set-up: every C source of the bundle (csrc/ in an sdist; in the repository
scripts/bundle.sh makes it in a temporary folder) is compiled into
quire/_libquire.<abi>.so, a plain shared library (not a Python extension:
it has no PyInit_) that quire/_lib.py loads with ctypes. The definitions and
system libraries come from the bundle's build.txt (core/build.txt).

Everything the build writes goes to a temporary folder, so that building
from a checkout leaves nothing in it."""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import subprocess
import tempfile
from typing import List, Tuple

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.sdist import sdist

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED = os.path.join(HERE, "csrc")
BUNDLE_SCRIPT = os.path.join(HERE, "..", "..", "scripts", "bundle.sh")

SCRATCH = tempfile.mkdtemp(prefix="quire-build-")
atexit.register(shutil.rmtree, SCRATCH, True)


def bundle(dest: str) -> str:
    """Runs scripts/bundle.sh into dest (in a checkout of the repository)."""
    if not os.path.isfile(BUNDLE_SCRIPT):
        raise SystemExit(
            f"quire: no C sources: neither {SHIPPED} (an sdist's) nor {BUNDLE_SCRIPT} "
            "(the repository's) exists"
        )
    subprocess.run(["bash", BUNDLE_SCRIPT, dest], check=True)
    return dest


def in_repository() -> bool:
    """Whether this is bindings/python of a quire checkout: then core/ itself
    is bundled, never a csrc/ that may be stale."""
    root = os.path.join(HERE, "..", "..")
    mine = os.path.join(root, "bindings", "python", "setup.py")
    return (os.path.isfile(BUNDLE_SCRIPT) and os.path.isfile(os.path.join(root, "core", "build.txt"))
            and os.path.isfile(mine) and os.path.samefile(mine, os.path.abspath(__file__)))


def sources() -> str:
    if in_repository():
        return bundle(os.path.join(SCRATCH, "csrc"))
    return SHIPPED


def read_build_txt(src: str) -> Tuple[List[Tuple[str, str]], List[str]]:
    defines, libs = [], []
    with open(os.path.join(src, "build.txt"), encoding="utf-8") as f:
        for line in f:
            words = line.split()
            if len(words) >= 2 and words[0] == "define":
                name, _, value = words[1].partition("=")
                defines.append((name, value or None))
            elif len(words) >= 2 and words[0] == "lib":
                libs.append(words[1])
    return defines, libs


class BuildLibquire(build_ext):
    def build_extensions(self) -> None:
        src = sources()
        defines, libs = read_build_txt(src)
        for ext in self.extensions:
            ext.sources = sorted(glob.glob(os.path.join(src, "core", "*.c")))
            ext.include_dirs = [os.path.join(src, "include"), os.path.join(src, "core")]
            ext.define_macros = defines
            ext.libraries = libs
            ext.extra_compile_args = ["-std=c11", "-fvisibility=hidden"]
            # A library core/build.txt lacks fails here, not at import.
            ext.extra_link_args = ["-Wl,--no-undefined"]
        super().build_extensions()

    def get_export_symbols(self, ext: Extension) -> List[str]:
        return []  # not a Python module: there is no PyInit_ to export


class SdistWithSources(sdist):
    """Puts the bundled C sources (csrc/) into the sdist."""

    def make_release_tree(self, base_dir: str, files: List[str]) -> None:
        super().make_release_tree(base_dir, files)
        dest = os.path.join(base_dir, "csrc")
        if in_repository():
            bundle(dest)
        else:  # an sdist made from an sdist
            shutil.copytree(SHIPPED, dest, dirs_exist_ok=True)


setup(
    ext_modules=[Extension("quire._libquire", sources=[])],
    cmdclass={"build_ext": BuildLibquire, "sdist": SdistWithSources},
    options={
        "build": {"build_base": os.path.join(SCRATCH, "build")},
        "egg_info": {"egg_base": SCRATCH},
    },
)
