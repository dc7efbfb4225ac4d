# Single entry point. `make demo` runs the main job, `make test` runs every test.
# Everything runs from the virtual environment in .venv, made from the pinned requirement files.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
export PATH := $(BIN):/usr/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_FORCE_COLOR ?= 0
COLL_LINK := .build/collections/ansible_collections/mailauth/dkim
SANITY_ROOT := $(or $(TMPDIR),/tmp)/mailauth-dkim-sanity/ansible_collections/mailauth/dkim
# (outside any git checkout: inside one, ansible-test only tests files that git tracks there)
# The ansible-core matrix: the host's .venv runs 2.19 (Python 3.11); every release in CORES runs in a Debian 13
# controller container (Python 3.13) as an unprivileged user (scripts/controller.sh). NEWEST_CORE is the last one.
CORES ?= 2.20 2.21
NEWEST_CORE := $(lastword $(CORES))
CORE ?= $(NEWEST_CORE)
# Molecule scenarios run with the host's ansible-core (SCENARIOS) and with the newest core (NEWEST_SCENARIOS).
SCENARIOS ?= lab rotation
NEWEST_SCENARIOS ?= default
DOMAIN ?= example.com
# `make test`, one leg after the other, each timed (scripts/legs.sh).
TEST_LEGS := units sanity lint docs release-checks $(foreach c,$(CORES),"core CORE=$(c)") "site CORE=$(NEWEST_CORE)" molecule

.PHONY: help venv collection demo demo-down records test units sanity lint build docs images docker molecule \
	matrix core site molecule-core release-checks bench bench-keys clean

help:
	@echo "make demo     - the main job: a five-host mail lab (two senders) that proves DKIM, SPF and DMARC pass (see README)"
	@echo "make demo-down - tear the lab down"
	@echo "make records DOMAIN=example.com - generate keys locally and print the DNS records to publish"
	@echo "make test     - every test, each leg timed: units, sanity, lint, docs, release-checks, the ansible-core"
	@echo "                matrix ($(CORES) in a Debian 13 controller), site, molecule"
	@echo "make units | sanity | lint | build | docs | release-checks | molecule - one part (ansible-core 2.19, host)"
	@echo "make core CORE=2.20  - one controller leg: install from the tarball, ansible-doc, sanity, unit tests"
	@echo "make matrix          - make core for every CORE in CORES ($(CORES))"
	@echo "make site CORE=2.21  - the installed tarball runs playbooks/site.yml over SSH with become"
	@echo "make molecule-core CORE=2.21 - Molecule $(NEWEST_SCENARIOS) with that core as the controller"
	@echo "make bench    - the role with 5 and 500 domains and dkim_key with 200 keys in Debian 12 containers:"
	@echo "                timings and the ratios of issue 10 (asserts nothing; docs/performance.md)"
	@echo "make bench-keys - dkim_key's costs in-process and on this host (scripts/bench_keys.py)"

$(BIN)/.stamp: requirements.txt requirements-test.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-test.txt -c constraints.txt
	touch $@

venv: $(BIN)/.stamp

$(COLL_LINK):
	mkdir -p $(dir $(COLL_LINK))
	ln -sfn $(CURDIR) $(COLL_LINK)

collection: venv $(COLL_LINK)

records: collection
	ansible-playbook playbooks/dns_records.yml -e dkim_domain=$(DOMAIN)

demo: collection docker
	scripts/demo.sh

demo-down: collection
	molecule destroy -s lab

test: venv
	@scripts/legs.sh $(TEST_LEGS)
	@echo "make test: all checks passed"

units: collection
	pytest -q tests/unit tests/functional

sanity: venv
	scripts/ansible-test-sanity.sh $(SANITY_ROOT)

lint: collection
	ansible-lint --offline

build: venv
	mkdir -p .build/dist
	ansible-galaxy collection build --force --output-path .build/dist .

# The tarball installed as a user installs it, then ansible-doc of every module and of the role.
docs: venv
	scripts/install-check.sh

docker:
	scripts/ensure-docker.sh

images: docker
	scripts/build-images.sh

molecule: collection images
	@for s in $(SCENARIOS); do \
	  if [ "$$s" = lab ]; then \
	    echo ">> the lab: make demo, then molecule idempotence and verify -s lab (ansible-core 2.19, host)"; \
	    scripts/test-lab.sh; \
	  else \
	    echo ">> molecule test -s $$s (ansible-core 2.19, host)"; \
	    molecule test -s $$s; \
	  fi; \
	done
	@for s in $(NEWEST_SCENARIOS); do \
	  scripts/controller.sh molecule $(NEWEST_CORE) $$s; \
	done

molecule-core: docker
	@for s in $(NEWEST_SCENARIOS); do scripts/controller.sh molecule $(CORE) $$s; done

core: docker
	scripts/controller.sh leg $(CORE)

matrix: docker
	@scripts/legs.sh $(foreach c,$(CORES),"core CORE=$(c)")

site: docker
	scripts/controller.sh site $(CORE)

release-checks: venv
	scripts/release-checks.sh
	scripts/ee-check.sh
	scripts/actionlint.sh

# Not part of `make test`: prints figures, asserts nothing (docs/performance.md).
bench: collection docker
	scripts/bench.sh

bench-keys: collection
	$(BIN)/python scripts/bench_keys.py

clean:
	rm -rf .build tests/output
