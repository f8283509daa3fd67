# Two commands on a fresh machine: `make demo` and `make test`. Both build .venv first.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# one BLAS thread: small matrices run fastest that way, and several threads thrash on 2 cores
THREADS := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

.PHONY: demo test lint bench notebooks clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@# dot: the system graphviz when present, else graphviz-pure's dot-compatible binary
	@if command -v dot >/dev/null 2>&1; then echo "using system dot: $$(command -v dot)"; \
	else ln -sf graphviz-pure $(BIN)/dot && echo "using $(BIN)/dot -> graphviz-pure"; fi
	touch $(STAMP)

demo: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(THREADS) $(BIN)/python -m tapegrad.cli demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks notebooks

# rebuild the notebooks from notebooks/src/*.py and store them executed, with outputs
notebooks: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(THREADS) $(BIN)/python notebooks/build.py

# tests, then every notebook executed top to bottom (nbmake); exit 5 (nothing collected) fails
test: lint
	PATH=$(CURDIR)/$(BIN):$$PATH $(THREADS) $(BIN)/python -m pytest tests notebooks --nbmake \
		--nbmake-timeout=300; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]' || echo "comparators not installed; skipped"
	$(THREADS) $(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache
