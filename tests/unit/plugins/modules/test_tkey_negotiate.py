# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""tkey_negotiate's own branches, driven through main() over a scripted named (no BIND needed)."""

from __future__ import annotations

import base64
import os

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _tkey
from ansible_collections.dnsops.tkey.plugins.module_utils._dhkey import DHKey
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import KeyStatement, read_key_file
from ansible_collections.dnsops.tkey.plugins.modules import tkey_negotiate
from tests.support.scripted import GROUP, INITIAL_SECRET, SERVER_KEY, SIGNAL_ZONE
from tests.support.files import digest


@pytest.fixture
def args(tmp_path):
    initial = tmp_path / "tkeyinit.key"
    initial.write_text(KeyStatement("tkeyinit", "hmac-sha256", INITIAL_SECRET).render())
    return dict(
        server="192.0.2.1",
        key_name="sec1",
        tsig_key_file=str(initial),
        server_public_key=SERVER_KEY.public_text(),
        dest=str(tmp_path / "transfer.key"),
    )


def _negotiated_secrets(named):
    return [base64.b64encode(key.secret).decode("ascii") for key, _creator in named.negotiated.values()]


def test_check_mode_on_a_fresh_host_predicts_a_key_and_sends_no_tkey(run_module, named, args):
    out = run_module(tkey_negotiate, args, check=True, diff=True)
    assert out.changed and out["reason"] == "absent"
    assert out["diff"]["after"] == {"key_name": "(new key, absent)"}
    assert not os.path.exists(args["dest"])
    assert named.log == []


def test_negotiates_proves_writes_and_then_stays_idempotent(run_module, named, args):
    first = run_module(tkey_negotiate, args, diff=True)
    assert first.changed and first["reason"] == "absent" and first["superseded_key_name"] == ""
    assert (named.count("negotiate"), named.count("probe")) == (1, 1)  # negotiated, then proved
    statement = read_key_file(args["dest"])
    assert named.knows(statement.name) and first["key_name"] == statement.name
    assert oct(os.stat(args["dest"]).st_mode & 0o777) == "0o640"
    assert DHKey.from_texts(first["server_public_key"]).same_public(SERVER_KEY)
    assert first["diff"]["after"]["key_name"] == statement.name
    for secret in _negotiated_secrets(named) + [INITIAL_SECRET]:
        assert secret not in first.text
    assert "secret" not in first.result

    named.log.clear()
    before = digest(args["dest"])
    again = run_module(tkey_negotiate, args, check=True)
    assert not again.changed and again["reason"] == "current"
    again = run_module(tkey_negotiate, args)
    assert not again.changed and again["reason"] == "current"
    assert (named.count("negotiate"), named.count("probe")) == (0, 2)  # one signed query per run, no TKEY
    assert digest(args["dest"]) == before


def test_check_mode_reports_attribute_drift_and_a_real_run_fixes_it(run_module, named, args):
    run_module(tkey_negotiate, args)
    os.chmod(args["dest"], 0o644)  # someone made the key world-readable
    named.log.clear()
    check = run_module(tkey_negotiate, args, check=True, diff=True)
    assert check.changed and check["reason"] == "current"
    assert check["diff"]["before"]["mode"] == "0644" and check["diff"]["after"]["mode"] == "0640"
    assert oct(os.stat(args["dest"]).st_mode & 0o777) == "0o644"
    real = run_module(tkey_negotiate, args)
    assert real.changed and oct(os.stat(args["dest"]).st_mode & 0o777) == "0o640"
    assert named.count("negotiate") == 0
    assert not run_module(tkey_negotiate, args).changed


def test_after_a_primary_restart_the_key_is_renegotiated(run_module, named, args):
    first = run_module(tkey_negotiate, args)
    named.restart()
    check = run_module(tkey_negotiate, args, check=True)
    assert check.changed and check["reason"] == "rejected" and check["superseded_key_name"] == first["key_name"]
    assert named.count("negotiate") == 1
    healed = run_module(tkey_negotiate, args)
    assert healed.changed and healed["reason"] == "rejected"
    assert healed["superseded_key_name"] == first["key_name"] and healed["key_name"] != first["key_name"]
    assert named.knows(healed["key_name"])


