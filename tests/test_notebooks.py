"""The committed notebooks are built from notebooks/src: the same cells, so that what a reader
sees on the repository page is what the sources (and `make notebooks`) say. Executing them
is nbmake's job in `make test`."""

import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))

from build import parse_cells  # noqa: E402

SOURCES = sorted((NOTEBOOKS / "src").glob("*.py"))


def test_every_source_has_a_notebook_and_back():
    assert SOURCES
    assert {s.stem for s in SOURCES} == {p.stem for p in NOTEBOOKS.glob("*.ipynb")}


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.stem)
def test_notebook_cells_match_their_source(source):
    built = nbformat.read(NOTEBOOKS / (source.stem + ".ipynb"), as_version=4)
    expected = [(c.cell_type, c.source) for c in parse_cells(source.read_text())]
    assert [(c.cell_type, c.source) for c in built.cells] == expected, (
        f"notebooks/{source.stem}.ipynb is stale: run `make notebooks`")
