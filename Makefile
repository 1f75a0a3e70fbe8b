# Two commands on a fresh machine: `make` builds the report, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: all build check preview clean stop test lint bench screenshots

all: build

# The virtual environment, with every dependency at the version pinned in requirements.lock.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# Bytecode for the project's own code, brought up to date before each run: where the
# environment stops Python from writing it on import (PYTHONDONTWRITEBYTECODE), every build,
# fork server and kernel would compile src/ again (a tenth of a second per process).
BYTECODE := $(BIN)/python -m compileall -q src

build: $(STAMP)
	$(BYTECODE)
	$(BIN)/bookbuild build

check: $(STAMP)
	$(BIN)/bookbuild check

preview: $(STAMP)
	$(BYTECODE)
	$(BIN)/bookbuild preview

# Build times (clean, no-op, one data edit, one prose edit) and peak memory, on a scratch copy.
bench: $(STAMP)
	$(BYTECODE)
	$(BIN)/python -m bookbuild.bench --repeat $(or $(REPEAT),3)

# End the kernel server and typst a build keeps for the next one (they also end when idle).
stop: $(STAMP)
	$(BIN)/bookbuild stop

clean:
	-$(BIN)/bookbuild clean 2>/dev/null
	rm -rf _book _build figures/*.svg figures/*.png data/tables

lint: $(STAMP)
	$(BIN)/ruff check src tests tools index.ipynb chapters

test: $(STAMP) lint
	$(BIN)/python -m pytest -q

# The README's pictures (docs/img/): the site and the PDF's first pages; needs chromium, pdftoppm.
screenshots: $(STAMP)
	$(BIN)/python tools/screenshots.py
