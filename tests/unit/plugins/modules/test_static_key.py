# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""static_key: a secondary's static keys on a primary: first key, kept, rotated by age or on demand with overlap,
retired once the secondary uses the new one, removed on revocation."""

from __future__ import annotations

import os
import time

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import read_key_file
from ansible_collections.dnsops.tkey.plugins.modules import static_key


@pytest.fixture
def args(tmp_path):
    return dict(secondary="sec1", suffix="ns1.xfr", directory=str(tmp_path / "xfr-sec1"))


def test_first_key_then_kept(run_module, args):
    check = run_module(static_key, args, check=True)
    assert check.changed and check["rotated"] and not os.path.exists(args["directory"])
    first = run_module(static_key, args)
    assert first.changed and first["current"].startswith("sec1-") and first["current"].endswith(".ns1.xfr")
    key = read_key_file(first["current_file"])
    assert key.algorithm == "hmac-sha256" and len(key.secret_bytes) == 32 and oct(os.stat(first["current_file"]).st_mode & 0o777) == "0o640"
    assert key.secret not in first.text
    again = run_module(static_key, args)
    assert not again.changed and again["current"] == first["current"]
    assert "keys" not in again.result and [key["name"] for key in again["static_keys"]] == [first["current"]]


def test_rotation_keeps_the_old_key_until_the_secondary_uses_the_new_one(run_module, args):
    first = run_module(static_key, args)
    time.sleep(1.1)  # key names carry the second they were made
    rotated = run_module(static_key, dict(args, rotate=True))
    assert rotated["rotated"] and [key["name"] for key in rotated["static_keys"]] == [first["current"], rotated["current"]]
    check = run_module(static_key, dict(args, keep=rotated["current"]), check=True)
    assert check.changed and len(os.listdir(args["directory"])) == 2
    retired = run_module(static_key, dict(args, keep=rotated["current"]))
    assert retired["retired"] == [first["current"]] and [key["name"] for key in retired["static_keys"]] == [rotated["current"]]
    assert not run_module(static_key, dict(args, keep="some-other-key")).changed  # a key it does not hold: nothing retired


def test_age_makes_a_new_key(run_module, args):
    first = run_module(static_key, dict(args, lifetime="30d", renew_before="7d"))
    old = time.time() - 24 * 86400
    with open(first["current_file"]) as handle:
        text = handle.read()
    with open(first["current_file"], "w") as handle:
        handle.write(text.replace("created=%d" % first["static_keys"][0]["created"], "created=%d" % old))
    aged = run_module(static_key, dict(args, lifetime="30d", renew_before="7d"))
    assert aged["rotated"] and len(aged["static_keys"]) == 2


def test_absent_removes_every_key(run_module, args):
    run_module(static_key, args)
    assert run_module(static_key, dict(args, state="absent")).changed and not os.path.exists(args["directory"])
    assert not run_module(static_key, dict(args, state="absent")).changed


def test_diff_shows_the_keys_before_and_after(run_module, args):
    first = run_module(static_key, args, diff=True)
    assert first["diff"] == dict(before=dict(keys=[]), after=dict(keys=[first["current"]]))
    time.sleep(1.1)
    rotated = run_module(static_key, dict(args, rotate=True), diff=True)
    assert rotated["diff"]["before"]["keys"] == [first["current"]]
    assert rotated["diff"]["after"]["keys"] == [first["current"], rotated["current"]]
    retired = run_module(static_key, dict(args, keep=rotated["current"]), diff=True)
    assert retired["diff"] == dict(before=dict(keys=[first["current"], rotated["current"]]), after=dict(keys=[rotated["current"]]))
    assert read_key_file(rotated["current_file"]).secret not in rotated.text + retired.text


def test_every_key_says_when_it_will_be_replaced(run_module, args):
    first = run_module(static_key, dict(args, lifetime="30d", renew_before="7d"))
    (key,) = first["static_keys"]
    assert key["replace_after"] == key["created"] + 23 * 86400
    assert key["replace_after_utc"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(key["created"] + 23 * 86400))
    again = run_module(static_key, dict(args, lifetime="10d", renew_before="1d"), check=True)
    assert again["static_keys"][0]["replace_after"] == key["created"] + 9 * 86400 and not again.changed
    never = run_module(static_key, dict(args, lifetime="0"), check=True)
    assert never["static_keys"][0]["replace_after"] == 0 and never["static_keys"][0]["replace_after_utc"] == ""
    soon = run_module(static_key, dict(args, lifetime="1d", renew_before="2d"), check=True)  # renew_before above lifetime: due at once
    assert soon["static_keys"][-1]["replace_after"] == soon["static_keys"][-1]["created"] and soon["rotated"]


def test_replace_due_false_reports_a_due_key_without_predicting_or_making_a_new_one(run_module, args):
    check = run_module(static_key, dict(args, replace_due=False), check=True)
    assert check["rotated"] and len(check["static_keys"]) == 1  # a secondary without any key still gets its first
    first = run_module(static_key, args)
    old = int(time.time()) - 24 * 86400
    with open(first["current_file"]) as handle:
        text = handle.read()
    with open(first["current_file"], "w") as handle:
        handle.write(text.replace("created=%d" % first["static_keys"][0]["created"], "created=%d" % old))
    for check in (True, False):
        read = run_module(static_key, dict(args, lifetime="30d", renew_before="7d", replace_due=False, rotate=True), check=check)
        assert not read.changed and not read["rotated"] and [key["name"] for key in read["static_keys"]] == [first["current"]]
        assert read["static_keys"][0]["replace_after"] == old + 23 * 86400  # in the past: the next run of the role replaces it
    assert len(os.listdir(args["directory"])) == 1
    due = run_module(static_key, dict(args, lifetime="30d", renew_before="7d"), check=True)
    assert due["rotated"] and len(due["static_keys"]) == 2


def _batch(tmp_path, **extra):
    return dict(suffix="ns1.xfr", secondaries=[dict(dict(name=name, directory=str(tmp_path / ("xfr-" + name))), **extra.get(name, {}))
                                               for name in ("sec1", "sec2", "sec3")])


def test_every_secondary_in_one_call(run_module, tmp_path):
    """One call keeps each secondary's keys as one call per secondary did; a second run changes nothing."""
    args = _batch(tmp_path)
    check = run_module(static_key, args, check=True, diff=True)
    assert check.changed and [one["rotated"] for one in check["secondaries"]] == [True] * 3
    assert sorted(check["diff"]["after"]) == ["sec1", "sec2", "sec3"] and not os.listdir(str(tmp_path))
    first = run_module(static_key, args)
    assert [one["secondary"] for one in first["secondaries"]] == ["sec1", "sec2", "sec3"]
    secrets = [read_key_file(one["current_file"]).secret for one in first["secondaries"]]
    assert len(set(secrets)) == 3 and not any(secret in first.text for secret in secrets)
    assert all(one["current"].startswith(one["secondary"] + "-") for one in first["secondaries"])
    again = run_module(static_key, args, diff=True)
    assert not again.changed and again["diff"] == dict(before={}, after={})
    assert [one["current"] for one in again["secondaries"]] == [one["current"] for one in first["secondaries"]]
    time.sleep(1.1)  # key names carry the second they were made
    rotated = run_module(static_key, _batch(tmp_path, sec2=dict(rotate=True)), diff=True)
    assert [one["rotated"] for one in rotated["secondaries"]] == [False, True, False]
    assert list(rotated["diff"]["after"]) == ["sec2"] and len(rotated["secondaries"][1]["static_keys"]) == 2
    kept = rotated["secondaries"][1]["current"]
    retired = run_module(static_key, _batch(tmp_path, sec2=dict(keep=kept)))
    assert retired["secondaries"][1]["retired"] == [first["secondaries"][1]["current"]]
    assert [key["name"] for key in retired["secondaries"][1]["static_keys"]] == [kept]


def test_return_secrets_gives_each_secondary_its_newest_key(run_module, tmp_path):
    args = dict(_batch(tmp_path), return_secrets=True)
    run_module(static_key, args).assert_clean_failure("set no_log: true on the task")
    assert not os.listdir(str(tmp_path))
    predicted = run_module(static_key, dict(args, _ansible_no_log=True), check=True)
    assert not any("current_secret" in one for one in predicted["secondaries"])
    first = run_module(static_key, dict(args, _ansible_no_log=True))
    again = run_module(static_key, dict(args, _ansible_no_log=True))
    for made, kept in zip(first["secondaries"], again["secondaries"]):
        assert made["current_secret"] == kept["current_secret"] == read_key_file(made["current_file"]).secret


def test_a_secondary_listed_twice_changes_nothing(run_module, tmp_path):
    args = _batch(tmp_path)
    args["secondaries"].append(dict(args["secondaries"][0]))
    run_module(static_key, args).assert_clean_failure("lists a secondary or a directory twice")
    assert not os.listdir(str(tmp_path))
