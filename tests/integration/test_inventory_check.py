# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The mistakes a new user made on the lab, through ansible-playbook: one line each, naming the zone and the field."""

from __future__ import annotations

import pytest

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
