# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint audit lock bench chat docs graph reader-train clean

$(STAMP): pyproject.toml requirements-reader.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-reader.txt
	@touch $(STAMP)

run: $(STAMP)
	@$(BIN)/threshold run

chat: $(STAMP)
	@$(BIN)/threshold chat

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check dialogs bot adapters tests bench tools
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile
	@$(MAKE) --no-print-directory audit

# Known vulnerabilities in the locked dependencies fail; an unreachable advisory database warns.
audit: $(STAMP)
	@$(BIN)/python -m tools.audit

# requirements.lock: every runtime dependency (and the build backend) pinned with hashes; the
# Dockerfile installs from it. Run after changing the dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
		--build-deps-for wheel --no-emit-index-url --no-emit-find-links \
		-o requirements.lock pyproject.toml

test: lint
	$(BIN)/pytest

docs: $(STAMP)
	@$(BIN)/python -m tools.conversation

graph: $(STAMP)
	@$(BIN)/python -m tools.graph

# bot/reading/tuned.npz, after a change to tests/dialogs/safety_corpus/tuning.toml.
reader-train: $(STAMP)
	@$(BIN)/python -m pip install --quiet -r requirements-train.txt
	@$(BIN)/python -m tools.reader_train

bench: $(STAMP)
	@$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
