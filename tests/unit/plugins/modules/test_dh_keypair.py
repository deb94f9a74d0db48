# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""dh_keypair's branches: create, keep, a pair in another group beside it, attribute drift, absent, refusals.

That named loads these files is tested with BIND's own tools in tests/integration/test_dh_keypair.py.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils._dhkey import load_key
from ansible_collections.dnsops.tkey.plugins.modules import dh_keypair
from tests.support.files import tree_digest


@pytest.fixture
def keys(tmp_path):
    directory = tmp_path / "keys"
    directory.mkdir()
    return str(directory)


def test_create_check_then_real_then_keep(run_module, keys):
    args = dict(name="server", directory=keys, size=768)
    check = run_module(dh_keypair, args, check=True, diff=True)
    assert check.changed and "key_tag" not in check.result and os.listdir(keys) == []
    assert check["diff"]["after"]["keys"] == ["Kserver.+002+(new)"]
    real = run_module(dh_keypair, args)
    assert real.changed and sorted(os.listdir(keys)) == sorted([real["basename"] + ".key", real["basename"] + ".private"])
    key = load_key(os.path.join(keys, real["basename"]))
    assert key.tag == real["key_tag"] and key.group.bits == 768
    for path in (real["public_file"], real["private_file"]):
        assert oct(os.stat(path).st_mode & 0o777) == "0o640"
    assert str(key.x) not in real.text
    again = run_module(dh_keypair, args, check=True)
    assert not again.changed and again["key_tag"] == real["key_tag"]
    assert not run_module(dh_keypair, args).changed


def test_another_group_makes_a_pair_beside_the_old_one(run_module, keys):
    small = run_module(dh_keypair, dict(name="server", directory=keys, size=768))
    big = run_module(dh_keypair, dict(name="server", directory=keys, size=1024), diff=True)
    assert big.changed and big["key_tag"] != small["key_tag"] and len(os.listdir(keys)) == 4
    assert big["diff"]["before"]["keys"] == [small["basename"]]
    assert not run_module(dh_keypair, dict(name="server", directory=keys, size=768)).changed


def test_check_mode_reports_attribute_drift_on_either_file(run_module, keys):
    made = run_module(dh_keypair, dict(name="server", directory=keys, size=768))
    os.chmod(made["private_file"], 0o644)
    before = tree_digest(keys)
    check = run_module(dh_keypair, dict(name="server", directory=keys, size=768), check=True, diff=True)
    assert check.changed and check["diff"]["before"]["mode"] == "0644"
    assert tree_digest(keys) == before
    assert run_module(dh_keypair, dict(name="server", directory=keys, size=768)).changed
    assert oct(os.stat(made["private_file"]).st_mode & 0o777) == "0o640"


def test_absent_removes_every_pair_of_the_name(run_module, keys):
    for size in (768, 1024):
        run_module(dh_keypair, dict(name="server", directory=keys, size=size))
    run_module(dh_keypair, dict(name="other", directory=keys, size=768))
    check = run_module(dh_keypair, dict(name="server", directory=keys, state="absent"), check=True)
    assert check.changed and len(check["removed"]) == 2 and len(os.listdir(keys)) == 6
    real = run_module(dh_keypair, dict(name="server", directory=keys, state="absent"))
    assert real["removed"] == check["removed"] and all(name.startswith("Kother.") for name in os.listdir(keys))
    assert not run_module(dh_keypair, dict(name="server", directory=keys, state="absent")).changed


def test_an_unusable_pair_is_ignored_with_a_warning(run_module, keys):
    with open(os.path.join(keys, "Kserver.+002+12345.key"), "w") as handle:
        handle.write("server. IN KEY 512 3 2 AAEBAAAAAA==\n")
    out = run_module(dh_keypair, dict(name="server", directory=keys, size=768))
    assert out.changed and "ignored an unusable key pair" in str(out.result.get("warnings"))


@pytest.mark.parametrize("args,fragment", [
    (dict(prime="12ab"), "neither a decimal"),
    (dict(prime=str(2 ** 4097 + 1)), "at most 4096"),
    (dict(prime="0x" + "f" * 20), "at least 128 bits"),
    (dict(name="bad name!"), "may hold only letters"),
    # both land in named.conf: tkey-dhkey "NAME" TAG; and directory "DIRECTORY";
    (dict(name='server" 1; include "/etc/passwd'), "name 'server\" 1; include \"/etc/passwd' may hold only letters, digits"),
    (dict(name="server;"), "name 'server;' may hold only"),
    (dict(name="-server"), "has the label '-server'"),
    ("missing-directory", "does not exist"),
    ("injected-directory", "directory "),
    ("relative-directory", "is not an absolute path"),
])
def test_refusals_write_nothing(run_module, keys, args, fragment):
    if args == "missing-directory":
        args = dict(directory=os.path.join(keys, "missing"))
    elif args == "injected-directory":
        args = dict(directory=keys + '"; include "/etc/passwd')
        fragment = "holds '\"', which named.conf would read as syntax"
    elif args == "relative-directory":
        args = dict(directory=os.path.relpath(keys))
    out = run_module(dh_keypair, dict(dict(name="server", directory=keys), **args))
    out.assert_clean_failure(fragment)
    assert os.listdir(keys) == []


def test_the_directory_is_normalized(run_module, keys):
    out = run_module(dh_keypair, dict(name="server.", directory=keys + "//./", size=768))
    assert out.changed and out["name"] == "server." and out["public_file"] == os.path.join(keys, out["basename"] + ".key")


def test_check_mode_predicts_a_pair_in_a_directory_an_earlier_task_would_make(run_module, keys):
    missing = os.path.join(keys, "later")
    out = run_module(dh_keypair, dict(name="server", directory=missing, size=768), check=True)
    assert out.changed and not os.path.exists(missing)
