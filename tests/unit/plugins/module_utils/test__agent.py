# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The agent's library is exactly what it imports, it never needs ansible-core, and its metrics carry no key name."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _agent
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import OptionError
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import KeyStatement
from tests.support.paths import COLLECTIONS
from tests.support.scripted import INITIAL_SECRET, SERVER_KEY, SIGNAL_ZONE, ScriptedLocalNamed, ScriptedNamed, route_servers_to

PROBE = """
import sys, json
sys.path.insert(0, %r)
import builtins
real_import = builtins.__import__
def guarded(name, *args, **kwargs):
    if name == "ansible" or name.startswith("ansible."):
        raise ImportError("the agent must not need ansible-core: " + name)
    return real_import(name, *args, **kwargs)
builtins.__import__ = guarded
import ansible_collections.dnsops.tkey.plugins.module_utils._agent
prefix = "ansible_collections.dnsops.tkey.plugins.module_utils."
print(json.dumps(sorted(name[len(prefix):] for name in sys.modules if name.startswith(prefix + "_"))))
"""


def test_library_is_the_import_closure_and_needs_no_ansible():
    out = subprocess.run([sys.executable, "-c", PROBE % COLLECTIONS], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == sorted(_agent.LIBRARY)


def test_metrics_have_the_primary_as_the_only_label():
    state = {"ns1": dict(expiration=1795591731, accepted=True, last_check=1795588131, last_renewal=0, renewals_total=3,
                         failures_total=1, key_name="sec1-20261125062851-a3f9.ns1.tkey")}
    text = _agent.render_metrics(state)
    assert 'dnsops_tkey_renewals_total{primary="ns1"} 3' in text
    assert 'dnsops_tkey_key_accepted{primary="ns1"} 1' in text
    assert 'dnsops_tkey_key_expiration_timestamp_seconds{primary="ns1"} 1795591731' in text
    assert "sec1-2026" not in text
    assert all(line.startswith("#") or line.startswith("dnsops_tkey_") for line in text.splitlines())


@pytest.mark.parametrize("text,fragment", [
    (None, "does not exist"),
    ("{", "not valid JSON"),
    ('{"primaries": 3}', "no list of primaries"),
    ('{"primaries": [], "colour": 1}', "unknown settings colour"),
    ('{"primaries": [], "interval": "5m"}', "interval must be a whole number of seconds"),
])
def test_bad_configuration_is_one_line(tmp_path, text, fragment):
    path = tmp_path / "agent.json"
    if text is not None:
        path.write_text(text)
    with pytest.raises(OptionError, match=fragment):
        _agent.load_config(str(path))


class ScriptedAgent(object):
    """The agent's runs (renew_all, in-process) over a scripted primary and a scripted named on this secondary."""

    def __init__(self, tmp_path, monkeypatch, running=True):
        self.primary = ScriptedNamed()
        self.primary.serve("example.test")
        route_servers_to(monkeypatch, self.primary)
        initial = tmp_path / "tkeyinit.key"
        initial.write_text(KeyStatement("tkeyinit", "hmac-sha256", INITIAL_SECRET).render())
        settings = dict(name="ns1", address="192.0.2.1", server_public_key=SERVER_KEY.public_text(), bind_version="9.18.49", signal_zone=SIGNAL_ZONE,
                        initial_key_file=str(initial), key_file=str(tmp_path / "transfer-ns1.key"),
                        primaries_file=str(tmp_path / "primaries-ns1.conf"), key_name="sec1", zones=["example.test"])
        self.named = ScriptedLocalNamed(self.primary, settings["primaries_file"], running=running)
        monkeypatch.setattr(_agent, "named_from", lambda values: self.named)
        self.state_file = tmp_path / "state.json"
        self.config = dict(primaries=[settings], named={}, state_file=str(self.state_file), metrics_file="")
        self.out, self.err = io.StringIO(), io.StringIO()

    def run(self, now):
        return _agent.renew_all(self.config, now=now, out=self.out, err=self.err)

    def unproved(self):
        return json.loads(self.state_file.read_text())["ns1"]["unproved"]


def test_a_key_named_could_not_use_is_proved_again_on_every_run_until_it_works(tmp_path, monkeypatch):
    agent = ScriptedAgent(tmp_path, monkeypatch)
    primary, named = agent.primary, agent.named
    assert agent.run(1000) == 0
    primary.restart()
    named.break_transfer = True  # the new key is negotiated, but named cannot transfer with it
    assert agent.run(2000) == 1 and "the new key stays" in agent.err.getvalue() and "next try in 300 s" in agent.err.getvalue()
    assert agent.unproved() is True
    proofs = len(named.proofs)
    assert agent.run(9000) == 1  # the key is current now, but still not proved: loud again, not a silent exit 0
    assert len(named.proofs) == proofs + 1 and primary.count("negotiate") == 2  # first key, and the one after the restart
    named.break_transfer = False
    assert agent.run(90000) == 0 and len(named.proofs) == proofs + 2
    assert agent.unproved() is False
    assert agent.run(190000) == 0 and len(named.proofs) == proofs + 2  # proved: back to one signed query a run


def test_a_key_switched_to_while_named_was_stopped_is_proved_once_named_runs(tmp_path, monkeypatch):
    agent = ScriptedAgent(tmp_path, monkeypatch, running=False)
    named = agent.named
    assert agent.run(1000) == 0 and "not proved (pending)" in agent.out.getvalue()
    assert agent.unproved() and named.proofs == []
    assert agent.run(2000) == 0  # named still stopped: nothing to prove with
    assert agent.unproved() and named.proofs == []
    named.is_running = True
    named.reconfig()
    assert agent.run(3000) == 0 and len(named.proofs) == 1 and not agent.unproved()
    assert agent.run(4000) == 0 and len(named.proofs) == 1


@pytest.mark.parametrize("jump", [-365 * 86400, -2 * 86400, 400 * 86400])
def test_the_back_off_is_never_longer_than_its_maximum_when_the_clock_jumps(tmp_path, monkeypatch, jump):
    """A failure while the clock ran a year ahead stored a next try a year out; after the clock was put right, every
    run skipped the primary until then. Now a next try beyond now + the maximum is not waited for."""
    agent = ScriptedAgent(tmp_path, monkeypatch)
    real = 1795000000
    agent.primary.down = True
    assert agent.run(real - jump) == 1  # fails at the wrong time: next try stored relative to it
    stored = json.loads(agent.state_file.read_text())["ns1"]["next_try"]
    assert stored == real - jump + 300
    agent.primary.down = False
    agent.err.truncate(0)
    assert agent.run(real) == 0, agent.err.getvalue()  # the clock is right again: tried at once, and it works
    assert "still failing" not in agent.err.getvalue()


def test_the_back_off_is_kept_within_its_maximum(tmp_path, monkeypatch):
    agent = ScriptedAgent(tmp_path, monkeypatch)
    agent.primary.down = True
    assert agent.run(1000) == 1
    assert agent.run(1100) == 1 and "still failing, next try at" in agent.err.getvalue()
    entry = json.loads(agent.state_file.read_text())["ns1"]
    assert entry["next_try"] == 1300 and entry["consecutive_failures"] == 1
