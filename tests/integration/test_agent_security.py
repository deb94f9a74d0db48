# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Issue 12 against a real primary and a real secondary named 9.18 on loopback: a renewal killed (SIGKILL) at each
step is finished by the next run; TKEY only while the primary's signal says 9.18, also with `version none;`; a
metrics directory another account can change is refused (and holds no renewal back)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _tkey, _transport
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import read_key_file
from tests.support.pair import Agent, Pair, agent_library, started

# One forced renewal in a process of its own (Debian's python3 and the agent's library, as on a secondary), killed
# with SIGKILL right after the step named in argv[1] returned.
KILLED_RUN = r"""
import json, os, signal, sys
sys.path.insert(0, sys.argv[3])
from ansible_collections.dnsops.tkey.plugins.module_utils import _files, _localnamed, _rollover, _tkey

def kill_after(owner, name, when=lambda args: True):
    real = getattr(owner, name)
    def wrapper(*args, **kwargs):
        result = real(*args, **kwargs)
        if when(args):
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    setattr(owner, name, wrapper)

step = sys.argv[1]
if step == "key file":
    kill_after(_files, "write_atomic", lambda args: args[0].endswith(".key"))
elif step == "primaries list":
    kill_after(_files, "write_atomic", lambda args: args[0].endswith(".conf"))
elif step == "reconfig":
    kill_after(_localnamed.LocalNamed, "reconfig")
elif step == "proof":
    kill_after(_localnamed.LocalNamed, "prove_transfer")
elif step == "delete":
    kill_after(_tkey, "delete")
config = json.load(open(sys.argv[2]))
_rollover.Rollover(_rollover.PrimarySettings(config["primary"]), _rollover.named_from(config["named"])).run(force=True)
print("not killed")
"""


@pytest.fixture
def pair(tmp_path):
    pair = Pair(tmp_path)
    yield pair
    pair.cleanup()


