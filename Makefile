# make run: install into .venv, migrate, serve at http://127.0.0.1:$(PORT)
# make test: install into .venv and run the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DATA_DIR ?= $(CURDIR)/data
export DATA_DIR

.PHONY: run test install lint lock clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime

# gunicorn and a Celery worker (with beat inside it) run side by side under one supervisor
# (pwpush/serve.py), so expiry and purges happen with no other service; both stop together.
run: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py createcachetable
	$(PY) manage.py collectstatic --noinput -v0
	exec $(PY) -m pwpush.serve --port $(PORT)

test: $(VENV)/.dev
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run -v0

# Re-pin requirements.txt from pyproject.toml's dependencies, in a throwaway virtualenv.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	$(PYTHON) -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > .lock-venv/in.txt
	.lock-venv/bin/pip install --quiet --disable-pip-version-check -r .lock-venv/in.txt
	{ grep '^#' requirements.txt; .lock-venv/bin/pip freeze; } > requirements.txt.new
	mv requirements.txt.new requirements.txt && rm -rf .lock-venv

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
