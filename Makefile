# Two commands do everything on a fresh machine: `make deck` and `make test`.
# Each creates the local virtual environment .venv on first use and reuses it afterwards.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: deck test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.run

deck: $(VENV)/.run  ## build decks/ from notes/
	$(BIN)/build-deck notes --out decks

test: $(VENV)/.test  ## run the whole test suite
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) decks build *.egg-info