def test_forced_rollover_keeps_a_backup_of_the_old_key(run_module, named, args):
    first = run_module(tkey_negotiate, args)
    old = open(args["dest"]).read()
    rolled = run_module(tkey_negotiate, dict(args, force=True, backup=True))
    assert rolled["reason"] == "forced" and rolled["superseded_key_name"] == first["key_name"]
    assert open(rolled["backup_file"]).read() == old
    assert named.knows(first["key_name"]) and named.knows(rolled["key_name"])  # the old key lives until deleted


def test_return_secret_returns_exactly_the_servers_secret(run_module, named, args):
    out = run_module(tkey_negotiate, dict(args, return_secret=True))
    assert [out["secret"]] == _negotiated_secrets(named)


@pytest.mark.parametrize("reason,change", [
    ("key_name_changed", dict(key_name="sec1-new")),
    ("server_changed", dict(port=5353)),
    ("server_key_changed", "new-server-key"),
])
def test_changed_settings_renegotiate(run_module, named, args, reason, change):
    run_module(tkey_negotiate, args)
    if change == "new-server-key":
        named.server_key = DHKey.generate("server", GROUP)
        change = dict(server_public_key=named.server_key.public_text())
    out = run_module(tkey_negotiate, dict(args, **change))
    assert out.changed and out["reason"] == reason


def test_an_unpinned_negotiation_finds_the_group_and_returns_the_key_to_pin(run_module, named, args):
    out = run_module(tkey_negotiate, dict(args, server_public_key=None))
    assert DHKey.from_texts(out["server_public_key"]).same_public(SERVER_KEY)
    assert out["server_key_tag"] == SERVER_KEY.tag
    assert named.count("negotiate") == 3  # 1536 and 1024 answered BADKEY


def test_a_file_without_metadata_is_replaced_as_unmanaged(run_module, named, args):
    with open(args["dest"], "w") as handle:
        handle.write(KeyStatement("handmade", "hmac-md5", "c2VjcmV0c2VjcmV0").render())
    out = run_module(tkey_negotiate, args)
    assert out["reason"] == "unmanaged" and out["superseded_key_name"] == "handmade"
    assert "c2VjcmV0c2VjcmV0" not in out.text


@pytest.mark.parametrize("change,fragment", [
    (dict(lifetime="soon"), "not a duration"),
    (dict(lifetime="1d", renew_before="2d"), "must be shorter"),
    (dict(lifetime=str(2 ** 31), renew_before="1d"), "out of range"),
    (dict(key_name="bad name!"), "not a DNS name"),
    (dict(key_name="x" * 44), "too long"),
    (dict(tsig_key_file=None), "initial key is missing"),
    (dict(tsig_key_file="/nonexistent/tkeyinit.key"), "cannot read key file"),
    (dict(server_public_key="server. IN KEY 512 3 2 !!!"), "not valid base64"),
    (dict(server_public_key="/nonexistent/Kserver.+002+00001"), "neither a KEY record"),
    (dict(port=0), "not a port number"),
    (dict(timeout=0), "positive number"),
    (dict(server=""), "server is empty"),
    ("dest-dir", "does not exist"),
])
def test_bad_options_fail_in_one_line_before_anything_is_sent(run_module, named, args, change, fragment):
    if change == "dest-dir":
        change = dict(dest=os.path.join(os.path.dirname(args["dest"]), "missing", "transfer.key"))
    out = run_module(tkey_negotiate, dict(args, **change))
    out.assert_clean_failure(fragment)
    assert named.log == []
    assert not os.path.exists(args["dest"])


