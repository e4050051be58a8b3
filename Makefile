# The two commands of the README: `make demo` (the app) and `make test` (every test).
.PHONY: setup setup-test demo test bench clean

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

demo: setup
	.venv/bin/mmzoo demo

test: setup-test
	.venv/bin/python -m pytest $(PYTEST_ARGS)

bench: setup
	.venv/bin/python benchmarks/startup.py

clean:
	rm -rf .venv artifacts .pytest_cache
