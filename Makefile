# Herald: `make run` starts everything, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.herald-installed

.PHONY: install run demo test lint format bench fuzz chaos clean-data help

help:
	@echo "make run        install what is missing, start Postgres/Redis (or embedded ones), migrate, start every service"
	@echo "make run EMBEDDED=1   the same with embedded Postgres and Redis even where servers run"
	@echo "make demo       against a running make run: a user, four accounts, posts published, a week of metrics"
	@echo "make test       install what is missing, lint, run the whole test suite"
	@echo "make bench      run the benchmarks (JSON + PNG under bench/results/); BENCH_ARGS=worst for the worst-input one"
	@echo "make fuzz       the contract test (schemathesis, every check) with 100 examples per operation; FUZZ_EXAMPLES=, FUZZ_SEED="
	@echo "make chaos      kill, empty and cut everything while posts go out; JSON in bench/results/chaos.json"
	@echo "make lint       ruff and mypy"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Herald needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "== installing dependencies into $(VENV)"
	@$(BIN)/python -m pip install -q --upgrade pip >$(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	@$(BIN)/python -m pip install -e '.[dev,embedded]' >>$(VENV)/install.log 2>&1 || (tail -40 $(VENV)/install.log; exit 1)
	@# Every package under libs/, services/ and dev/ is importable, including ones added later.
	@$(BIN)/python -c 'import sysconfig, pathlib; r = pathlib.Path.cwd(); pathlib.Path(sysconfig.get_paths()["purelib"], "herald_paths.pth").write_text("".join("%s\n" % (r / d) for d in ("libs", "services", "dev")))'
	@touch $(STAMP)

install: $(STAMP)

run: install
	@# Through herald_devrun.child, so everything stops when make itself is killed.
	@$(BIN)/python -m herald_devrun.child --grace 30 herald_devrun $(if $(filter 1 yes true,$(EMBEDDED)),--embedded)

demo: install
	@$(BIN)/python -m herald_demo $(DEMO_ARGS)

lint: install
	@$(BIN)/ruff check libs services dev tests
	@$(BIN)/ruff format --check libs services dev tests
	@$(BIN)/mypy

format: install
	@$(BIN)/ruff format libs services dev tests
	@$(BIN)/ruff check --fix libs services dev tests

test: install lint
	@$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	@$(BIN)/python -m herald_bench $(BENCH_ARGS)

chaos: install
	@$(BIN)/python -m herald_chaos $(CHAOS_ARGS)

fuzz: install
	@HERALD_CONTRACT_EXAMPLES=$(or $(FUZZ_EXAMPLES),100) HERALD_CONTRACT_SEED=$(or $(FUZZ_SEED),8) \
		$(BIN)/pytest tests/contract -s $(PYTEST_ARGS)

clean-data:
	rm -rf .data
