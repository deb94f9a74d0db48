# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""zone_serials against a real named 9.18 on 127.0.0.1 whose zone an operator raised by hand: the inventory's lower
serial is refused in one line before the play changes anything, from named's answer or, with named stopped, from
the zone file."""

from __future__ import annotations

import json
import os

import pytest

from tests.support.files import tree_digest
from tests.support.named import NamedServer

FIRST = 2026112501
PLAY = """---
- name: A primary's run, cut to its first change
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Refuse a serial lower than the primary's, before changing anything
      dnsops.tkey.zone_serials:
        server: 127.0.0.1
        port: "{{ named_port }}"
        zone_dir: "{{ zone_dir }}"
        zones: "{{ zones }}"

    - name: Write the zone files (the primary role's first change)
      ansible.builtin.copy:
        content: "{{ item.content }}"
        dest: "{{ zone_dir }}/db.{{ item.name }}"
        mode: "0644"
      loop: "{{ files }}"
"""


class RolePrimary(NamedServer):
    """named serving its zones from ZONE_DIR/db.ZONE, where the primary role writes them."""

    def zone_file(self, zone):
        zone_dir = os.path.join(self.directory, "zones")
        os.makedirs(zone_dir, exist_ok=True)
        return os.path.join(zone_dir, "db.%s" % zone)


@pytest.fixture
def primary(tmp_path):
    server = RolePrimary(str(tmp_path / "primary"), zones=("example.test", "other.test"), initial_keys={}, dh="none")
    server.start()
    yield server
    server.cleanup()


def _zone_dir(primary):
    return os.path.join(primary.directory, "zones")


def _args(primary, *zones):
    return dict(server="127.0.0.1", port=primary.port, zone_dir=_zone_dir(primary), timeout=2,
                zones=list(zones) or [dict(name="example.test", serial=FIRST), dict(name="other.test", serial=FIRST)])


def _inventory_file(zone, serial):
    return "$TTL 300\n@ IN SOA ns.%s. hostmaster.%s. %d 3600 600 86400 300\n@ IN NS ns.%s.\nns IN A 127.0.0.1\n" % (
        zone, zone, serial, zone)


def _refusal(serial, have):
    return ("zone example.test: the inventory's serial %d is lower than %s; raise serial in tkey_zones above 2026112502 "
            "(someone changed the zone by hand?)" % (serial, have))


@pytest.mark.parametrize("check", [False, True])
def test_a_serial_raised_by_hand_refuses_the_inventory_s_lower_one_before_any_change(ansible, primary, tmp_path, check):
    assert primary.bump_serial("example.test") == FIRST + 1  # an operator edited the zone file and reloaded
    before = tree_digest(_zone_dir(primary))
    path = tmp_path / "play.yml"
    path.write_text(PLAY)
    zones = [dict(name="example.test", serial=FIRST), dict(name="other.test", serial=FIRST)]
    files = [dict(name=zone["name"], content=_inventory_file(zone["name"], zone["serial"])) for zone in zones]
    rc, out = ansible.playbook(str(path), dict(named_port=primary.port, zone_dir=_zone_dir(primary), zones=zones, files=files), check=check)
    assert rc != 0, out
    line = next(line for line in out.splitlines() if line.startswith("fatal: [localhost]: FAILED! => "))
    result = json.loads(line.split(" => ", 1)[1])
    assert result["msg"] == _refusal(FIRST, "the 2026112502 the primary serves now"), out
    assert result["problems"] == [result["msg"]] and result["changed"] is False
    assert "Traceback" not in out and "Write the zone files" not in out
    assert tree_digest(_zone_dir(primary)) == before
    assert primary.serial("example.test") == FIRST + 1  # named still serves what the secondaries have


@pytest.mark.parametrize("serial,verdict", [(FIRST + 1, "equal"), (FIRST + 2, "higher")])
def test_the_same_or_a_higher_serial_passes(ansible_venv, primary, serial, verdict):
    primary.bump_serial("example.test")
    failed, result, out = ansible_venv.module("zone_serials", _args(primary, dict(name="example.test", serial=serial)))
    assert not failed and not result["changed"], out
    assert result["zones"] == [dict(name="example.test", wanted=serial, current=FIRST + 1, source="named", verdict=verdict)]
    assert result["named_answered"] is True


def test_with_named_stopped_the_zone_file_speaks(ansible, primary):
    primary.bump_serial("example.test")
    primary.stop()
    before = tree_digest(_zone_dir(primary))
    failed, result, out = ansible.module("zone_serials", _args(primary, dict(name="example.test", serial=FIRST),
                                                               dict(name="other.test", serial=FIRST), dict(name="new.test", serial=1)))
    path = os.path.join(_zone_dir(primary), "db.example.test")
    assert failed, out
    assert result["msg"] == _refusal(FIRST, "the 2026112502 in %s (named does not serve the zone now)" % path), out
    assert "Traceback" not in out
    assert [(zone["source"], zone["verdict"]) for zone in result["zones"]] == [("file", "lower"), ("file", "equal"), ("none", "new")]
    assert tree_digest(_zone_dir(primary)) == before
    failed, result, out = ansible.module("zone_serials", _args(primary, dict(name="example.test", serial=FIRST + 1)), check=True)
    assert not failed and result["zones"][0]["source"] == "file" and result["named_answered"] is False, out


def test_a_zone_given_as_a_file_is_judged_by_its_soa(ansible_venv, primary):
    primary.bump_serial("example.test")
    zone = dict(name="example.test", content=_inventory_file("example.test", FIRST), file="files/db.example.test")
    failed, result, out = ansible_venv.module("zone_serials", _args(primary, zone))
    assert failed, out
    assert result["msg"] == ("zone example.test: the inventory's serial 2026112501 (the SOA of files/db.example.test) is lower than "
                             "the 2026112502 the primary serves now; raise the SOA serial in files/db.example.test above 2026112502 "
                             "(someone changed the zone by hand?)")
    zone["content"] = _inventory_file("example.test", FIRST + 5)
    failed, result, out = ansible_venv.module("zone_serials", _args(primary, zone))
    assert not failed and result["zones"][0]["verdict"] == "higher", out


ROLE_PLAY = """---
- name: The primary role on a host whose named an operator changed by hand
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run the primary role
      ansible.builtin.include_role:
        name: dnsops.tkey.primary
"""


def test_the_primary_role_refuses_before_its_first_change(ansible_venv, primary, tmp_path):
    """The role, in check mode and include mode with every path under tmp_path: it must stop at zone_serials, whose
    one call covers a records zone and a zone given as a file."""
    primary.bump_serial("example.test")
    primary.bump_serial("other.test")
    zone_file = tmp_path / "db.other.test"
    zone_file.write_text(_inventory_file("other.test", FIRST))
    path = tmp_path / "role.yml"
    path.write_text(ROLE_PLAY)
    etc = tmp_path / "etc"
    before = tree_digest(_zone_dir(primary))
    rc, out = ansible_venv.playbook(str(path), dict(
        tkey_address="127.0.0.1", primary_port=primary.port, primary_named_conf="include", primary_manage_package=False,
        primary_zone_dir=_zone_dir(primary), primary_key_dir=str(etc / "tkey"), primary_fragment_dir=str(etc / "dnsops-tkey"),
        primary_named_conf_path=primary.conf, primary_directory=str(tmp_path / "cache"), primary_log_dir=str(tmp_path / "log"),
        tkey_zones=[dict(name="example.test", serial=FIRST, records=["www IN A 192.0.2.1"]),
                    dict(name="other.test", file=str(zone_file))]), check=True)
    assert rc != 0, out
    line = next(line for line in out.splitlines() if line.startswith("fatal: [localhost]: FAILED! => "))
    result = json.loads(line.split(" => ", 1)[1])
    assert result["msg"] == _refusal(FIRST, "the 2026112502 the primary serves now") + " (and 1 more: see problems)", out
    assert result["problems"][1] == (
        "zone other.test: the inventory's serial 2026112501 (the SOA of %s) is lower than the 2026112502 the primary serves now; "
        "raise the SOA serial in %s above 2026112502 (someone changed the zone by hand?)" % (zone_file, zone_file))
    assert "TASK [dnsops.tkey.primary : Refuse a zone serial lower" in out
    for later in ("Check that the operator's named.conf", "Make named's directories", "Write named's files"):
        assert later not in out, out
    assert not etc.exists() and tree_digest(_zone_dir(primary)) == before
