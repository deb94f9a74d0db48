# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""tkey_rollover through main(): check mode, diff without secrets, zone failures returned with the result, the run
lock, revocation; over a scripted primary and a scripted secondary named (tests/integration/test_rollover.py runs
the module against two real named)."""

from __future__ import annotations

import fcntl
import os

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import KeyStatement, read_key_file
from ansible_collections.dnsops.tkey.plugins.modules import tkey_rollover
from tests.support.scripted import INITIAL_SECRET, SERVER_KEY, SIGNAL_ZONE, ScriptedLocalNamed


@pytest.fixture
def secondary(named, tmp_path, monkeypatch):
    named.serve("example.test")
    initial = tmp_path / "tkeyinit-ns1.key"
    initial.write_text(KeyStatement("tkeyinit", "hmac-sha256", INITIAL_SECRET).render())
    primary = dict(name="ns1", address="192.0.2.1", server_public_key=SERVER_KEY.public_text(), bind_version="9.18.49", signal_zone=SIGNAL_ZONE,
                   initial_key_file=str(initial), key_file=str(tmp_path / "transfer-ns1.key"),
                   primaries_file=str(tmp_path / "primaries-ns1.conf"), key_name="sec1", zones=["example.test"])
    local = ScriptedLocalNamed(named, primary["primaries_file"])
    monkeypatch.setattr(tkey_rollover, "named_from", lambda values: local)
    local.args = dict(primary=primary, lock_file=str(tmp_path / "lock"), lock_timeout=0.5)
    return local


def _files(primary):
    return [open(primary[path]).read() if os.path.exists(primary[path]) else None for path in ("key_file", "primaries_file")]


def test_check_then_run_then_nothing_to_do(run_module, named, secondary):
    primary = secondary.args["primary"]
    check = run_module(tkey_rollover, secondary.args, check=True, diff=True)
    assert check.changed and check["negotiated"] and check["reason"] == "absent"
    assert check["diff"]["after"]["key_name"] == "(new key, absent)" and check["diff"]["before"]["key_name"] == ""
    assert _files(primary) == [None, None] and named.log == [] and not os.path.exists(secondary.args["lock_file"])
    done = run_module(tkey_rollover, secondary.args, diff=True)
    key = read_key_file(primary["key_file"])
    assert done.changed and done["key_name"] == key.name and done["named_proof"] == "done"
    assert done["diff"]["after"]["key_name"] == key.name and sorted(done["diff"]["after"]["files"]) == sorted(
        [primary["key_file"], primary["primaries_file"]])
    assert key.secret not in done.text and INITIAL_SECRET not in done.text
    again = run_module(tkey_rollover, secondary.args, check=True, diff=True)
    assert not again.changed and again["diff"]["before"] == again["diff"]["after"]
    assert not run_module(tkey_rollover, secondary.args).changed


def test_a_forced_rotation_shows_the_old_and_the_new_key_name(run_module, secondary):
    first = run_module(tkey_rollover, secondary.args)
    rotated = run_module(tkey_rollover, dict(secondary.args, force=True), diff=True)
    assert rotated["reason"] == "forced" and rotated["deleted_superseded"]
    assert rotated["diff"]["before"]["key_name"] == first["key_name"] != rotated["diff"]["after"]["key_name"] == rotated["key_name"]
    assert read_key_file(secondary.args["primary"]["key_file"]).secret not in rotated.text


def test_a_refused_zone_fails_with_the_result_and_the_key_in_use(run_module, named, secondary):
    named.serve("closed.test", allowed=())
    args = dict(secondary.args, primary=dict(secondary.args["primary"], zones=["example.test", "closed.test"]))
    outcome = run_module(tkey_rollover, args)
    outcome.assert_clean_failure("1 zone(s) failed: closed.test")
    assert outcome["key_name"] == read_key_file(args["primary"]["key_file"]).name and outcome.changed
    assert list(outcome["zone_failures"]) == ["closed.test"]


def test_a_held_lock_is_a_clean_failure_that_changes_nothing(run_module, named, secondary):
    with open(secondary.args["lock_file"], "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        outcome = run_module(tkey_rollover, secondary.args)
    outcome.assert_clean_failure("another dnsops.tkey run")
    assert _files(secondary.args["primary"]) == [None, None] and named.log == []


def test_revoke_deletes_the_key_and_shows_its_name_going(run_module, named, secondary):
    first = run_module(tkey_rollover, secondary.args)
    check = run_module(tkey_rollover, dict(secondary.args, state="absent"), check=True, diff=True)
    assert check.changed and check["diff"]["before"]["key_name"] == first["key_name"] and check["diff"]["after"]["key_name"] == ""
    assert named.knows(first["key_name"])
    revoked = run_module(tkey_rollover, dict(secondary.args, state="absent"))
    assert revoked.changed and revoked["deleted_superseded"] and not named.knows(first["key_name"])
    assert 'primaries "dnsops-tkey-ns1" { 192.0.2.1 port 53; };' in _files(secondary.args["primary"])[1]  # no key any more