def _killed_renewal(pair, tmp_path, step):
    config = tmp_path / "killed.json"
    config.write_text(json.dumps(dict(primary=pair.settings, named=pair.named_settings)))
    proc = subprocess.run(["/usr/bin/python3", "-c", KILLED_RUN, step, str(config), agent_library(tmp_path / "killed")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == -signal.SIGKILL, (proc.stdout, proc.stderr)


def _knows(pair, name):
    return _tkey.server_knows_key(_transport.Server("127.0.0.1", pair.primary.port), name)


@pytest.mark.parametrize("step,healer", [
    ("key file", "agent"), ("primaries list", "agent"), ("reconfig", "agent"), ("proof", "module"), ("delete", "agent"),
])
def test_a_renewal_killed_at_each_step_is_finished_by_the_next_run(pair, tmp_path, ansible_venv, step, healer):
    started(pair)
    old = pair.key()[1]
    _killed_renewal(pair, tmp_path, step)
    keys = os.path.dirname(pair.settings["key_file"])
    assert os.path.exists(os.path.join(keys, "pending-primary.json"))  # what the switch still owes
    if healer == "agent":
        code, out, err = Agent(pair, tmp_path).run()
        assert code == 0 and "finishing an interrupted key switch" in out, (out, err)
    else:
        failed, result, out = ansible_venv.module("tkey_rollover", dict(primary=pair.settings, named=pair.named_settings,
                                                                        lock_file=str(tmp_path / "lock")))
        assert not failed and result["changed"] and result["reason"] == "interrupted", out
    in_file = read_key_file(pair.settings["key_file"]).name
    # named itself transfers with the key in its files, and the primary accepts it: a change reaches the secondary
    serial = pair.primary.bump_serial("example.test")
    pair.secondary.rndc("refresh", "example.test")
    assert pair.engine().named.wait_for_serials({"example.test": serial}, 20) == {}
    assert re.search(r"transferred serial %d: TSIG '%s'" % (serial, re.escape(in_file)), open(pair.secondary.log).read())
    if in_file != old:
        assert not _knows(pair, old)  # the superseded key, alive before, is deleted on the primary
    assert not os.path.exists(os.path.join(keys, "pending-primary.json"))
    assert not [name for name in os.listdir(keys) if name.endswith(".tmp")]  # no secret left in a temp file
    queries = pair.primary.tkey_queries()
    again = pair.engine().run()
    assert not again.changed and again.reason == "current" and pair.primary.tkey_queries() == queries


def _hidden_version_pair(tmp_path):
    pair = Pair(tmp_path, primary_options="  version none;")
    started(pair)
    return pair


def test_a_primary_hiding_its_version_negotiates_only_while_its_signal_says_9_18(tmp_path):
    pair = _hidden_version_pair(tmp_path)
    try:
        assert _tkey.bind_version(_transport.Server("127.0.0.1", pair.primary.port)) is None  # version none: hidden
        agent = Agent(pair, tmp_path)
        pair.primary.restart()
        queries = pair.primary.tkey_queries()
        code, out, err = agent.run()
        assert code == 0 and "renewed the transfer key (rejected)" in out, err
        assert pair.primary.tkey_queries() == queries + 1
        # the primary role withdraws the signal on a move to static keys (or never gives it on 9.20)
        for withdrawn in (None, {"bind": "9.18.49", "method": "static"}):
            pair.primary.set_signal(withdrawn)
            pair.primary.restart()
            saved = json.loads(open(agent.state_file).read())
            saved["primary"]["next_try"] = 0
            open(agent.state_file, "w").write(json.dumps(saved))
            code, out, err = agent.run()
            assert code == 1 and "no TKEY query was sent" in err and len(err.splitlines()) == 1, err
            assert pair.primary.tkey_queries() == queries + 1  # the query log: not one more TKEY query
        assert pair.primary.queries(r"query: %s IN TXT [-+]?S" % re.escape(pair.primary.signal_zone)) >= 3  # asked, signed
    finally:
        pair.cleanup()


def test_the_signal_answers_only_the_initial_keys(pair):
    server = _transport.Server("127.0.0.1", pair.primary.port)
    initial = _tkey.tsig_key("tkeyinit", pair.primary.secrets["tkeyinit"], "hmac-sha256")
    assert _tkey.tkey_signal(server, pair.primary.signal_zone, initial) == {"bind": "9.18.49", "method": "tkey"}
    rndc = read_key_file(os.path.join(pair.primary.directory, "rndc.key"))  # a key named knows, not an initial key
    other = _tkey.tsig_key(rndc.name, rndc.secret, rndc.algorithm)
    assert _tkey.tkey_signal(server, pair.primary.signal_zone, other) == {}  # REFUSED by allow-query
    out = subprocess.run(["dig", "-p", str(pair.primary.port), "@127.0.0.1", pair.primary.signal_zone, "TXT"],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    assert "status: REFUSED" in out and "bind=" not in out  # unsigned: nothing


def test_a_metrics_directory_another_account_can_change_is_refused_and_holds_no_renewal_back(pair, tmp_path):
    started(pair)
    prometheus = tmp_path / "prometheus"
    textfiles = prometheus / "node-exporter"
    textfiles.mkdir(parents=True)
    os.chown(str(prometheus), 65534, 65534)  # nobody: could replace node-exporter/ with a directory of its own
    agent = Agent(pair, tmp_path, metrics=str(textfiles / "dnsops_tkey.prom"))
    pair.primary.restart()
    queries = pair.primary.tkey_queries()
    code, out, err = agent.run()
    assert code == 1 and len(err.splitlines()) == 1 and "metrics were not written" in err and "is owned by" in err, err
    assert os.listdir(str(textfiles)) == []  # refused: nothing written there
    assert "renewed the transfer key (rejected)" in out and pair.primary.tkey_queries() == queries + 1  # keys healed anyway
