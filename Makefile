# dnsops.tkey: everything a fresh Debian 12 machine needs, and every test.
#   make demo    the main job on the built-in BIND lab (containers in a private network namespace)
#   make test    unit, sanity, lint, integration (real named) and molecule tests
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= $(CURDIR)/.venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Test tools and BIND 9.18 (named, dnssec-keygen, tsig-keygen, dig, rndc); Debian's own python3 libraries,
# the oldest the modules support; faketime for the clock-skew test.
APT_PACKAGES := bind9 bind9-utils bind9-dnsutils python3-venv python3-pip python3-dnspython python3-cryptography \
	python3-pytest faketime git make shellcheck podman runc catatonit debootstrap iproute2
# containers.podman (for molecule and the lab's connection) comes out of the `ansible` package on PyPI,
# because Galaxy is not reachable from these machines.
ANSIBLE_BUNDLE := ansible==12.3.0
PODMAN_COLLECTION := .build/collections/ansible_collections/containers/podman/MANIFEST.json

export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.build/collections
export PATH := $(VENV)/bin:$(PATH)

.PHONY: help deps test unit galaxy release readme ee-introspect test-ee test-mitogen test-matrix sanity lint integration molecule \
	bench bench-scale bench-agent bench-site bench-fleet demo lab-down image image-trixie clean

help:
	@echo "make demo | make lab-down | make test | make unit | make integration | make sanity | make lint | make molecule"
	@echo "make release | make readme | make ee-introspect | make test-ee | make test-mitogen | make test-matrix"
	@echo "make bench | make bench-scale | make bench-agent | make bench-site | make bench-fleet"

deps: .build/apt.stamp $(VENV)/.stamp .build/collections/ansible_collections/dnsops/tkey

.build/apt.stamp:
	@mkdir -p .build
	@missing="$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done)"; \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		$(SUDO) apt-get update -qq; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@touch $@

$(VENV)/.stamp: requirements-dev.txt .build/apt.stamp
	@[ -x $(PY) ] || /usr/bin/python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(PODMAN_COLLECTION): $(VENV)/.stamp
	$(PY) lab/fetch-collection.py '$(ANSIBLE_BUNDLE)' containers.podman .build/collections

# The lab's images, built once from Debian packages (no registry): BIND 9.18, and 9.20 for the refusal test.
image: deps
	lab/build-image.sh bookworm

image-trixie: deps
	lab/build-image.sh trixie

# The main job on the built-in lab: one primary, two secondaries, site.yml, then the status table.
demo: deps $(PODMAN_COLLECTION) image
	lab/lab.sh up
	ansible-playbook -i lab/inventory.yml playbooks/site.yml
	@ansible-playbook -i lab/inventory.yml playbooks/status.yml -e tkey_status_file=$(CURDIR)/.build/lab-status.txt > .build/lab-status.log
	@echo; cat .build/lab-status.txt

lab-down:
	lab/lab.sh down

# The checkout, seen by Ansible as the collection dnsops.tkey (the link tests/support/paths.py makes).
.build/collections/ansible_collections/dnsops/tkey: | $(VENV)/.stamp
	$(PY) tests/support/paths.py

unit: deps
	$(PY) -m pytest -q tests/unit
	@echo "--- the pure module_utils again on Debian 12's python3-dnspython and python3-cryptography"
	/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/unit --ignore tests/unit/plugins/modules

sanity: deps
	VENV=$(VENV) tests/sanity/run-ansible-test.sh

lint: deps
	ansible-lint

integration: deps
	$(PY) -m pytest -q tests/integration

molecule: deps $(PODMAN_COLLECTION) image image-trixie
	cd extensions && molecule test -s default && molecule test -s adopt && molecule test -s static920

bench: deps
	$(PY) bench/negotiate.py

bench-scale: deps
	$(PY) bench/rollout.py

# The renewal agent: 200 identities healing at once, an idle run, rotations with 10 and 1000 zones.
bench-agent: deps
	$(PY) bench/agent.py

# The cost of doing nothing: site.yml's idempotent run against its first run on a fresh lab.
bench-site: deps $(PODMAN_COLLECTION) image
	bench/site_cost.sh

# A fleet: site.yml at 2, 6 and 12 secondaries (FLEET_SIZES), first and idempotent runs at forks 5 and 20, a ping
# playbook as the floor, and the idempotent run under Mitogen; wall time, tasks, module calls and round trips per host.
bench-fleet: deps $(PODMAN_COLLECTION) image
	bench/fleet.sh

# The collection builds and installs offline, and its modules' documentation renders.
galaxy: deps
	rm -rf .build/galaxy && mkdir -p .build/galaxy
	ansible-galaxy collection build --output-path .build/galaxy
	ansible-galaxy collection install --offline --force -p .build/galaxy/collections .build/galaxy/dnsops-tkey-*.tar.gz
	test "$$(ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.build/galaxy/collections ansible-doc -l dnsops.tkey | grep -c '^dnsops\.tkey\.')" = 10

# Release gates on the built tarball: role READMEs against argument_specs, galaxy-importer (offline), antsibull-changelog
# and antsibull-docs lint; their tools in .build/release-venv (pinned in tests/release/requirements.txt).
release: deps
	tests/release/run.sh

# Rewrite the generated part of roles/*/README.md after editing roles/*/meta/argument_specs.yml.
readme: deps
	$(PY) tools/role_readme.py

# The execution environment metadata (meta/execution-environment.yml) as ansible-builder reads it, against _deps.py.
ee-introspect: deps
	tests/ee/introspect.sh

# site.yml and status.yml on a lab of its own from a virtualenv holding only ansible-core and what the EE metadata declares.
test-ee: deps $(PODMAN_COLLECTION) image
	tests/ee/smoke.sh

# site.yml (twice) and status.yml under Mitogen for Ansible (mitogen_linear, its own podman connection), on a lab of its own.
test-mitogen: deps image
	tests/mitogen/run.sh

# Unit tests and ansible-test sanity on every ansible-core that meta/runtime.yml claims.
test-matrix: deps
	tests/matrix/run.sh

test: unit galaxy release ee-introspect sanity lint integration molecule test-ee test-mitogen test-matrix

clean:
	rm -rf .build .pytest_cache tests/output
