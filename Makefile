# Thin wrappers over kit.py, which needs only Python 3.11+ (on Windows without make: `python kit.py test`).
# Options for the lab: make lab ARGS="--port 9999 --no-browser" (python kit.py lab --help lists them).
# The workshop in Vietnamese: make workshop LANG=vi, make lab LANG=vi (or WORKSHOP_LANG=vi in the environment).
PYTHON ?= python3

# LANG is also the locale's variable: only a LANG given on make's command line chooses the notebooks' language,
# and that one is not passed on to the programs as a locale (Python then reads its text as UTF-8 regardless).
ifeq ($(origin LANG),command line)
KIT_LANG := --lang $(LANG)
unexport LANG
endif

.PHONY: workshop test lab bench up down status clean setup

workshop:
	$(PYTHON) kit.py workshop $(if $(TARGET),--target $(TARGET)) $(KIT_LANG)

test:
	$(PYTHON) kit.py test

lab:
	$(PYTHON) kit.py lab $(KIT_LANG) $(ARGS)

bench:
	$(PYTHON) kit.py bench

up down status setup clean:
	$(PYTHON) kit.py $@
