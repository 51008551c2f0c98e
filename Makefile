# Two commands for learners and maintainers:
#   make lab    set up (once) and start JupyterLab on the course index (the learner view)
#   make test   set up (once) and run the whole test suite
# Set-up is a local virtual environment in .venv, installed with uv (from PyPI) for speed.
# It is redone only when pyproject.toml changes (the stamp file records the last install).

PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8888
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.course-installed
INDEX  := notebooks/index.ipynb
# Open a browser only where there is a screen to show it on (macOS, or Linux with a display).
OPEN_BROWSER ?= $(if $(or $(DISPLAY),$(WAYLAND_DISPLAY),$(filter Darwin,$(shell uname -s))),True,False)
PYTEST_ARGS ?=
# Test workers (pytest-xdist): one more than the cores, as the parallel grader does, because a worker
# spends part of its time waiting (for a kernel, a browser, a server to start, a cell time limit):
# on 2 cores 3 workers kept 1.86 cores busy against 1.70 with 2, and ran the suite in 17 min instead
# of 19 (make profile-tests). TEST_WORKERS=auto is one per core; TEST_WORKERS=0 runs in one process.
ifndef TEST_WORKERS
TEST_WORKERS := $(shell $(PYTHON) -c "import os; print((os.cpu_count() or 1) + 1)" 2>/dev/null || echo auto)
endif
XDIST := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadgroup)
# make lab ROLE=learner (default): what a learner needs (nbgrader's assignment list and validate button,
# no formgrader, course list or create-assignment), as the JupyterHub config gives students.
# make lab ROLE=instructor: every nbgrader tool. The settings live in lab-settings/<role>/ and are put
# first on JUPYTER_CONFIG_PATH; nothing in the environment or your home folder is edited.
ROLE ?= learner
ROLES := learner instructor
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: help install lab test test-fast profile-tests screenshots clean-notebooks nav lesson-time assignments affected grade pretend-learner item-analysis passback bench clean edition lite site tampering

help:
	@echo "make lab              start JupyterLab on the course index (PORT=$(PORT)), as a learner"
	@echo "make lab ROLE=instructor  the same with nbgrader's instructor tools (formgrader, create assignment)"
	@echo "make test             run the whole test suite (in parallel: TEST_WORKERS=$(TEST_WORKERS))"
	@echo "make test-fast        the suite without the slow, browser and nbgrader-pipeline layers"
	@echo "make profile-tests    make test, then its CPU seconds by kind of process (kernels, nbgrader, Chromium, ...)"
	@echo "make clean-notebooks  strip outputs and execution counts from committed notebooks"
	@echo "make nav              regenerate navigation cells, the index map and the README map"
	@echo "make assignments      sync points tables, then regenerate release/ from source/ with nbgrader"
	@echo "make lesson-time      estimate every lesson's minutes from its words and exercises"
	@echo "make affected ASSIGNMENT=id  before regrading: what an edit of source/<id> changes for graded work"
	@echo "make grade ASSIGNMENT=id [JOBS=n]  autograde all submissions in parallel"
	@echo "make pretend-learner NAME=ana [ASSIGNMENT=id]  a pretend learner on this machine, and their commands"
	@echo "make item-analysis ASSIGNMENT=id  difficulty/discrimination of a graded assignment"
	@echo "make tampering ASSIGNMENT=id  submissions whose code reaches into the grading machinery"
	@echo "make passback ASSIGNMENT=id [DRY_RUN=1] [COURSE=id] [INCLUDE_PENDING_MANUAL=1]"
	@echo "                      send the assignment's scores to the learning platform (LTI AGS)"
	@echo "make bench            print the benchmarks"
	@echo "make edition          build the learner edition (no answer keys) into build/learner-edition/"
	@echo "make lite             build the JupyterLite site (the course in the browser) into build/lite/"
	@echo "make site             build the course website into build/site/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

SERVER_CONFIG := lab-settings/jupyter_server_config.json

