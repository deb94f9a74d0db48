# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The rollover engine between a real primary and a real secondary named 9.18 on loopback."""

from __future__ import annotations

import fcntl
import json
import os
import re
import threading
import time

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _errors, _tkey, _transport
from ansible_collections.dnsops.tkey.plugins.module_utils._localnamed import LocalNamed
from tests.support.pair import Agent, Pair, started


@pytest.fixture
def pair(tmp_path):
    pair = Pair(tmp_path)
    yield pair
    pair.cleanup()


def test_first_run_then_idempotent_runs_send_no_tkey(pair):
    first = started(pair)
    assert pair.primary.tkey_queries() == 1
    assert pair.secondary.serial("example.test") == 2026112501
    assert pair.primary.axfr("example.test", pair.key())[0]
    again = pair.engine().run()
    assert not again.changed and again.reason == "current" and again.key_name == first.key_name
    assert pair.primary.tkey_queries() == 1


def test_primary_restart_heals_with_exactly_one_tkey_query_and_no_deletion(pair):
    first = started(pair)
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


def test_a_zone_changed_while_the_key_was_dead_is_refreshed_at_once_after_healing(pair):
    started(pair)
    pair.primary.restart()
    serial = pair.primary.bump_serial("example.test")  # the secondary's refresh now fails: tsig indicates error
    pair.secondary.rndc("refresh", "example.test")
    healed = pair.engine().run()
    assert healed.reason == "rejected" and healed.zone_failures == {}
    assert pair.secondary.serial("example.test") == serial


def test_forced_rotation_deletes_the_superseded_key(pair):
    first = started(pair)
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
    started(pair)
    before = open(pair.settings["key_file"]).read(), open(pair.settings["primaries_file"]).read()
    old_key = pair.key()
    pair.named_settings.update(xfer_log=os.path.join(pair.secondary.directory, "not-the-log"), transfer_wait=3)
    with pytest.raises(_errors.RolloverError, match="is back in place") as info:
        pair.engine().run(force=True)
    assert info.value.rolled_back
    assert (open(pair.settings["key_file"]).read(), open(pair.settings["primaries_file"]).read()) == before
    assert pair.primary.axfr("example.test", old_key)[0]
    abandoned = re.search(r"the new key (\S+) does not work", str(info.value)).group(1)
    assert not _tkey.server_knows_key(_transport.Server("127.0.0.1", pair.primary.port), abandoned)
    assert pair.primary.tkey_queries() == 3  # first key, the abandoned one, and its deletion


def test_after_a_restart_a_failed_proof_keeps_the_new_key(pair):
    started(pair)
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
    started(pair)
    named = LocalNamed(pair.named_settings["rndc"], "127.0.0.1", pair.secondary.port, pair.secondary.log, 10)
    assert named.prove_transfer("example.test", pair.key()[1]) == 2026112501
    with pytest.raises(_errors.NamedError, match="no log line naming key"):
        LocalNamed(pair.named_settings["rndc"], "127.0.0.1", pair.secondary.port, pair.secondary.log, 2).prove_transfer(
            "example.test", "some-other-key.server")


def test_agent_heals_a_restart_with_one_tkey_query_and_then_sends_none(pair, tmp_path):
    started(pair)
    agent = Agent(pair, tmp_path)
    assert agent.run() == (0, "", "")  # nothing due: silent
    pair.primary.restart()
    queries = pair.primary.tkey_queries()
    code, out, err = agent.run()
    assert code == 0 and err == "", err
    assert "renewed the transfer key (rejected)" in out and len(out.splitlines()) == 2
    assert pair.primary.tkey_queries() == queries + 1
    assert agent.run() == (0, "", "")
    assert pair.primary.tkey_queries() == queries + 1
    assert pair.primary.axfr("example.test", pair.key())[0]
    state = agent.state()
    assert (state["renewals_total"], state["failures_total"], state["accepted"]) == (1, 0, True)
    metrics = open(agent.metrics_file).read()
    assert 'dnsops_tkey_renewals_total{primary="primary"} 1' in metrics and 'dnsops_tkey_key_accepted{primary="primary"} 1' in metrics
    assert pair.key()[1] not in metrics and pair.key()[2] not in metrics + out
    assert oct(os.stat(agent.metrics_file).st_mode & 0o777) == "0o644"
    assert not [name for name in os.listdir(str(tmp_path)) if name.endswith(".tmp")]
    status = json.loads(agent.run("--status")[1])["primary"]
    assert status["key_name"] == pair.key()[1] and status["renewals_total"] == 1


def test_agent_backs_off_while_the_primary_fails_and_says_so(pair, tmp_path):
    started(pair)
    agent = Agent(pair, tmp_path)
    pair.primary.stop()
    code, out, err = agent.run()
    assert code == 1 and len(err.splitlines()) == 1 and "next try in 300 s" in err, err  # one timer interval
    pair.primary.start()  # back, but without the key: only the next try (after the back-off) may negotiate
    pair.primary.restart()
    queries = pair.primary.tkey_queries()
    code, out, err = agent.run()
    assert code == 1 and "still failing, next try at" in err and pair.primary.tkey_queries() == queries
    state = agent.state()
    assert state["consecutive_failures"] == 1 and state["failures_total"] == 1 and not state["accepted"]
    with open(agent.state_file) as handle:  # the back-off has passed
        saved = json.load(handle)
    saved["primary"]["next_try"] = 0
    with open(agent.state_file, "w") as handle:
        json.dump(saved, handle)
    code, out, err = agent.run()
    assert code == 0 and "renewed the transfer key (rejected)" in out, err
    assert pair.primary.tkey_queries() == queries + 1
    assert 'dnsops_tkey_failures_total{primary="primary"} 1' in open(agent.metrics_file).read()


def test_agent_check_mode_changes_nothing(pair, tmp_path):
    started(pair)
    agent = Agent(pair, tmp_path)
    pair.primary.restart()
    before = open(pair.settings["key_file"]).read()
    code, out, err = agent.run("--check")
    assert code == 0 and "would negotiate a new key (rejected)" in out, err
    assert open(pair.settings["key_file"]).read() == before and not os.path.exists(agent.state_file)
    assert pair.primary.tkey_queries() == 1


def test_agent_and_module_at_the_same_moment_leave_one_key(pair, tmp_path, ansible_venv):
    started(pair)
    agent = Agent(pair, tmp_path)
    pair.primary.restart()
    queries = pair.primary.tkey_queries()
    lock_file = os.path.join(os.path.dirname(agent.state_file), "lock")
    results = []
    with open(lock_file, "a") as held:  # both start while the lock is held, so they must meet on it
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        proc = agent.start()
        module = threading.Thread(target=lambda: results.append(ansible_venv.module("tkey_rollover", dict(
            primary=pair.settings, named=pair.named_settings, lock_file=lock_file))))
        module.start()
        time.sleep(3)
        assert proc.poll() is None and module.is_alive() and pair.primary.tkey_queries() == queries  # both wait
    module.join(120)
    failed, result, out = results[0]
    agent_out, agent_err = proc.communicate(timeout=120)
    assert not failed and proc.returncode == 0, (out, agent_err)
    assert pair.primary.tkey_queries() == queries + 1  # whoever came second found the key current
    assert pair.primary.axfr("example.test", pair.key())[0]
    assert result["key_name"] == pair.key()[1]
