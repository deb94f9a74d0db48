# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The rollover engine between a real primary and a real secondary named 9.18 on loopback."""

from __future__ import annotations

import os

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _errors, _rollover
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import read_key_file
from ansible_collections.dnsops.tkey.plugins.module_utils._localnamed import LocalNamed
from tests.support.named import NamedServer


class Pair(object):
    """A primary serving example.test (and other.test, which this secondary's initial key may not transfer),
    and a secondary whose named.conf includes the engine's two files."""

    def __init__(self, tmp_path, primary_options="", zones=("example.test",)):
        self.primary = NamedServer(str(tmp_path / "primary"), zones=("example.test", "other.test"),
                                   initial_keys={"tkeyinit": ["example.test"], "otherinit": ["other.test"]},
                                   extra_options=primary_options)
        self.primary.start()
        keys = tmp_path / "keys"
        keys.mkdir()
        self.settings = dict(
            name="primary", address="127.0.0.1", port=self.primary.port, timeout=5,
            server_public_key=open(self.primary.dh_public_file()).read(), bind_version="9.18.49",
            initial_key_file=os.path.join(self.primary.directory, "tkeyinit.key"),
            key_file=str(keys / "transfer-primary.key"), primaries_file=str(keys / "primaries-primary.conf"),
            key_name="sec1", lifetime=3600, renew_before=600, zones=list(zones),
        )
        zone_statements = "\n".join(
            'zone "%s" { type secondary; file "%s/%s.bk"; primaries { dnsops-tkey-primary; }; };' % (zone, tmp_path / "secondary", zone)
            for zone in zones)
        self.secondary = NamedServer(
            str(tmp_path / "secondary"), zones=(), initial_keys={}, dh="none",
            extra_conf='include "%s";\ninclude "%s";\n%s' % (self.settings["key_file"], self.settings["primaries_file"], zone_statements),
        )
        self.named_settings = dict(rndc=["rndc", "-c", os.path.join(self.secondary.directory, "rndc.conf")],
                                   address="127.0.0.1", port=self.secondary.port, xfer_log=self.secondary.log, transfer_wait=20)

    def engine(self, **changes):
        primary = _rollover.PrimarySettings(dict(self.settings, **changes))
        named = _rollover.named_from(self.named_settings)
        return _rollover.Rollover(primary, named)

    def key(self):
        statement = read_key_file(self.settings["key_file"])
        return ("hmac-md5", statement.name, statement.secret)

    def cleanup(self):
        self.secondary.cleanup()
        self.primary.cleanup()


@pytest.fixture
def pair(tmp_path):
    pair = Pair(tmp_path)
    yield pair
    pair.cleanup()


def _started(pair):
    """First run on a fresh secondary (named not running yet), then named started and the proof asked for."""
    first = pair.engine().run()
    assert first.negotiated and first.reason == "absent" and first.named_proof == "pending"
    pair.secondary.start()
    proved = pair.engine().run(prove=True)
    assert proved.reason == "current" and proved.named_proof == "done" and proved.zone_failures == {}
    return first


def test_first_run_then_idempotent_runs_send_no_tkey(pair):
    first = _started(pair)
    assert pair.primary.tkey_queries() == 1
    assert pair.secondary.serial("example.test") == 2026112501
    assert pair.primary.axfr("example.test", pair.key())[0]
    again = pair.engine().run()
    assert not again.changed and again.reason == "current" and again.key_name == first.key_name
    assert pair.primary.tkey_queries() == 1


def test_primary_restart_heals_with_exactly_one_tkey_query_and_no_deletion(pair):
    first = _started(pair)
    pair.primary.restart()
    queries = pair.primary.tkey_queries()
    healed = pair.engine().run()
    assert healed.reason == "rejected" and healed.named_proof == "done" and healed.zone_failures == {}
    assert healed.superseded_key_name == first.key_name and not healed.deleted_superseded
    assert pair.primary.tkey_queries() == queries + 1  # the negotiation; no deletion of a key the primary lost
    assert not pair.engine().run().changed
    assert pair.primary.tkey_queries() == queries + 1
    # named itself uses the new key: a change on the primary reaches the secondary
    pair.primary.bump_serial("example.test")
    pair.secondary.rndc("refresh", "example.test")
    assert pair.engine().named.wait_for_serials({"example.test": 2026112502}, 20) == {}


