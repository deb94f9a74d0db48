# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""dh_keypair and tsig_key through Ansible; named 9.18 loads their output and negotiates with it."""

from __future__ import annotations

import os
import re
import stat

import pytest

from tests.integration.test_negotiate import negotiate_args, read_key
from tests.support.named import NamedServer, run

EXPLICIT_PRIME = str(int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF", 16))


@pytest.mark.parametrize("options", [
    dict(size=768), dict(size=1024), dict(size=1536), dict(prime=EXPLICIT_PRIME, generator=5),
], ids=["768", "1024", "1536", "explicit-g5"])
def test_named_loads_module_made_key_and_negotiates(options, ansible, tmp_path):
    made = {}

    def make_key(directory):
        args = dict(name="server", directory=directory, **options)
        failed, check, out = ansible.module("dh_keypair", args, check=True)
        assert not failed and check["changed"] and os.listdir(directory) == [], out
        failed, result, out = ansible.module("dh_keypair", args)
        assert not failed and result["changed"], out
        failed, again, out = ansible.module("dh_keypair", args)
        assert not failed and not again["changed"] and again["key_tag"] == result["key_tag"], out
        made.update(result)
        return result["key_tag"]

    named = NamedServer(str(tmp_path / "primary"), dh=make_key)
    named.start()
    try:
        private = os.stat(made["private_file"])
        assert stat.S_IMODE(private.st_mode) == 0o640
        dest = str(tmp_path / "tkey.key")
        failed, result, out = ansible.module("tkey_negotiate", negotiate_args(named, dest, server_public_key=made["public_key"]))
        assert not failed, out
        assert result["server_key_tag"] == made["key_tag"]
        assert named.axfr("example.test", read_key(dest))[0]
    finally:
        named.cleanup()


def test_key_tags_agree_with_bind(ansible_venv, tmp_path):
    """named serves the module-made KEY records; dig +rrcomments prints BIND's own key id for each."""
    keys = tmp_path / "keys"
    keys.mkdir()
    tags = {}
    for index, size in enumerate((768, 1024, 1536, 768, 1024, 1536)):
        failed, result, out = ansible_venv.module("dh_keypair", dict(name="k%d" % index, directory=str(keys), size=size))
        assert not failed, out
        tags["k%d" % index] = (result["key_tag"], result["public_key"])
    named = NamedServer(str(tmp_path / "primary"), dh="none")
    with open(named.zone_file("example.test"), "a") as handle:
        for owner, (_tag, record) in tags.items():
            handle.write(re.sub(r"^\S+", "%s.example.test." % owner, record) + "\n")
    named.start()
    try:
        for owner, (tag, _record) in tags.items():
            out = run(["dig", "-p", str(named.port), "@127.0.0.1", "+rrcomments", "+multi", "%s.example.test" % owner, "KEY"]).stdout
            assert "key id = %d" % tag in out, out
    finally:
        named.cleanup()


def test_tsig_key_idempotent_and_loaded_by_named(ansible, tmp_path):
    path = str(tmp_path / "init.key")
    args = dict(name="tkeyinit-sec1", path=path, algorithm="hmac-sha512")
    failed, check, out = ansible.module("tsig_key", args, check=True)
    assert not failed and check["changed"] and not os.path.exists(path), out
    failed, first, out = ansible.module("tsig_key", args, diff=True)
    assert not failed and first["changed"], out
    secret = re.search(r'secret "([^"]+)"', open(path).read()).group(1)
    assert secret not in out
    failed, second, out = ansible.module("tsig_key", args)
    assert not failed and not second["changed"], out
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    run(["named-checkconf", path])
    failed, given, out = ansible.module("tsig_key", dict(args, secret=secret))
    assert not failed and not given["changed"], out
    failed, regenerated, out = ansible.module("tsig_key", dict(args, regenerate=True))
    assert not failed and regenerated["changed"], out
    assert re.search(r'secret "([^"]+)"', open(path).read()).group(1) != secret
    failed, removed, out = ansible.module("tsig_key", dict(args, state="absent"))
    assert not failed and removed["changed"] and not os.path.exists(path), out


def test_dh_keypair_absent_removes_every_pair_of_the_name(ansible_venv, tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    for size in (768, 1024):
        failed, result, out = ansible_venv.module("dh_keypair", dict(name="server", directory=str(keys), size=size))
        assert not failed and result["changed"], out
    failed, result, out = ansible_venv.module("dh_keypair", dict(name="other", directory=str(keys), size=768))
    assert not failed, out
    args = dict(name="server", directory=str(keys), state="absent")
    failed, check, out = ansible_venv.module("dh_keypair", args, check=True)
    assert not failed and check["changed"] and len(check["removed"]) == 2 and len(os.listdir(str(keys))) == 6, out
    failed, removed, out = ansible_venv.module("dh_keypair", args)
    assert not failed and removed["changed"], out
    assert sorted(os.listdir(str(keys))) == sorted([result["basename"] + ".key", result["basename"] + ".private"])
    failed, again, out = ansible_venv.module("dh_keypair", args)
    assert not failed and not again["changed"], out
