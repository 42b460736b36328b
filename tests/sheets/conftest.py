import os

import pytest

from common import corpus, seeds_dir, expected_rows, QUIRE


@pytest.fixture(scope="session")
def hostile(tmp_path_factory):
    """The hostile corpus (plus the seed articles) and its expected rows."""
    path = str(tmp_path_factory.mktemp("corpus") / "hostile.quire")
    rows = expected_rows(corpus.pack(QUIRE, path, seeds_dir()))
    assert len(rows) >= len(corpus.HOSTILE) + 2
    return path, rows
