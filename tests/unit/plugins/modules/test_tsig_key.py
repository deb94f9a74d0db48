# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""tsig_key's branches: keep or regenerate, given secrets, attribute drift, absent, refusals."""

from __future__ import annotations

import os

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import KeyStatement, read_key_file
from ansible_collections.dnsops.tkey.plugins.modules import tsig_key
from tests.support.files import digest

GIVEN = "c2VjcmV0LWdpdmVuLWZvci10aGUta2V5LXNlY3JldDE="
OTHER = "b3RoZXItc2VjcmV0LWZvci10aGUta2V5LXNlY3JldDI="


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "tkeyinit.key")


def _mode(path):
    return oct(os.stat(path).st_mode & 0o777)


def test_create_check_then_real_then_idempotent(run_module, path):
    check = run_module(tsig_key, dict(name="tkeyinit", path=path), check=True, diff=True)
    assert check.changed and not os.path.exists(path)
    assert check["diff"]["before"]["state"] == "absent" and check["diff"]["after"]["state"] == "present"
    real = run_module(tsig_key, dict(name="tkeyinit", path=path))
    key = read_key_file(path)
    assert real.changed and key.algorithm == "hmac-sha256" and len(key.secret_bytes) == 32 and _mode(path) == "0o640"
    assert key.secret not in real.text
    again = run_module(tsig_key, dict(name="tkeyinit", path=path), diff=True)
    assert not again.changed and again["diff"]["before"] == again["diff"]["after"]
    assert key.secret not in again.text


def test_regenerate_makes_a_new_secret(run_module, path):
    run_module(tsig_key, dict(name="tkeyinit", path=path))
    old = read_key_file(path).secret
    check = run_module(tsig_key, dict(name="tkeyinit", path=path, regenerate=True), check=True, diff=True)
    assert check.changed and read_key_file(path).secret == old
    assert check["diff"]["after"]["secret"] == "(replaced, not shown)"
    real = run_module(tsig_key, dict(name="tkeyinit", path=path, regenerate=True))
    new = read_key_file(path).secret
    assert real.changed and new != old and old not in real.text and new not in real.text


def test_given_secret_is_kept_only_while_it_matches(run_module, path):
    assert run_module(tsig_key, dict(name="tkeyinit", path=path, secret=GIVEN)).changed
    assert read_key_file(path).secret == GIVEN
    assert not run_module(tsig_key, dict(name="tkeyinit", path=path, secret=GIVEN, regenerate=True)).changed
    replaced = run_module(tsig_key, dict(name="tkeyinit", path=path, secret=OTHER))
    assert replaced.changed and read_key_file(path).secret == OTHER
    assert GIVEN not in replaced.text and OTHER not in replaced.text


def test_another_algorithm_replaces_the_key(run_module, path):
    run_module(tsig_key, dict(name="tkeyinit", path=path))
    out = run_module(tsig_key, dict(name="tkeyinit", path=path, algorithm="hmac-sha512"))
    assert out.changed and read_key_file(path).algorithm == "hmac-sha512" and len(read_key_file(path).secret_bytes) == 64


def test_check_mode_reports_attribute_drift(run_module, path):
    run_module(tsig_key, dict(name="tkeyinit", path=path))
    os.chmod(path, 0o644)
    before = digest(path)
    check = run_module(tsig_key, dict(name="tkeyinit", path=path), check=True, diff=True)
    assert check.changed and check["diff"]["before"]["mode"] == "0644" and check["diff"]["after"]["mode"] == "0640"
    assert digest(path) == before
    real = run_module(tsig_key, dict(name="tkeyinit", path=path))
    assert real.changed and _mode(path) == "0o640" and digest(path)[0] == before[0]
    assert not run_module(tsig_key, dict(name="tkeyinit", path=path)).changed


