# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""tkey_delete's branches (signers, check mode, key file removal) through main() over a scripted named."""

from __future__ import annotations

import base64
import os

import dns.tsig
import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _tkey
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import KeyStatement
from ansible_collections.dnsops.tkey.plugins.modules import tkey_delete
from tests.support.scripted import INITIAL, INITIAL_SECRET, SERVER_KEY, SIGNAL_ZONE, ScriptedNamed, ScriptedServer, route_servers_to

OTHER_SECRET = "b3RoZXJvdGhlcm90aGVyb3RoZXJvdGhlcg=="
OTHER = dns.tsig.Key("otherinit.", OTHER_SECRET, "hmac-sha256.")


@pytest.fixture
def named(monkeypatch):
    server = ScriptedNamed(initial_keys=(INITIAL, OTHER))
    route_servers_to(monkeypatch, server)
    return server


@pytest.fixture
def negotiated(named, tmp_path):
    """A key negotiated with the initial key and its file, as tkey_negotiate writes it."""
    server = ScriptedServer(named)
    key = _tkey.negotiate(server, _tkey.tsig_key("tkeyinit", INITIAL_SECRET, "hmac-sha256"), "sec1", server_key=SERVER_KEY)
    path = tmp_path / "transfer.key"
    path.write_text(key.key_file_text(server, "sec1"))
    named.log.clear()
    return key, str(path)


@pytest.fixture
def initial_file(tmp_path):
    path = tmp_path / "tkeyinit.key"
    path.write_text(KeyStatement("tkeyinit", "hmac-sha256", INITIAL_SECRET).render())
    return str(path)


def test_key_file_check_mode_then_delete_then_idempotent(run_module, named, negotiated):
    key, path = negotiated
    check = run_module(tkey_delete, dict(server="192.0.2.1", key_file=path), check=True, diff=True)
    assert check.changed and check["deleted"] and check["key_name"] == key.name
    assert check["diff"]["after"]["on_server"] is False
    assert named.knows(key.name) and named.count("delete") == 0  # check mode only probes
    real = run_module(tkey_delete, dict(server="192.0.2.1", key_file=path))
    assert real.changed and real["deleted"] and not named.knows(key.name)
    assert os.path.exists(path) and not real["key_file_removed"]
    again = run_module(tkey_delete, dict(server="192.0.2.1", key_file=path))
    assert not again.changed and not again["deleted"]
    assert key.secret_b64 not in real.text + check.text + again.text


def test_remove_key_file_in_check_mode_and_for_real(run_module, named, negotiated):
    key, path = negotiated
    args = dict(server="192.0.2.1", key_file=path, remove_key_file=True)
    check = run_module(tkey_delete, args, check=True)
    assert check["key_file_removed"] and os.path.exists(path)
    real = run_module(tkey_delete, args)
    assert real["key_file_removed"] and not os.path.exists(path) and not named.knows(key.name)
    gone = run_module(tkey_delete, args)
    assert not gone.changed and gone["key_name"] == ""


def test_a_missing_key_file_without_remove_key_file_is_an_error(run_module, named, tmp_path):
    run_module(tkey_delete, dict(server="192.0.2.1", key_file=str(tmp_path / "none.key"))).assert_clean_failure("does not exist")
    assert named.log == []


@pytest.mark.parametrize("signer", ["initial-file", "initial-inline"])
def test_superseded_key_deleted_with_the_initial_key(run_module, named, negotiated, initial_file, signer):
    key, _path = negotiated
    args = dict(server="192.0.2.1", key_name=key.name)
    if signer == "initial-file":
        args["tsig_key_file"] = initial_file
    else:
        args.update(tsig_key_name="tkeyinit", tsig_key_secret=INITIAL_SECRET)
    check = run_module(tkey_delete, args, check=True)
    assert check.changed and check["deleted"] and named.knows(key.name)
    assert named.log == [("refused", "BADSIG")]  # the decoy signature: the name is known
    real = run_module(tkey_delete, args)
    assert real.changed and not named.knows(key.name)
    named.log.clear()
    check = run_module(tkey_delete, args, check=True)
    assert not check.changed and named.log == [("refused", "BADKEY")]
    assert INITIAL_SECRET not in check.text + real.text


