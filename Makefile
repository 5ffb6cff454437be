# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench soak screenshots clean sshd-deps browser-deps prom-deps am-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/incident-console --demo

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The SSH tests start a real OpenSSH sshd on 127.0.0.1 (Debian's openssh-server).
sshd-deps:
	@test -x /usr/sbin/sshd || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q openssh-server >/dev/null; }

# The browser test drives Debian's Chromium headless (no browser download exists here).
browser-deps:
	@test -x /usr/bin/chromium || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium >/dev/null; } || \
	  echo "make: chromium could not be installed: the browser test will skip"

# The fleet tests start Debian's Prometheus and node-exporter on 127.0.0.1.
prom-deps:
	@test -x /usr/bin/prometheus -a -x /usr/bin/prometheus-node-exporter || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends \
	    prometheus prometheus-node-exporter >/dev/null; } || \
	  echo "make: prometheus could not be installed: the Prometheus tests will skip"

# Four workers on this 2-core machine (the tests mostly wait on servers and sshd: 171 -> 108 s
# against two), a file's tests together (they share its fixtures).
# The Alertmanager tests start Debian's prometheus-alertmanager on 127.0.0.1.
am-deps:
	@test -x /usr/bin/prometheus-alertmanager || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends \
	    prometheus-alertmanager >/dev/null; } || \
	  echo "make: prometheus-alertmanager could not be installed: its tests will skip"

test: lint sshd-deps browser-deps prom-deps am-deps
	$(BIN)/pytest -q -p no:cacheprovider -n 4 --dist loadfile

bench: $(STAMP) sshd-deps prom-deps
	$(BIN)/python -m bench.pods_load
	$(BIN)/python -m bench.pods_large
	$(BIN)/python -m bench.hosts_load
	$(BIN)/python -m bench.serve_load
	$(BIN)/python -m bench.kinds_load
	$(BIN)/python -m bench.fleet_load
	$(BIN)/python -m bench.dead_api
	$(BIN)/python -m bench.inside

# 30 minutes under load with the API killed every 5 minutes; not part of `make test`.
soak: $(STAMP) sshd-deps
	$(BIN)/python -m bench.soak

screenshots: $(STAMP) browser-deps prom-deps
	$(BIN)/python -m bench.screenshots
	$(BIN)/python -m bench.browser_shot

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