def test_absent(run_module, path):
    run_module(tsig_key, dict(name="tkeyinit", path=path))
    check = run_module(tsig_key, dict(name="tkeyinit", path=path, state="absent"), check=True)
    assert check.changed and os.path.exists(path)
    assert run_module(tsig_key, dict(name="tkeyinit", path=path, state="absent")).changed and not os.path.exists(path)
    assert not run_module(tsig_key, dict(name="tkeyinit", path=path, state="absent")).changed
    missing_dir = os.path.join(os.path.dirname(path), "gone", "k.key")
    assert not run_module(tsig_key, dict(name="tkeyinit", path=missing_dir, state="absent")).failed


@pytest.mark.parametrize("content,args,fragment", [
    ("options { };\n", {}, "is not a key file"),
    (KeyStatement("other", "hmac-sha256", GIVEN).render(), {}, "holds other keys (other)"),
    (None, dict(secret="###"), "not valid base64"),
    (None, dict(name="bad name!"), "may hold only"),
    # the name goes into key "NAME" { ... }; in named.conf
    (None, dict(name='tkeyinit" { }; include "/etc/passwd'), "name 'tkeyinit\" { }; include \"/etc/passwd' may hold only letters"),
    (None, dict(name="tkeyinit\n"), "name 'tkeyinit\\n' has spaces around it"),
    (None, dict(path="relative/k.key"), "path 'relative/k.key' is not an absolute path"),
    (None, dict(path='/etc/bind/k.key"; include "/etc/passwd'), "path '/etc/bind/k.key\"; include \"/etc/passwd' holds '\"'"),
    (None, dict(path="/nonexistent/dir/k.key"), "does not exist"),
])
def test_refusals_change_nothing(run_module, path, content, args, fragment):
    if content is not None:
        with open(path, "w") as handle:
            handle.write(content)
    before = digest(path)
    run_module(tsig_key, dict(dict(name="tkeyinit", path=path), **args)).assert_clean_failure(fragment)
    assert digest(path) == before


def test_check_mode_predicts_a_key_in_a_directory_an_earlier_task_would_make(run_module, tmp_path):
    path = str(tmp_path / "later" / "k.key")
    assert run_module(tsig_key, dict(name="k", path=path), check=True).changed
    assert not os.path.exists(os.path.dirname(path))
    run_module(tsig_key, dict(name="k", path=path)).assert_clean_failure("does not exist")


def test_a_new_secret_keeps_the_file_readable_by_named(run_module, path):
    """A rewritten key file kept root:root (named, running as bind, could not read it) when no group was given."""
    import grp  # pylint: disable=import-outside-toplevel

    run_module(tsig_key, dict(name="tkeyinit", path=path))
    bind = grp.getgrnam("bind").gr_gid
    assert os.stat(path).st_gid == bind
    assert run_module(tsig_key, dict(name="tkeyinit", path=path, regenerate=True)).changed
    assert os.stat(path).st_gid == bind and _mode(path) == "0o640"


def _keys(tmp_path, **secrets):
    return [dict(dict(name=name, path=str(tmp_path / "keys" / (name + ".key"))), **({"secret": secrets[name]} if name in secrets else {}))
            for name in ("rndc-key", "tkeyinit-sec1", "tkeyinit-sec2")]


def test_keys_and_directories_in_one_call(run_module, tmp_path):
    """One call makes the directory and every key; check mode predicts it and changes nothing; a second run keeps all."""
    keys = _keys(tmp_path, **{"tkeyinit-sec2": GIVEN})
    args = dict(keys=keys, directories=[dict(path=str(tmp_path / "keys"), group="bind", mode="0750")])
    check = run_module(tsig_key, args, check=True, diff=True)
    assert check.changed and not os.path.exists(str(tmp_path / "keys"))
    assert sorted(check["diff"]["after"]) == sorted([key["path"] for key in keys] + ["directories"])
    real = run_module(tsig_key, args)
    assert real.changed and [key["changed"] for key in real["key_files"]] == [True, True, True]
    assert _mode(str(tmp_path / "keys")) == "0o750" and read_key_file(keys[2]["path"]).secret == GIVEN
    made = [read_key_file(key["path"]).secret for key in keys]
    assert len(set(made)) == 3 and not any(secret in real.text for secret in made)
    again = run_module(tsig_key, args, diff=True)
    assert not again.changed and again["diff"] == dict(before={}, after={})
    assert [read_key_file(key["path"]).secret for key in keys] == made
    os.chmod(str(tmp_path / "keys"), 0o755)
    drift = run_module(tsig_key, args, check=True, diff=True)
    assert drift.changed and drift["diff"]["after"]["directories"][str(tmp_path / "keys")]["mode"] == "0750"
    assert run_module(tsig_key, args).changed and _mode(str(tmp_path / "keys")) == "0o750"