def test_key_name_with_its_own_secret(run_module, named, negotiated):
    key, _path = negotiated
    args = dict(server="192.0.2.1", key_name=key.name + ".", key_secret=key.secret_b64)
    check = run_module(tkey_delete, args, check=True)
    assert check.changed and named.count("probe") == 1
    real = run_module(tkey_delete, args)
    assert real.changed and real["key_name"] == key.name and not named.knows(key.name)
    assert key.secret_b64 not in real.text


def test_another_secondarys_initial_key_cannot_delete(run_module, named, negotiated):
    key, _path = negotiated
    out = run_module(tkey_delete, dict(server="192.0.2.1", key_name=key.name, tsig_key_name="otherinit",
                                       tsig_key_secret=OTHER_SECRET))
    out.assert_clean_failure("did not create that key")
    assert named.knows(key.name)


@pytest.mark.parametrize("args,fragment", [
    (dict(key_name="whatever.server"), "nothing can sign"),
    (dict(key_name="bad name!", tsig_key_name="tkeyinit", tsig_key_secret=INITIAL_SECRET), "may hold only"),
    (dict(key_name="k.server", key_secret="###"), "not valid base64"),
    (dict(key_name="k.server", tsig_key_file="/nonexistent.key"), "cannot read key file"),
])
def test_bad_options(run_module, named, args, fragment):
    run_module(tkey_delete, dict(args, server="192.0.2.1")).assert_clean_failure(fragment)
    assert named.log == []


def test_server_down(run_module, named, negotiated):
    key, path = negotiated
    named.down = True
    run_module(tkey_delete, dict(server="192.0.2.1", key_file=path)).assert_clean_failure("cannot reach")
    named.down = False
    assert named.knows(key.name) and os.path.exists(path)


def test_secret_is_masked_in_an_unexpected_failure(run_module, named, negotiated, monkeypatch):
    key, path = negotiated

    def broken(server, name, signer):
        raise RuntimeError("signer %s" % base64.b64encode(signer.secret).decode("ascii"))

    monkeypatch.setattr(_tkey, "delete", broken)
    out = run_module(tkey_delete, dict(server="192.0.2.1", key_file=path), tracebacks=True)
    assert "RuntimeError" in out["msg"] and "Traceback" in out["exception"]
    assert key.secret_b64 not in out.text


def test_no_tkey_deletion_reaches_bind_9_20(run_module, named, negotiated):
    key, path = negotiated
    named.version = "9.20.5"
    check = run_module(tkey_delete, dict(server="192.0.2.1", key_file=path), check=True)
    assert check.changed  # check mode sends no TKEY query, only a probe
    run_module(tkey_delete, dict(server="192.0.2.1", key_file=path)).assert_clean_failure("says it runs BIND 9.20.5")
    assert named.knows(key.name) and named.count("delete") == 0


def test_a_deletion_needs_a_server_that_says_it_runs_9_18(run_module, named, negotiated):
    """A hidden version without a signal is refused; the signal (any method: a move to static keys) allows it."""
    key, path = negotiated
    named.version = None
    run_module(tkey_delete, dict(server="192.0.2.1", key_file=path)).assert_clean_failure("hides its version")
    assert named.knows(key.name) and named.count("delete") == 0
    named.signal = {"bind": "9.18.49", "method": "static"}
    out = run_module(tkey_delete, dict(server="192.0.2.1", key_file=path, signal_zone=SIGNAL_ZONE))
    assert out.changed and out["deleted"] and not named.knows(key.name)


def test_deleting_a_key_the_server_lost_with_the_signal_is_idempotent(run_module, named, negotiated):
    """The signal is asked with the key itself; after a restart that key is unknown (BADKEY): nothing to delete."""
    key, path = negotiated
    named.version = None
    named.restart()
    out = run_module(tkey_delete, dict(server="192.0.2.1", key_file=path, signal_zone=SIGNAL_ZONE))
    assert not out.failed and not out.changed and not out["deleted"] and named.count("delete") == 0
