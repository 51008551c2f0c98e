# Two commands for learners and maintainers:
#   make lab    set up (once) and start JupyterLab on the course index
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
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: help install lab test clean-notebooks nav assignments grade item-analysis bench clean edition lite site

help:
	@echo "make lab              start JupyterLab on the course index (PORT=$(PORT))"
	@echo "make test             run the whole test suite"
	@echo "make clean-notebooks  strip outputs and execution counts from committed notebooks"
	@echo "make nav              regenerate navigation cells, the index map and the README map"
	@echo "make assignments      regenerate release/ from source/ with nbgrader"
	@echo "make grade ASSIGNMENT=id [JOBS=n]  autograde all submissions in parallel"
	@echo "make item-analysis ASSIGNMENT=id  difficulty/discrimination of a graded assignment"
	@echo "make bench            print the benchmarks"
	@echo "make edition          build the learner edition (no answer keys) into build/learner-edition/"
	@echo "make lite             build the JupyterLite site (the course in the browser) into build/lite/"
	@echo "make site             build the course website into build/site/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml lab-settings/overrides.json | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv>=0.4"
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e ".[test,lite,site]"
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	cp lab-settings/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ip=127.0.0.1 --port=$(PORT) \
		--ServerApp.open_browser=$(OPEN_BROWSER) \
		--ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url="/lab/tree/$(INDEX)" $(ALLOW_ROOT)

test: $(STAMP)
	$(BIN)/python -m pytest --cov=exercises --cov-report=term-missing:skip-covered --cov-fail-under=90 $(PYTEST_ARGS)

clean-notebooks: $(STAMP)
	$(BIN)/python scripts/clean_notebooks.py

nav: $(STAMP)
	$(BIN)/python scripts/build_nav.py

assignments: $(STAMP)
	$(BIN)/python scripts/generate_release.py

# Instructors: autograde every collected submission of an assignment on all cores (JOBS=n to choose;
# the default is the number of cores + 1).
ASSIGNMENT ?=
JOBS ?=
grade: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make grade ASSIGNMENT=<id> [JOBS=n]"; exit 2; }
	$(BIN)/python -m course_tools.parallel_grade $(ASSIGNMENT) $(if $(JOBS),--jobs $(JOBS),)

# Instructors: which questions were hard or did not separate learners (CSV + figure + report).
item-analysis: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make item-analysis ASSIGNMENT=<id>"; exit 2; }
	$(BIN)/python -m course_tools.item_analysis $(ASSIGNMENT)

# The learner edition: lessons, release/, the exercise package and data, no keys (leak-scanned).
# EDITION_ARGS="--commit" records it on the branch learner-edition; "--push origin" also pushes it.
EDITION_ARGS ?=
edition: $(STAMP)
	$(BIN)/python scripts/build_learner_edition.py $(EDITION_ARGS)

# The course in the browser: a static JupyterLite site of the learner edition (serve build/lite/).
lite: $(STAMP)
	$(BIN)/python scripts/build_lite.py

# The course website: every lesson as a page with its outputs (open build/site/index.html).
# SITE_ARGS="--hub-url https://hub.example.edu" adds nbgitpuller links to a JupyterHub.
SITE_ARGS ?=
site: $(STAMP)
	$(BIN)/python scripts/build_site.py $(SITE_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .coverage htmlcov
