# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A real primary and a real secondary named 9.18 on loopback wired for the rollover engine, and the agent run as on
a secondary (Debian's python3 with only the module_utils the role installs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

from ansible_collections.dnsops.tkey.plugins.module_utils import _agent, _rollover
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import read_key_file
from tests.support.named import NamedServer
from tests.support.paths import ROOT


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
            server_public_key=open(self.primary.dh_public_file()).read(), bind_version="9.18.49", signal_zone=self.primary.signal_zone,
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


def started(pair):
    """First run on a fresh secondary (named not running yet), then named started and the proof asked for."""
    first = pair.engine().run()
    assert first.negotiated and first.reason == "absent" and first.named_proof == "pending"
    pair.secondary.start()
    proved = pair.engine().run(prove=True)
    assert proved.reason == "current" and proved.named_proof == "done" and proved.zone_failures == {}
    return first


# --- the agent, run as on a secondary: Debian's python3 with only the module_utils the role installs ---------

def agent_library(tmp_path):
    """A copy of the module_utils files tkey_agent installs for the agent (_agent.LIBRARY), as on the host."""
    target = tmp_path / "lib" / "ansible_collections" / "dnsops" / "tkey" / "plugins" / "module_utils"
    target.mkdir(parents=True)
    for name in _agent.LIBRARY:
        shutil.copy(os.path.join(ROOT, "plugins", "module_utils", name + ".py"), str(target / (name + ".py")))
    return str(tmp_path / "lib")


class Agent(object):
    def __init__(self, pair, tmp_path, metrics=True):
        """METRICS: True (a file in TMP_PATH), False (none), or the metrics file's path."""
        self.library = agent_library(tmp_path)
        self.config = str(tmp_path / "agent.json")
        state_dir = tmp_path / "state"
        state_dir.mkdir()
        self.state_file = str(state_dir / "state.json")
        self.metrics_file = metrics if isinstance(metrics, str) else str(tmp_path / "dnsops_tkey.prom") if metrics else ""
        with open(self.config, "w") as handle:
            json.dump(dict(named=pair.named_settings, primaries=[pair.settings], lock_file=str(state_dir / "lock"),
                           state_file=self.state_file, metrics_file=self.metrics_file, lock_timeout=60), handle)

    def start(self, *args):
        code = ("import sys; sys.path.insert(0, %r); "
                "from ansible_collections.dnsops.tkey.plugins.module_utils._agent import main; sys.exit(main())" % self.library)
        return subprocess.Popen(["/usr/bin/python3", "-c", code, "--config", self.config] + list(args),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, *args):
        proc = self.start(*args)
        out, err = proc.communicate(timeout=120)
        return proc.returncode, out, err

    def state(self):
        with open(self.state_file) as handle:
            return json.load(handle)["primary"]
