"""Build the teaching notebooks from their percent-format sources and execute them.

Each notebook is written as `notebooks/src/NN_name.py` in the percent format (cells start
with `# %%`; markdown cells with `# %% [markdown]`, their lines prefixed by `# `). This script
turns a source into `notebooks/NN_name.ipynb`, runs it top to bottom with the project's
kernel and saves it with its outputs, so the committed notebooks read well on a repository
page. `make test` re-executes the .ipynb files with nbmake.

    python notebooks/build.py                 # every source
    python notebooks/build.py 01 05           # the sources whose names start with 01 or 05
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"
ADDRESS = re.compile(r" at 0x[0-9a-f]+>")  # e.g. <graphviz.graphs.Digraph at 0x7f..>


def parse_cells(text: str) -> list[nbformat.NotebookNode]:
    """Split a percent-format source into code and markdown cells."""
    cells, kind, lines = [], None, []

    def flush() -> None:
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(ln[2:] if ln.startswith("# ") else ln.lstrip("#")
                             for ln in body.splitlines())
            cells.append(nbformat.v4.new_markdown_cell(body))
        elif kind == "code" and body.strip():
            cells.append(nbformat.v4.new_code_cell(body))

    for line in text.splitlines():
        if line.startswith("# %%"):
            flush()
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        elif kind is not None:
            lines.append(line)
    flush()
    return cells


def build(source: Path) -> Path:
    """Write and execute the notebook for one source; returns the .ipynb path."""
    nb = nbformat.v4.new_notebook()
    nb.cells = parse_cells(source.read_text())
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    start = time.perf_counter()
    # coalesce_streams: a progress bar's hundreds of '\r' updates become its final line
    NotebookClient(nb, timeout=300, kernel_name="python3", coalesce_streams=True,
                   resources={"metadata": {"path": str(HERE)}}).execute()
    for i, cell in enumerate(nb.cells):  # stable ids, no timings: rebuilds diff cleanly
        cell.id = f"cell-{i}"
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):  # no memory addresses in plain-text reprs
            text = output.get("data", {}).get("text/plain")
            if isinstance(text, str):
                output["data"]["text/plain"] = ADDRESS.sub(">", text)
    out = HERE / (source.stem + ".ipynb")
    nbformat.write(nb, out)
    print(f"{out.name}: {len(nb.cells)} cells, executed in {time.perf_counter() - start:.1f} s")
    return out


def main(prefixes: list[str]) -> None:
    sources = sorted(SOURCES.glob("*.py"))
    chosen = [s for s in sources if not prefixes or any(s.name.startswith(p) for p in prefixes)]
    if not chosen:
        sys.exit(f"build.py: no notebook source matches {prefixes} in {SOURCES}")
    for source in chosen:
        build(source)


if __name__ == "__main__":
    main(sys.argv[1:])
