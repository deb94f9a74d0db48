# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""tkey_negotiate and tkey_delete through Ansible against a real named 9.18, proved with real transfers."""

from __future__ import annotations

import json
import os
import re
import time

from tests.support.paths import ROOT
from tests.support.named import NamedServer, run

PLAYBOOKS = os.path.join(ROOT, "tests", "integration", "playbooks")


def read_key(path):
    with open(path) as handle:
        text = handle.read()
    name = re.search(r'key "([^"]+)"', text).group(1)
    secret = re.search(r'secret "([^"]+)"', text).group(1)
    return ("hmac-md5", name, secret)


def negotiate_args(named, dest, **extra):
    args = dict(server="127.0.0.1", port=named.port, key_name="sec1", tsig_key_file=os.path.join(named.directory, "tkeyinit.key"),
                server_public_key=named.dh_public_file(), dest=dest)
    args.update(extra)
    return args


def test_negotiate_flow_idempotent_and_proved_by_axfr(named, ansible, tmp_path):
    work = tmp_path / "sec"
    work.mkdir()
    rc, out = ansible.playbook(os.path.join(PLAYBOOKS, "negotiate_flow.yml"), dict(
        named_port=named.port, workdir=str(work), init_key_file=os.path.join(named.directory, "tkeyinit.key"),
        server_public_key_file=named.dh_public_file(),
    ), diff=True, verbosity=3)
    assert rc == 0, out
    assert "localhost" in out and "invocation" in out  # -vvv: every result, with its module arguments, is printed
    outcome = json.loads((work / "outcome.json").read_text())
    # Two negotiations and two deletions (the second answered BADNAME) reached the server:
    # check mode and the idempotent run sent no TKEY query.
    assert named.tkey_queries() == 4
    current = read_key(str(work / "tkey-sec1.key"))
    assert current[1] == outcome["current"]
    ok, axfr = named.axfr("example.test", current)
    assert ok, axfr
    # the deleted key no longer works; no key at all is refused; the key cannot transfer another secondary's zone
    ok, axfr = named.axfr("example.test", ("hmac-md5", outcome["first"], outcome["first_secret"]))
    assert not ok, axfr
    ok, axfr = named.axfr("example.test")
    assert not ok, axfr
    ok, axfr = named.axfr("other.test", current)
    assert not ok, axfr
    # the file is valid named.conf, and no secret (initial, negotiated, deleted) shows in -vvv --diff output
    run(["named-checkconf", str(work / "tkey-sec1.key")])
    for secret in (current[2], outcome["first_secret"], named.secrets["tkeyinit"]):
        assert secret not in out


def test_real_secondary_transfers_with_the_negotiated_key_file(named, ansible_venv, tmp_path):
    dest = str(tmp_path / "tkey.key")
    failed, result, out = ansible_venv.module("tkey_negotiate", negotiate_args(named, dest))
    assert not failed, out
    secondary = NamedServer(
        str(tmp_path / "secondary"), zones=(), initial_keys={}, dh="none",
        extra_conf='include "%s";\nzone "example.test" { type secondary; file "%s/example.test.bk"; primaries { 127.0.0.1 port %d key "%s"; }; };'
        % (dest, tmp_path / "secondary", named.port, result["key_name"]),
    )
    try:
        secondary.start()
        deadline = time.monotonic() + 20
        serial = None
        while time.monotonic() < deadline:
            try:
                serial = secondary.serial("example.test")
                break
            except (IndexError, ValueError):
                time.sleep(0.2)
        assert serial == named.serial("example.test")
        with open(secondary.log) as handle:
            log = handle.read()
        assert "Transfer completed" in log and "TSIG %s" % result["key_name"] in log, log
    finally:
        secondary.cleanup()


def test_renewal_before_expiry(named, ansible_venv, tmp_path):
    dest = str(tmp_path / "tkey.key")
    failed, first, out = ansible_venv.module("tkey_negotiate", negotiate_args(named, dest, lifetime="1h", renew_before="10m"))
    assert not failed and first["changed"], out
    failed, same, out = ansible_venv.module("tkey_negotiate", negotiate_args(named, dest, lifetime="1h", renew_before="10m"))
    assert not failed and not same["changed"] and same["reason"] == "current", out
    time.sleep(2.1)  # the key is now within 3598 s of its expiry
    failed, renewed, out = ansible_venv.module("tkey_negotiate", negotiate_args(named, dest, lifetime="1h", renew_before="3598s"))
    assert not failed and renewed["changed"] and renewed["reason"] == "expiring", out
    assert renewed["superseded_key_name"] == first["key_name"]
    assert renewed["expiration_epoch"] > first["expiration_epoch"]
    assert named.axfr("example.test", read_key(dest))[0]
    assert named.tkey_queries() == 2


