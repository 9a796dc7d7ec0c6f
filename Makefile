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

# The browser tests (tests/test_browser.py) drive Debian's Chromium through Playwright; it is
# installed here when missing, with sudo unless we are root.
CHROMIUM := /usr/bin/chromium
SUDO     := $(if $(filter 0,$(shell id -u)),,sudo)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

deck: $(VENV)/.run  ## build decks/ from notes/
	$(BIN)/build-deck notes --out decks

test: $(VENV)/.test $(CHROMIUM)  ## run the whole test suite
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) decks build *.egg-info
