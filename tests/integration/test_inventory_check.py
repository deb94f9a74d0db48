# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The mistakes a new user made on the lab, through ansible-playbook: one line each, naming the zone and the field."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.integration.conftest import BIN

PLAYBOOK = """---
- name: Check an inventory
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Check it
      dnsops.tkey.inventory_check:
        zones: "{{ zones }}"
        secondaries: [sec1, sec2]
"""

GOOD = dict(name="example.test", secondaries=["sec1"], serial=2026112501, records=["www IN A 192.0.2.10"])


@pytest.mark.parametrize("zones,message", [
    ([dict(GOOD, records=["www IN A 192.0.2.300"])], "tkey_zones[0] (zone example.test): record 'www IN A 192.0.2.300' does not parse"),
    ([dict(GOOD, serial="abc")], "tkey_zones[0] (zone example.test): serial 'abc' is not a number from 0 to 4294967295"),
    ([dict(GOOD, name="bad zone name!")], "tkey_zones[0]: the zone name 'bad zone name!' has the label"),
    ([GOOD, GOOD], "tkey_zones[1] (zone example.test) is listed twice (also tkey_zones[0]); list each zone once"),
    ([dict(GOOD, secondaries=["sec3"])], "secondaries names sec3, which is not a host of tkey_secondaries (sec1, sec2)"),
])
def test_bad_inventory_fails_with_its_reason(ansible_venv, tmp_path, zones, message):
    path = tmp_path / "check.yml"
    path.write_text(PLAYBOOK)
    rc, out = ansible_venv.playbook(str(path), dict(zones=zones))
    assert rc != 0, out
    line = next(line for line in out.splitlines() if "tkey_zones[" in line)
    assert message in line, out
    assert "Traceback" not in out


def test_good_inventory_passes(ansible_venv, tmp_path):
    path = tmp_path / "check.yml"
    path.write_text(PLAYBOOK)
    rc, out = ansible_venv.playbook(str(path), dict(zones=[GOOD, dict(GOOD, name="alpha.test", secondaries=["sec1", "sec2"])]))
    assert rc == 0, out


# --- the hosts' variables, read from a real inventory through hostvars ------------------------------

# issue 12: this secondary address went through the primary role into named.conf's also-notify
INJECTION = '127.0.10.3; }; include "/etc/passwd"; options { '

HOSTS_PLAYBOOK = """---
- name: Check an inventory with hosts
  hosts: ns1
  gather_facts: false
  tasks:
    - name: Check it
      dnsops.tkey.inventory_check:
        zones: "{{ tkey_zones }}"
        secondaries: "{{ groups['tkey_secondaries'] }}"
        primaries: "{{ groups['tkey_primaries'] }}"
"""


def _inventory(primary=None, secondary=None, common=None):
    """A lab-like inventory: ns1 primary, sec1 and sec2 secondaries; PRIMARY and SECONDARY add variables to ns1 and sec2."""
    inventory = dict(all=dict(
        vars=dict(dict(tkey_zones=[dict(GOOD, secondaries=["sec1", "sec2"])], ansible_connection="local"), **(common or {})),
        children=dict(
            tkey_primaries=dict(hosts=dict(ns1=dict(dict(tkey_address="127.0.10.1"), **(primary or {})))),
            tkey_secondaries=dict(hosts=dict(sec1=dict(tkey_address="127.0.10.2"),
                                             sec2=dict(dict(tkey_address="127.0.10.3"), **(secondary or {})))),
        )))
    return inventory


def _run(ansible_venv, tmp_path, inventory):
    playbook, path = tmp_path / "check.yml", tmp_path / "inventory.json"
    playbook.write_text(HOSTS_PLAYBOOK)
    path.write_text(json.dumps(inventory))  # JSON is YAML
    command = [os.path.join(BIN, "ansible-playbook"), "-i", str(path), str(playbook),
               "-e", "ansible_python_interpreter=%s" % sys.executable]
    proc = subprocess.run(command, capture_output=True, text=True, env=ansible_venv.env, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def _message(out):
    """The failure message of the check task, from ansible-playbook's output."""
    line = next(line for line in out.splitlines() if line.startswith("fatal: [ns1]: FAILED! => "))
    return json.loads(line.split(" => ", 1)[1])["msg"]


@pytest.mark.parametrize("primary,secondary,common,message", [
    ({}, dict(tkey_address=INJECTION),
     {}, "host sec2: tkey_address '127.0.10.3; }; include \"/etc/passwd\"; options { ' is not an IP address; give an IPv4"),
    ({}, dict(secondary_address="{{ tkey_address }}/32"),
     {}, "host sec2: secondary_address '127.0.10.3/32' has a prefix length"),
    ({}, dict(secondary_address="{{ no_such_variable }}"),
     {}, "host sec2: secondary_address cannot be rendered from the host's inventory variables"),
    ({}, dict(tkey_address="localhost"),
     {}, "host sec2: tkey_address 'localhost' is not an IP address"),
    (dict(tkey_address=None), {},
     {}, "host ns1: tkey_address is not set (nor primary_address); give the host the address named listens on"),
    (dict(primary_port="53; };"), {},
     {}, "host ns1: primary_port '53; };' is not a number; give a port number from 1 to 65535"),
    ({}, {},
     dict(secondary_key_dir='/etc/bind"; include "/etc/passwd'), "host sec1: secondary_key_dir '/etc/bind\"; include"),
])
def test_a_host_value_that_would_land_in_named_conf_fails_naming_host_and_variable(
        ansible_venv, tmp_path, primary, secondary, common, message):
    inventory = _inventory(primary, secondary, common)
    for host in inventory["all"]["children"]["tkey_primaries"]["hosts"].values():
        for name in [name for name, value in host.items() if value is None]:
            del host[name]
    rc, out = _run(ansible_venv, tmp_path, inventory)
    assert rc != 0, out
    assert message in _message(out), out
    assert "Traceback" not in out and "root:" not in out


def test_good_hosts_pass_with_templates_rendered_in_each_host_s_context(ansible_venv, tmp_path):
    inventory = _inventory(primary=dict(primary_address="{{ tkey_address }}", primary_port="{{ 5300 + 53 }}"),
                           secondary=dict(secondary_address="{{ tkey_net }}.3", tkey_net="127.0.10"),
                           common=dict(secondary_key_dir="/etc/bind/tkey", secondary_port=53))
    rc, out = _run(ansible_venv, tmp_path, inventory)
    assert rc == 0, out
