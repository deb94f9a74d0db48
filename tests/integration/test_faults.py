# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bad input and faults: each fails with one clear line, no traceback, and leaves the working key in place."""

from __future__ import annotations

import hashlib
import os

import pytest

from tests.integration.test_negotiate import negotiate_args, read_key
from tests.support.fakedns import ForgingServer, SilentServer
from tests.support.named import NamedServer, free_port, run


def digest(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def assert_clean_failure(failed, result, out, fragment):
    assert failed, out
    msg = result.get("msg", "")
    assert fragment.lower() in msg.lower(), msg
    assert "\n" not in msg.strip(), msg
    for leak in ("exception", "module_stderr", "module_stdout"):
        assert leak not in result, result
    assert "Traceback" not in out


@pytest.fixture
def working(named, ansible_venv, tmp_path):
    """A secondary that already holds a working negotiated key in dest."""
    dest = str(tmp_path / "tkey.key")
    failed, result, out = ansible_venv.module("tkey_negotiate", negotiate_args(named, dest))
    assert not failed, out
    return dest


def keygen(directory, bits, name):
    out = run(["dnssec-keygen", "-K", str(directory), "-T", "KEY", "-a", "DH", "-b", str(bits), "-n", "HOST", name]).stdout.strip()
    return os.path.join(str(directory), out)


def _garbage(tmp_path, text):
    path = tmp_path / "garbage.key"
    path.write_text(text)
    return str(path)


def _mismatched_pair(tmp_path):
    one = keygen(tmp_path, 768, "client")
    two = keygen(tmp_path, 768, "client")
    with open(two + ".private") as src, open(one + ".private", "w") as dst:
        dst.write(src.read())
    return one


# case id -> (function(named, tmp_path) -> extra args, expected fragment, whether a query may reach the server)
SERVER_CASES = {
    "wrong-initial-secret": (
        lambda n, t: dict(tsig_key_file=None, tsig_key_name="tkeyinit", tsig_key_secret="d3JvbmdzZWNyZXR3cm9uZ3NlY3JldA=="),
        "BADSIG",
    ),
    "unknown-initial-key": (
        lambda n, t: dict(tsig_key_file=None, tsig_key_name="nosuchkey", tsig_key_secret=n.secrets["tkeyinit"]),
        "does not know TSIG key nosuchkey",
    ),
    "client-key-in-other-group": (lambda n, t: dict(server_public_key=None, client_key=keygen(t, 1024, "client") + ".key"), "another DH group"),
    "pinned-key-differs": (lambda n, t: dict(server_public_key=keygen(t, 768, "server") + ".key"), "not the pinned"),
    "server-unreachable": (lambda n, t: dict(port=free_port()), "cannot reach"),
    "key-of-other-secondary-cannot-delete": None,  # tkey_delete case below
}

LOCAL_CASES = {
    "invalid-key-name": (lambda n, t: dict(key_name="bad name!"), "is not a DNS name"),
    "garbage-initial-key-file": (lambda n, t: dict(tsig_key_file=_garbage(t, "this is not named.conf\n")), "not a usable key file"),
    "initial-key-file-missing": (lambda n, t: dict(tsig_key_file=str(t / "absent.key")), "cannot read key file"),
    "bad-initial-secret": (lambda n, t: dict(tsig_key_file=None, tsig_key_name="tkeyinit", tsig_key_secret="###"), "not valid base64"),
    "garbage-server-key": (lambda n, t: dict(server_public_key="server. IN KEY 512 3 2 !!!"), "not valid base64"),
    "server-key-not-dh": (lambda n, t: dict(server_public_key="server. IN KEY 512 3 8 AwEAAQ=="), "not DH"),
    "server-key-missing-file": (lambda n, t: dict(server_public_key=str(t / "Kserver.+002+00000.key")), "neither a KEY record"),
    "mismatched-client-key-files": (lambda n, t: dict(client_key=_mismatched_pair(t)), "belongs to another key"),
    "client-key-group-vs-pinned": (lambda n, t: dict(client_key=keygen(t, 1024, "client")), "server's group"),
    "lifetime-not-a-duration": (lambda n, t: dict(lifetime="soon"), "not a duration"),
    "renew-not-shorter": (lambda n, t: dict(lifetime="1d", renew_before="2d"), "must be shorter"),
    "lifetime-wraps": (lambda n, t: dict(lifetime=str(2 ** 31), renew_before="1d"), "out of range"),
    "dest-directory-missing": (lambda n, t: dict(dest=str(t / "nowhere" / "tkey.key")), "does not exist"),
    "no-initial-key": (lambda n, t: dict(tsig_key_file=None), "initial key is missing"),
}


def _args(named, dest, tmp_path, builder):
    args = negotiate_args(named, dest, force=True)
    for key, value in builder(named, tmp_path).items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return args


@pytest.mark.parametrize("case", sorted(k for k, v in SERVER_CASES.items() if v))
def test_server_side_failures_keep_the_working_key(case, named, working, ansible_venv, tmp_path):
    builder, fragment = SERVER_CASES[case]
    before = digest(working)
    args = _args(named, working, tmp_path, builder)
    failed, result, out = ansible_venv.module("tkey_negotiate", args)
    assert_clean_failure(failed, result, out, fragment)
    assert digest(working) == before
    assert named.axfr("example.test", read_key(working))[0]


@pytest.mark.parametrize("case", sorted(LOCAL_CASES))
def test_bad_input_fails_before_anything_is_sent(case, named, working, ansible_venv, tmp_path):
    builder, fragment = LOCAL_CASES[case]
    before, queries = digest(working), named.tkey_queries()
    args = _args(named, working, tmp_path, builder)
    failed, result, out = ansible_venv.module("tkey_negotiate", args)
    assert_clean_failure(failed, result, out, fragment)
    assert digest(working) == before
    assert named.tkey_queries() == queries


def test_dest_that_is_not_a_key_file_is_never_overwritten(named, ansible_venv, tmp_path):
    dest = tmp_path / "named.conf"
    dest.write_text('options { directory "/var/cache/bind"; };\n')
    failed, result, out = ansible_venv.module("tkey_negotiate", negotiate_args(named, str(dest)))
    assert_clean_failure(failed, result, out, "is not a key file")
    assert dest.read_text() == 'options { directory "/var/cache/bind"; };\n'
    assert named.tkey_queries() == 0


def test_timeout(named, working, ansible_venv, tmp_path):
    before = digest(working)
    with SilentServer() as silent:
        args = negotiate_args(named, working, port=silent.port, timeout=1.5, force=True)
        failed, result, out = ansible_venv.module("tkey_negotiate", args)
    assert_clean_failure(failed, result, out, "no answer from 127.0.0.1#%d over TCP within 1.5s" % silent.port)
    assert digest(working) == before


def test_forged_response_fails_tsig_verification(named, working, ansible_venv, tmp_path):
    before = digest(working)
    with ForgingServer() as forger:
        # the forger hides its version: the user's explicit opt-in lets the TKEY query reach it
        args = negotiate_args(named, working, port=forger.port, force=True, allow_hidden_version=True)
        failed, result, out = ansible_venv.module("tkey_negotiate", args)
    assert_clean_failure(failed, result, out, "failed TSIG verification")
    assert digest(working) == before


def test_clock_skew_is_reported(named, working, ansible_venv, tmp_path):
    before = digest(working)
    args = negotiate_args(named, working, force=True)
    failed, result, out = ansible_venv.module("tkey_negotiate", args, wrapper=["faketime", "-f", "-1h"])
    assert_clean_failure(failed, result, out, "BADTIME")
    assert digest(working) == before


def test_server_without_tkey_dh(ansible_venv, tmp_path):
    plain = NamedServer(str(tmp_path / "plain"), dh="none")
    plain.start()
    try:
        dest = str(tmp_path / "tkey.key")
        args = dict(server="127.0.0.1", port=plain.port, key_name="sec1", dest=dest,
                    tsig_key_file=os.path.join(plain.directory, "tkeyinit.key"))
        failed, result, out = ansible_venv.module("tkey_negotiate", args)
        assert_clean_failure(failed, result, out, "no tkey-dhkey")
        assert not os.path.exists(dest)
    finally:
        plain.cleanup()


def test_delete_signed_by_an_unrelated_key_is_refused(named, working, ansible_venv):
    name = read_key(working)[1]
    failed, result, out = ansible_venv.module("tkey_delete", dict(
        server="127.0.0.1", port=named.port, key_name=name, tsig_key_file=os.path.join(named.directory, "otherinit.key")))
    assert_clean_failure(failed, result, out, "did not create that key")
    assert named.axfr("example.test", read_key(working))[0]


def test_delete_without_any_signer(named, working, ansible_venv):
    failed, result, out = ansible_venv.module("tkey_delete", dict(server="127.0.0.1", port=named.port, key_name="whatever.server"))
    assert_clean_failure(failed, result, out, "nothing can sign")


def test_tsig_key_refuses_to_overwrite_other_files(ansible_venv, tmp_path):
    path = tmp_path / "named.conf"
    path.write_text("options { };\n")
    failed, result, out = ansible_venv.module("tsig_key", dict(name="k", path=str(path)))
    assert_clean_failure(failed, result, out, "is not a key file")
    assert path.read_text() == "options { };\n"


def test_dh_keypair_bad_prime_and_directory(ansible_venv, tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    failed, result, out = ansible_venv.module("dh_keypair", dict(name="server", directory=str(keys), prime="12ab"))
    assert_clean_failure(failed, result, out, "neither a decimal")
    failed, result, out = ansible_venv.module("dh_keypair", dict(name="server", directory=str(keys / "missing")))
    assert_clean_failure(failed, result, out, "does not exist")
    assert os.listdir(str(keys)) == []


def test_a_named_that_says_9_20_gets_no_tkey_query_from_either_module(ansible_venv, tmp_path):
    disguised = NamedServer(str(tmp_path / "disguised"), extra_options='  version "9.20.5";')
    disguised.start()
    try:
        dest = str(tmp_path / "tkey.key")
        failed, result, out = ansible_venv.module("tkey_negotiate", negotiate_args(disguised, dest))
        assert_clean_failure(failed, result, out, "says it runs BIND 9.20.5 (version.bind)")
        failed, result, out = ansible_venv.module("tkey_delete", dict(
            server="127.0.0.1", port=disguised.port, key_name="sec1-x.server",
            tsig_key_file=os.path.join(disguised.directory, "tkeyinit.key")))
        assert_clean_failure(failed, result, out, "no TKEY query was sent")
        assert disguised.tkey_queries() == 0 and not os.path.exists(dest)
    finally:
        disguised.cleanup()
