# Thin wrappers over kit.py, which needs only Python 3.11+ (on Windows without make: `python kit.py test`).
PYTHON ?= python3

.PHONY: workshop test lab bench up down status clean setup

workshop:
	$(PYTHON) kit.py workshop $(if $(TARGET),--target $(TARGET))

test:
	$(PYTHON) kit.py test

lab:
	$(PYTHON) kit.py lab

bench:
	$(PYTHON) kit.py bench

up down status setup clean:
	$(PYTHON) kit.py $@
