# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""tkey_agent: the agent's library, command, configuration and schedule (systemd timer or cron), and their removal."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _agent
from ansible_collections.dnsops.tkey.plugins.modules import tkey_agent
from tests.support.files import tree_digest


@pytest.fixture
def host(tmp_path, monkeypatch):
    """Paths of a secondary under tmp_path; systemctl recorded, not run."""
    units, cron = tmp_path / "systemd", tmp_path / "cron.d"
    units.mkdir()
    cron.mkdir()
    monkeypatch.setattr(tkey_agent, "UNIT_DIR", str(units))
    monkeypatch.setattr(tkey_agent, "CRON_FILE", str(cron / "dnsops-tkey-renew"))
    calls, timer = [], {"on": False}

    def systemctl(*args):
        calls.append(args)
        if args[0] == "enable":
            timer["on"] = True

    monkeypatch.setattr(tkey_agent, "_systemctl", systemctl)
    monkeypatch.setattr(tkey_agent, "_timer_running", lambda: timer["on"])
    config = dict(named=dict(address="127.0.0.1"), primaries=[dict(
        name="ns1", address="192.0.2.1", initial_key_file="/etc/bind/tkey/tkeyinit-ns1.key", key_file="/etc/bind/tkey/transfer-ns1.key",
        primaries_file="/etc/bind/tkey/primaries-ns1.conf", key_name="sec1", zones=["example.test"])],
        lock_file=str(tmp_path / "state" / "lock"), state_file=str(tmp_path / "state" / "state.json"), metrics_file=str(tmp_path / "m.prom"))
    args = dict(config=config, config_file=str(tmp_path / "etc" / "agent.json"), command=str(tmp_path / "sbin" / "dnsops-tkey-renew"),
                library_dir=str(tmp_path / "lib"))
    return dict(tmp=tmp_path, units=units, cron=cron, calls=calls, args=args)


def test_systemd_install_check_then_real_then_idempotent(run_module, host):
    args = dict(host["args"], scheduler="systemd", interval=30, random_delay=5)
    check = run_module(tkey_agent, args, check=True)
    assert check.changed and not os.listdir(str(host["units"])) and host["calls"] == []
    real = run_module(tkey_agent, args)
    assert real.changed and real["scheduler"] == "systemd"
    assert host["calls"] == [("daemon-reload",), ("enable", "--now", "dnsops-tkey-renew.timer"), ("restart", "dnsops-tkey-renew.timer")]
    timer = (host["units"] / "dnsops-tkey-renew.timer").read_text()
    assert re.search(r"^OnUnitActiveSec=30$", timer, re.M) and re.search(r"^RandomizedDelaySec=5$", timer, re.M)
    assert re.search(r"^AccuracySec=1s$", timer, re.M) and re.search(r"^OnBootSec=60$", timer, re.M)
    command = host["args"]["command"]
    assert oct(os.stat(command).st_mode & 0o777) == "0o755"
    library = os.path.join(host["args"]["library_dir"], "ansible_collections", "dnsops", "tkey", "plugins", "module_utils")
    assert sorted(os.listdir(library)) == sorted(name + ".py" for name in _agent.LIBRARY)
    written = json.loads(open(host["args"]["config_file"]).read())
    assert written["primaries"][0]["name"] == "ns1" and written["interval"] == args["interval"]  # the back-off starts there
    host["calls"].clear()
    again = run_module(tkey_agent, args)
    assert not again.changed and host["calls"] == []


