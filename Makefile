# make install: .venv with cheel and its dev tools (idempotent)
# make demo:    the main job on the embedded SQLite default
# make test:    the whole test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-data

.PHONY: install demo test bench catalogs clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cheel needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	DEMO_DIR=$(DEMO_DIR) bash scripts/demo.sh

test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run.py --quick

# the web UI's translation catalogs: extract, update, compile (src/cheel/web/babel.cfg)
POT_HEADER := --project cheel --version 0.1.0 --copyright-holder cheel \
	--msgid-bugs-address "cheel maintainers"
catalogs: install
	cd src/cheel/web && ../../../$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location \
	    --sort-output -w 100 $(POT_HEADER) -o locale/messages.pot . && \
	  ../../../$(BIN)/pybabel update -i locale/messages.pot -d locale -w 100 --no-fuzzy-matching --ignore-obsolete
	cd src/cheel && ../../$(BIN)/pybabel extract --no-default-keywords -k said --no-location \
	    --sort-output -w 100 $(POT_HEADER) -o web/locale/errors.pot . && \
	  ../../$(BIN)/pybabel update -D errors -i web/locale/errors.pot -d web/locale -l fr -w 100 \
	    --no-fuzzy-matching --ignore-obsolete && \
	  ../../$(BIN)/pybabel update -D errors -i web/locale/errors.pot -d web/locale -l de -w 100 \
	    --no-fuzzy-matching --ignore-obsolete
	cd src/cheel/web && ../../../$(BIN)/pybabel compile -d locale && \
	  ../../../$(BIN)/pybabel compile -d locale -D errors

clean:
	rm -rf $(VENV) $(DEMO_DIR) build *.egg-info