$(STAMP): pyproject.toml uv-excludes.txt lab-settings/overrides.json $(SERVER_CONFIG) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv>=0.9"
	@# --compile-bytecode: every module is compiled once, here. uv (unlike pip) leaves that to the first
	@# import, and where PYTHONDONTWRITEBYTECODE is set (this machine sets it) or the venv is
	@# read-only (the grading sandbox) nothing is ever written: every Python process, every nbgrader
	@# command and every kernel compiled jupyter_server, nbconvert, sqlalchemy, ... from source again
	@# (`import nbgrader.apps` 4.3 s instead of 1.0 s on a 2-core machine; see benchmarks/bench_startup.py).
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --excludes uv-excludes.txt -e ".[test,lite,site]"
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	cp lab-settings/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@# Jupyter Server: lessons are saved without widget outputs (exercises/jupyter_hooks.py)
	@mkdir -p $(VENV)/etc/jupyter
	cp $(SERVER_CONFIG) $(VENV)/etc/jupyter/jupyter_server_config.json
	@# Validate the banks once now, so a lesson's first show() finds them in the schema-pass cache
	@# and need not import jsonschema (see exercises/banks.py). A broken bank is reported, not fatal.
	-@$(BIN)/python -c "from exercises.banks import load_all; load_all()"
	@touch $(STAMP)

install: $(STAMP)

# The course's own modules, compiled to bytecode beside their sources (git-ignored) for the same reason as
# --compile-bytecode above; compileall skips what is up to date, so this costs a fraction of a second.
# Only a speed-up: where the checkout is read-only it is skipped quietly, and lab and test go on.
BYTECODE := $(BIN)/python -m compileall -qq exercises course_tools || true

lab: $(STAMP)
	@test -n "$(filter $(ROLE),$(ROLES))" || { echo "ROLE must be one of: $(ROLES)"; exit 2; }
	@$(BYTECODE)
	JUPYTER_CONFIG_PATH="$(CURDIR)/lab-settings/$(ROLE)$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH),)" \
	$(BIN)/jupyter lab --ip=127.0.0.1 --port=$(PORT) \
		--ServerApp.open_browser=$(OPEN_BROWSER) \
		--ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url="/lab/tree/$(INDEX)" $(ALLOW_ROOT)

# --durations: the slowest tests (and fixtures) are listed at the end, so where the time goes is on record.
test: $(STAMP)
	@$(BYTECODE)
	$(BIN)/python -m pytest $(XDIST) --durations=30 --cov=exercises --cov-report=term-missing:skip-covered --cov-fail-under=90 $(PYTEST_ARGS)

# Day-to-day: the unit tests, notebook hygiene and content checks, without the layers that start
# servers or browsers or run the nbgrader pipeline on whole classes (make test runs those too).
test-fast: $(STAMP)
	@$(BYTECODE)
	$(BIN)/python -m pytest $(XDIST) -m "not slow and not browser and not nbgrader" $(PYTEST_ARGS)

# Maintainers: where the suite's time goes. It is CPU-bound, so its CPU seconds by kind of process
# (benchmarks/profile_suite.py) say what to make cheaper; --durations only says which tests are long.
profile-tests: $(STAMP)
	$(BIN)/python benchmarks/profile_suite.py -- $(MAKE) --no-print-directory test PYTEST_ARGS="$(PYTEST_ARGS)"

clean-notebooks: $(STAMP)
	$(BIN)/python scripts/clean_notebooks.py

nav: $(STAMP)
	$(BIN)/python scripts/build_nav.py

lesson-time: $(STAMP)
	$(BIN)/python scripts/lesson_time.py

# Instructors: after editing source/<id>/<id>.ipynb in JupyterLab. First the points tables, question
# headings and data files follow the cells' points (scripts/sync_assignments.py; --check to only
# look), then nbgrader writes release/ (the formgrader's Generate button is also safe to use).
assignments: $(STAMP)
	$(BIN)/python scripts/sync_assignments.py
	$(BIN)/python scripts/generate_release.py

