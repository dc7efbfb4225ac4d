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
MODULES := $(sort $(basename $(notdir $(wildcard plugins/modules/*.py))))
SCENARIOS ?= default lab
DOMAIN ?= example.com

.PHONY: help venv collection demo demo-down records test units sanity lint build docs images docker molecule clean

help:
	@echo "make demo     - the main job: a three-host mail lab that proves DKIM, SPF and DMARC pass (see README)"
	@echo "make demo-down - tear the lab down"
	@echo "make records DOMAIN=example.com - generate keys locally and print the DNS records to publish"
	@echo "make test     - every test: units, sanity, lint, build, docs, molecule"
	@echo "make units | sanity | lint | build | docs | molecule - one part of the tests"

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

test: units sanity lint build docs molecule
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

docs: collection
	@for m in $(MODULES); do \
	  echo ">> ansible-doc mailauth.dkim.$$m"; \
	  ansible-doc mailauth.dkim.$$m > .build/doc-$$m.txt; \
	  grep -q "mailauth.dkim.$$m" .build/doc-$$m.txt; \
	done

docker:
	scripts/ensure-docker.sh

images: docker
	scripts/build-images.sh

molecule: collection images
	@for s in $(SCENARIOS); do \
	  echo ">> molecule test -s $$s"; \
	  molecule test -s $$s; \
	done

clean:
	rm -rf .build tests/output