def test_return_secrets_needs_no_log_and_returns_what_the_files_hold(run_module, tmp_path):
    keys = _keys(tmp_path)
    args = dict(keys=keys, directories=[dict(path=str(tmp_path / "keys"))], return_secrets=True)
    run_module(tsig_key, args).assert_clean_failure("set no_log: true on the task")
    assert not os.path.exists(str(tmp_path / "keys"))
    predicted = run_module(tsig_key, dict(args, _ansible_no_log=True), check=True)
    assert predicted.changed and predicted["secrets"] == {}
    real = run_module(tsig_key, dict(args, _ansible_no_log=True))
    assert real["secrets"] == dict((key["name"], read_key_file(key["path"]).secret) for key in keys)
    again = run_module(tsig_key, dict(args, _ansible_no_log=True), check=True)
    assert not again.changed and again["secrets"] == real["secrets"]


@pytest.mark.parametrize("change,fragment", [
    (lambda keys: keys.append(dict(keys[0])), "lists the path %s twice"),
    (lambda keys: keys[2].update(name="bad name!"), "keys[2].name 'bad name!' may hold only"),
    (lambda keys: keys[1].update(secret="###"), "not valid base64"),
])
def test_a_bad_entry_in_keys_changes_nothing(run_module, tmp_path, change, fragment):
    keys = _keys(tmp_path)
    change(keys)
    fragment = fragment.replace("%s", keys[0]["path"]) if "%s" in fragment else fragment
    run_module(tsig_key, dict(keys=keys, directories=[dict(path=str(tmp_path / "keys"))])).assert_clean_failure(fragment)
    assert not os.path.exists(str(tmp_path / "keys"))


def test_a_file_in_place_of_a_directory_is_refused(run_module, tmp_path):
    (tmp_path / "keys").write_text("")
    run_module(tsig_key, dict(keys=_keys(tmp_path)[:1], directories=[dict(path=str(tmp_path / "keys"))])).assert_clean_failure(
        "exists and is not a directory")


def test_changed_paths_name_what_changed_and_never_a_secret(run_module, tmp_path):
    keys = _keys(tmp_path, **{"tkeyinit-sec1": GIVEN})
    args = dict(keys=keys, directories=[dict(path=str(tmp_path / "keys"))])
    assert run_module(tsig_key, args, check=True)["changed_paths"] == sorted([str(tmp_path / "keys")] + [key["path"] for key in keys])
    run_module(tsig_key, args)
    assert run_module(tsig_key, args)["changed_paths"] == []
    keys[1]["secret"] = OTHER
    out = run_module(tsig_key, args)
    assert out["changed_paths"] == [keys[1]["path"]] and OTHER not in out.text and GIVEN not in out.text
    single = run_module(tsig_key, dict(name="k", path=str(tmp_path / "keys" / "k.key"), directories=[dict(path=str(tmp_path / "keys"))]))
    assert single["changed_paths"] == [str(tmp_path / "keys" / "k.key")]


def test_one_key_name_in_two_files(run_module, tmp_path):
    """A secondary's initial key has the same name with each of its primaries, in one file per primary."""
    keys = [dict(name="tkeyinit-sec1", path=str(tmp_path / ("tkeyinit-%s.key" % primary)), secret=secret)
            for primary, secret in (("p1", GIVEN), ("p2", OTHER))]
    assert run_module(tsig_key, dict(keys=keys)).changed
    assert [read_key_file(key["path"]).secret for key in keys] == [GIVEN, OTHER]
    assert not run_module(tsig_key, dict(keys=keys)).changed