# Instructors, after editing an assignment that is already graded (and `make assignments`), before
# regrading: which graded submissions the change affects, and each learner's score before and after.
affected: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make affected ASSIGNMENT=<id>"; exit 2; }
	$(BIN)/python -m course_tools.affected $(ASSIGNMENT)

# Instructors: autograde every collected submission of an assignment on all cores (JOBS=n to choose;
# the default is the number of cores + 1).
ASSIGNMENT ?=
JOBS ?=
grade: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make grade ASSIGNMENT=<id> [JOBS=n]"; exit 2; }
	$(BIN)/python -m course_tools.parallel_grade $(ASSIGNMENT) $(if $(JOBS),--jobs $(JOBS),)

# Instructors: list collected submissions whose own code reaches into the grading machinery.
tampering: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make tampering ASSIGNMENT=<id>"; exit 2; }
	$(BIN)/python -m course_tools.tampering $(ASSIGNMENT)

# Instructors trying the workflow on one machine: prepare a pretend learner's folder (own home, cache,
# nbgrader settings) and print the commands that fetch and submit as them (course_tools/pretend_learner.py).
NAME ?=
pretend-learner: $(STAMP)
	@test -n "$(NAME)" || { echo "usage: make pretend-learner NAME=<learner id> [ASSIGNMENT=<id>]"; exit 2; }
	@$(BIN)/python -m course_tools.pretend_learner $(NAME) $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT),)

# Instructors: which questions were hard or did not separate learners (CSV + figure + report).
item-analysis: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make item-analysis ASSIGNMENT=<id>"; exit 2; }
	$(BIN)/python -m course_tools.item_analysis $(ASSIGNMENT)

# The benchmarks and the screenshot script reuse the test helpers (tests/) and scripts/coursemap.py.
HELPERS_PATH := PYTHONPATH="$(CURDIR)/tests:$(CURDIR)/scripts$(if $(PYTHONPATH),:$(PYTHONPATH),)"

# The learner edition: lessons, release/, the exercise package and data, no keys (leak-scanned).
# EDITION_ARGS="--commit" records it on the branch learner-edition; "--push origin" also pushes it.
EDITION_ARGS ?=
edition: $(STAMP)
	$(BIN)/python scripts/build_learner_edition.py $(EDITION_ARGS)

# The course in the browser: a static JupyterLite site of the learner edition (serve build/lite/).
lite: $(STAMP)
	$(BIN)/python scripts/build_lite.py

# Instructors: send an assignment's scores to the learning platform's grade book (LTI 1.3 AGS).
# Runs with the course's .venv if there is one, else the Python on PATH (on the Hub: a terminal in
# the course's grader service, where the course environment comes first on PATH).
DRY_RUN ?=
COURSE ?=
INCLUDE_PENDING_MANUAL ?=
PASSBACK_PYTHON ?= $(firstword $(wildcard $(BIN)/python) python3)
passback:
	@test -n "$(ASSIGNMENT)" || { echo "usage: make passback ASSIGNMENT=<id> [DRY_RUN=1] [COURSE=<id>] [INCLUDE_PENDING_MANUAL=1]"; exit 2; }
	$(PASSBACK_PYTHON) -m course_tools.lti_passback $(ASSIGNMENT) $(if $(DRY_RUN),--dry-run,) \
		$(if $(COURSE),--course $(COURSE),) $(if $(INCLUDE_PENDING_MANUAL),--include-pending-manual,)

# The course website: every lesson as a page with its outputs (open build/site/index.html).
# SITE_ARGS="--hub-url https://hub.example.edu" adds nbgitpuller links to a JupyterHub.
SITE_ARGS ?=
site: $(STAMP)
	$(BIN)/python scripts/build_site.py $(SITE_ARGS)

bench: $(STAMP)
	$(HELPERS_PATH) $(BIN)/python benchmarks/run_all.py

# Maintainers: the README's pictures, taken in a real JupyterLab (needs Debian's chromium).
screenshots: $(STAMP)
	$(HELPERS_PATH) $(BIN)/python scripts/take_readme_screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .coverage htmlcov