def test_the_installed_command_runs_on_debians_python3(run_module, host):
    run_module(tkey_agent, dict(host["args"], scheduler="none"))
    proc = subprocess.run(["/usr/bin/python3", host["args"]["command"], "--config", host["args"]["config_file"], "--status"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ns1"]["key_name"] == ""


def test_units_pass_systemd_analyze_verify(run_module, host):
    run_module(tkey_agent, dict(host["args"], scheduler="systemd"))
    units = [str(host["units"] / name) for name in ("dnsops-tkey-renew.service", "dnsops-tkey-renew.timer")]
    proc = subprocess.run(["systemd-analyze", "verify", "--man=no"] + units, capture_output=True, text=True, check=False)
    complaints = [line for line in proc.stderr.splitlines() if "dnsops-tkey-renew." in line and "is not executable" not in line]
    assert complaints == [], proc.stderr
    # the same check sees a fault in the timer we wrote: it reads the units, rather than passing whatever they hold
    spoiled = host["tmp"] / "spoiled"
    spoiled.mkdir()
    timer = open(units[1]).read()
    assert "OnUnitActiveSec=" in timer
    (spoiled / "dnsops-tkey-renew.timer").write_text(re.sub(r"OnUnitActiveSec=\S+", "OnUnitActiveSec=soon", timer))
    (spoiled / "dnsops-tkey-renew.service").write_text(open(units[0]).read())
    proc = subprocess.run(["systemd-analyze", "verify", "--man=no"] + [str(spoiled / os.path.basename(unit)) for unit in units],
                          capture_output=True, text=True, check=False)
    assert [line for line in proc.stderr.splitlines() if "dnsops-tkey-renew." in line and "is not executable" not in line]


def test_cron_entry_where_systemd_is_not_the_service_manager(run_module, host):
    out = run_module(tkey_agent, dict(host["args"], scheduler="cron", interval=300, random_delay=60))
    assert out["scheduler"] == "cron" and host["calls"] == []
    lines = (host["cron"] / "dnsops-tkey-renew").read_text().splitlines()
    assert "PATH=/usr/sbin:/usr/bin:/sbin:/bin" in lines
    assert "*/5 * * * * root %s --random-delay 60" % host["args"]["command"] in lines


def test_switching_to_cron_removes_the_units_and_absent_removes_everything(run_module, host):
    run_module(tkey_agent, dict(host["args"], scheduler="systemd"))
    switched = run_module(tkey_agent, dict(host["args"], scheduler="cron"))
    assert switched.changed and os.listdir(str(host["units"])) == []
    with open(host["args"]["config"]["metrics_file"], "w") as handle:
        handle.write("# metrics\n")
    before = tree_digest(str(host["tmp"]))
    check = run_module(tkey_agent, dict(host["args"], state="absent"), check=True)
    assert check.changed and tree_digest(str(host["tmp"])) == before
    gone = run_module(tkey_agent, dict(host["args"], state="absent"))
    assert gone.changed
    for path in (host["args"]["command"], host["args"]["config_file"], host["args"]["library_dir"],
                 host["args"]["config"]["metrics_file"], str(host["cron"] / "dnsops-tkey-renew")):
        assert not os.path.exists(path), path
    assert not run_module(tkey_agent, dict(host["args"], state="absent")).changed


@pytest.mark.parametrize("change,fragment", [
    (dict(primaries=[]), "at least one primary"),
    (dict(colour=1), "unknown keys colour"),
    (dict(named=dict(port="x")), "named setting port must be int"),
])
def test_a_bad_configuration_is_refused_before_anything_is_written(run_module, host, change, fragment):
    config = dict(host["args"]["config"], **change)
    run_module(tkey_agent, dict(host["args"], config=config, scheduler="cron")).assert_clean_failure(fragment)
    assert not os.path.exists(host["args"]["command"])


@pytest.mark.parametrize("interval,fields", [
    (30, "*/1 * * * *"), (300, "*/5 * * * *"), (3599, "*/59 * * * *"),
    (3600, "0 */1 * * *"), (7200, "0 */2 * * *"), (86400, "0 0 * * *"), (10 * 86400, "0 0 * * *"),
])
def test_cron_runs_as_near_to_the_interval_as_its_fields_allow(interval, fields):
    assert tkey_agent.cron_time(interval) == fields


def test_absent_removes_the_metrics_file_it_is_told_of_when_the_configuration_is_gone(run_module, host):
    run_module(tkey_agent, dict(host["args"], scheduler="cron"))
    metrics = host["args"]["config"]["metrics_file"]
    with open(metrics, "w") as handle:
        handle.write("# metrics\n")
    os.unlink(host["args"]["config_file"])  # removed by hand, or by an earlier run that failed halfway
    gone = run_module(tkey_agent, dict(host["args"], state="absent", metrics_file=metrics))
    assert gone.changed and metrics in gone["files"] and not os.path.exists(metrics)