def test_restart_loses_the_key_and_the_next_run_heals(named, ansible_venv, tmp_path):
    dest = str(tmp_path / "tkey.key")
    failed, first, out = ansible_venv.module("tkey_negotiate", negotiate_args(named, dest))
    assert not failed, out
    old = read_key(dest)
    assert named.axfr("example.test", old)[0]
    named.rndc("reload")  # a reload keeps negotiated keys
    failed, same, out = ansible_venv.module("tkey_negotiate", negotiate_args(named, dest))
    assert not failed and not same["changed"], out
    named.restart()
    ok, axfr = named.axfr("example.test", old)
    assert not ok, axfr
    failed, healed, out = ansible_venv.module("tkey_negotiate", negotiate_args(named, dest), check=True)
    assert not failed and healed["changed"] and healed["reason"] == "rejected", out
    assert read_key(dest) == old  # check mode wrote nothing
    failed, healed, out = ansible_venv.module("tkey_negotiate", negotiate_args(named, dest))
    assert not failed and healed["changed"] and healed["reason"] == "rejected", out
    assert named.axfr("example.test", read_key(dest))[0]
    # the superseded key died with the restart: deleting it is a no-op
    failed, gone, out = ansible_venv.module("tkey_delete", dict(
        server="127.0.0.1", port=named.port, key_name=healed["superseded_key_name"],
        tsig_key_file=os.path.join(named.directory, "tkeyinit.key")))
    assert not failed and not gone["changed"], out


def test_delete_with_key_file_signed_by_the_key_itself(named, ansible_venv, tmp_path):
    dest = str(tmp_path / "tkey.key")
    failed, result, out = ansible_venv.module("tkey_negotiate", negotiate_args(named, dest))
    assert not failed, out
    key = read_key(dest)
    args = dict(server="127.0.0.1", port=named.port, key_file=dest, remove_key_file=True)
    failed, check, out = ansible_venv.module("tkey_delete", args, check=True)
    assert not failed and check["changed"] and check["deleted"] and os.path.exists(dest), out
    failed, done, out = ansible_venv.module("tkey_delete", args)
    assert not failed and done["changed"] and done["deleted"] and done["key_file_removed"], out
    assert not os.path.exists(dest)
    assert not named.axfr("example.test", key)[0]
    failed, again, out = ansible_venv.module("tkey_delete", args)
    assert not failed and not again["changed"], out


def test_udp_transport_and_discovered_group(named, ansible_venv, tmp_path):
    dest = str(tmp_path / "tkey.key")
    args = negotiate_args(named, dest, transport="udp")
    del args["server_public_key"]
    failed, result, out = ansible_venv.module("tkey_negotiate", args)
    assert not failed, out
    with open(named.dh_public_file()) as handle:
        assert result["server_public_key"] == handle.read().strip()
    assert named.axfr("example.test", read_key(dest))[0]


def test_client_key_pair_from_dnssec_keygen(named, ansible_venv, tmp_path):
    """A client DH key pair made by BIND's own tool, in the server's group, given by its base name."""
    out = run(["dnssec-keygen", "-K", str(tmp_path), "-T", "KEY", "-a", "DH", "-b", "768", "-n", "HOST", "sec1"]).stdout.strip()
    dest = str(tmp_path / "tkey.key")
    failed, result, text = ansible_venv.module("tkey_negotiate", negotiate_args(named, dest, client_key=str(tmp_path / out)))
    assert not failed and result["changed"], text
    assert named.axfr("example.test", read_key(dest))[0]


def test_delete_with_key_name_and_secret(named, ansible_venv, tmp_path):
    dest = str(tmp_path / "tkey.key")
    failed, result, out = ansible_venv.module("tkey_negotiate", negotiate_args(named, dest))
    assert not failed, out
    _algorithm, name, secret = read_key(dest)
    args = dict(server="127.0.0.1", port=named.port, key_name=name, key_secret=secret)
    failed, done, out = ansible_venv.module("tkey_delete", args, diff=True)
    assert not failed and done["changed"] and done["deleted"], out
    assert secret not in out
    assert not named.axfr("example.test", read_key(dest))[0]
    failed, again, out = ansible_venv.module("tkey_delete", args)
    assert not failed and not again["changed"], out


def test_a_replaced_server_dh_key_is_noticed_and_pinned_anew(named, ansible_venv, tmp_path):
    dest = str(tmp_path / "tkey.key")
    old_key_file = named.dh_public_file()
    failed, first, out = ansible_venv.module("tkey_negotiate", negotiate_args(named, dest))
    assert not failed, out
    named.replace_dh_key()
    new_key_file = named.dh_public_file()
    assert new_key_file != old_key_file
    # the operator updates the pin: the key is renegotiated for that reason, before any probe
    failed, result, out = ansible_venv.module("tkey_negotiate", negotiate_args(named, dest, server_public_key=new_key_file))
    assert not failed, out
    assert result["reason"] == "server_key_changed" and result["server_key_tag"] == named.dh_key_id
    assert named.axfr("example.test", read_key(dest))[0]
    # an old pin against the new server key is refused, and the working key stays
    before = open(dest).read()
    failed, result, out = ansible_venv.module("tkey_negotiate", negotiate_args(named, dest, server_public_key=old_key_file, force=True))
    assert failed and "not the pinned" in result["msg"], out
    assert open(dest).read() == before