def test_forced_rotation_deletes_the_superseded_key(pair):
    first = _started(pair)
    old_key = pair.key()
    rotated = pair.engine().run(force=True)
    assert rotated.reason == "forced" and rotated.deleted_superseded and rotated.key_name != first.key_name
    ok, out = pair.primary.axfr("example.test", old_key)
    assert not ok and "BADKEY" in out
    assert pair.primary.axfr("example.test", pair.key())[0]


def test_a_zone_the_primary_refuses_is_reported_and_the_others_use_the_new_key(tmp_path):
    pair = Pair(tmp_path, zones=("example.test", "other.test", "missing.test"))
    try:
        pair.engine().run()
        pair.secondary.start()
        outcome = pair.engine().run(force=True)
        assert sorted(outcome.zone_failures) == ["missing.test", "other.test"]
        assert "REFUSED" in outcome.zone_failures["other.test"] and "does not serve" in outcome.zone_failures["missing.test"]
        assert outcome.named_proof == "done" and outcome.deleted_superseded
        assert pair.secondary.serial("example.test") == 2026112501
    finally:
        pair.cleanup()


def test_named_that_cannot_prove_the_new_key_rolls_back_to_the_previous_one(pair):
    _started(pair)
    before = open(pair.settings["key_file"]).read(), open(pair.settings["primaries_file"]).read()
    old_key = pair.key()
    pair.named_settings.update(xfer_log=os.path.join(pair.secondary.directory, "not-the-log"), transfer_wait=3)
    with pytest.raises(_errors.RolloverError, match="is back in place") as info:
        pair.engine().run(force=True)
    assert info.value.rolled_back
    assert (open(pair.settings["key_file"]).read(), open(pair.settings["primaries_file"]).read()) == before
    assert pair.primary.axfr("example.test", old_key)[0]
    assert pair.primary.tkey_queries() == 3  # first key, the abandoned one, and its deletion


def test_after_a_restart_a_failed_proof_keeps_the_new_key(pair):
    _started(pair)
    pair.primary.restart()
    pair.named_settings.update(xfer_log=os.path.join(pair.secondary.directory, "not-the-log"), transfer_wait=3)
    with pytest.raises(_errors.RolloverError, match="the new key stays") as info:
        pair.engine().run()
    assert not info.value.rolled_back
    assert pair.primary.axfr("example.test", pair.key())[0]  # never a dead key put back


def test_a_primary_that_says_it_is_9_20_gets_no_tkey_query(tmp_path):
    pair = Pair(tmp_path, primary_options='  version "9.20.5";')
    try:
        with pytest.raises(_errors.UnsupportedServer, match="9.20.5 .version.bind.*no TKEY query was sent"):
            pair.engine().run()
        with pytest.raises(_errors.UnsupportedServer, match="recorded as BIND 9.20.1"):
            pair.engine(bind_version="9.20.1").run()
        assert pair.primary.tkey_queries() == 0
        assert not os.path.exists(pair.settings["key_file"])
    finally:
        pair.cleanup()


def test_local_named_reads_transfers_from_its_log(pair):
    _started(pair)
    named = LocalNamed(pair.named_settings["rndc"], "127.0.0.1", pair.secondary.port, pair.secondary.log, 10)
    assert named.prove_transfer("example.test", pair.key()[1]) == 2026112501
    with pytest.raises(_errors.NamedError, match="no log line naming key"):
        LocalNamed(pair.named_settings["rndc"], "127.0.0.1", pair.secondary.port, pair.secondary.log, 2).prove_transfer(
            "example.test", "some-other-key.server")