def test_dest_that_is_not_a_key_file_is_left_alone(run_module, named, args):
    with open(args["dest"], "w") as handle:
        handle.write('options { directory "/var/cache/bind"; };\n')
    out = run_module(tkey_negotiate, args)
    out.assert_clean_failure("is not a key file")
    assert open(args["dest"]).read() == 'options { directory "/var/cache/bind"; };\n'
    assert named.log == []


@pytest.mark.parametrize("fault,fragment", [
    (dict(down=True), "cannot reach 192.0.2.1#53"),
    (dict(silent=True), "no answer from 192.0.2.1#53"),
    (dict(tkey_error=21), "only hmac-md5"),
    (dict(accept_negotiated=False), "did not accept the key it just negotiated"),
])
def test_server_faults_leave_the_working_key_in_place(run_module, named, args, fault, fragment):
    run_module(tkey_negotiate, args)
    before = digest(args["dest"])
    for knob, value in fault.items():
        setattr(named, knob, value)
    out = run_module(tkey_negotiate, dict(args, force=True))
    out.assert_clean_failure(fragment)
    assert digest(args["dest"]) == before


def test_a_bug_keeps_its_traceback_and_no_secret_leaks(run_module, named, args, monkeypatch):
    def broken(*_args, **_kwargs):
        raise KeyError("internal state %s" % INITIAL_SECRET)

    monkeypatch.setattr(_tkey, "negotiate_proved", broken)
    out = run_module(tkey_negotiate, args, tracebacks=True)
    assert out.failed
    assert out["msg"].startswith("dnsops.tkey.tkey_negotiate failed unexpectedly, a bug in dnsops.tkey: KeyError")
    assert "Traceback" in out.result.get("exception", "")
    assert INITIAL_SECRET not in out.text  # read from tsig_key_file, then masked like a no_log option
    assert not os.path.exists(args["dest"])


def test_check_mode_accepts_an_initial_key_file_an_earlier_task_would_make(run_module, named, args, tmp_path):
    args = dict(args, tsig_key_file=str(tmp_path / "not-yet.key"))
    out = run_module(tkey_negotiate, args, check=True)
    assert out.changed and out["reason"] == "absent" and named.log == []
    run_module(tkey_negotiate, args).assert_clean_failure("cannot read key file")


@pytest.mark.parametrize("version,options,refused", [
    ("9.20.5", {}, True),
    ("9.19.0-dev", {}, True),
    ("9.18.49-1~deb12u1-Debian", {}, False),
    (None, {}, True),  # hidden, no signal: refused unless the user opts in by name
    (None, {"allow_hidden_version": True}, False),
    (None, {"signal_zone": SIGNAL_ZONE}, False),  # hidden, and the primary's signal says 9.18 with TKEY
    ("9.20.5", {"allow_hidden_version": True}, True),  # a version that says 9.20 is refused in every case
])
def test_the_server_must_say_it_runs_9_18_before_any_tkey_query(run_module, named, args, version, options, refused):
    named.version = version
    out = run_module(tkey_negotiate, dict(args, **options))
    if refused:
        out.assert_clean_failure("no TKEY query was sent")
        assert named.count("negotiate") == 0 and not os.path.exists(args["dest"])
    else:
        assert out.changed and named.count("negotiate") == 1
    assert named.count("version") == 1


@pytest.mark.parametrize("signal", [None, {"bind": "9.20.21", "method": "tkey"}, {"bind": "9.18.49", "method": "static"}])
def test_a_signal_that_does_not_say_9_18_with_tkey_is_refused_even_with_a_visible_9_18(run_module, named, args, signal):
    named.signal = signal
    out = run_module(tkey_negotiate, dict(args, signal_zone=SIGNAL_ZONE))
    out.assert_clean_failure("no TKEY query was sent")
    assert named.count("negotiate") == 0 and named.count("signal") == 1 and not os.path.exists(args["dest"])


def test_no_version_query_when_nothing_is_negotiated(run_module, named, args):
    run_module(tkey_negotiate, args)
    named.log.clear()
    assert not run_module(tkey_negotiate, args).changed
    assert named.count("version") == 0
