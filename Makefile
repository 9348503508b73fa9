# Thin wrappers over kit.py, which needs only Python 3.11+ (on Windows without make: `python kit.py test`).
# Options for the lab: make lab ARGS="--port 9999 --no-browser" (python kit.py lab --help lists them).
PYTHON ?= python3

.PHONY: workshop test lab bench up down status clean setup

workshop:
	$(PYTHON) kit.py workshop $(if $(TARGET),--target $(TARGET))

test:
	$(PYTHON) kit.py test

lab:
	$(PYTHON) kit.py lab $(ARGS)

bench:
	$(PYTHON) kit.py bench

up down status setup clean:
	$(PYTHON) kit.py $@
