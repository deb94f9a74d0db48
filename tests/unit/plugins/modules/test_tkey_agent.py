# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""tkey_agent: the agent's library, command, configuration and schedule (systemd timer or cron), and their removal."""

from __future__ import annotations

import importlib.machinery
import json
import os
import re
import subprocess
import sys
import types
import zipfile

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _agent
from ansible_collections.dnsops.tkey.plugins.modules import tkey_agent
from tests.support.files import tree_digest
from tests.support.paths import ROOT

MODULE_UTILS = os.path.join(ROOT, "plugins", "module_utils")


@pytest.fixture
def host(tmp_path, monkeypatch):
    """Paths of a secondary under tmp_path; systemctl recorded, not run."""
    units, cron = tmp_path / "systemd", tmp_path / "cron.d"
    units.mkdir()
    cron.mkdir()
    monkeypatch.setattr(tkey_agent, "UNIT_DIR", str(units))
    monkeypatch.setattr(tkey_agent, "CRON_FILE", str(cron / "dnsops-tkey-renew"))
    calls, timer = [], {"on": False}

    def systemctl(_module, *args):
        calls.append(args)
        if args[0] == "enable":
            timer["on"] = True

    monkeypatch.setattr(tkey_agent, "_systemctl", systemctl)
    monkeypatch.setattr(tkey_agent, "_timer_running", lambda _module: timer["on"])
    monkeypatch.setattr(tkey_agent, "_bounding_set", lambda: (1 << 41) - 1)  # a host's service manager: every capability
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


HARDENING = {
    "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes", "DevicePolicy": "closed",
    "PrivateMounts": "yes", "CapabilityBoundingSet": "CAP_CHOWN CAP_DAC_READ_SEARCH", "AmbientCapabilities": "",
    "NoNewPrivileges": "yes", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "IPAddressDeny": "any",
    "SystemCallFilter": ["@system-service", "~@privileged @resources", "@chown"], "SystemCallErrorNumber": "EPERM",
    "SystemCallArchitectures": "native", "MemoryDenyWriteExecute": "yes", "LockPersonality": "yes", "RestrictNamespaces": "yes",
    "RestrictRealtime": "yes", "RestrictSUIDSGID": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes", "ProtectControlGroups": "yes", "ProtectClock": "yes", "ProtectHostname": "yes",
    "ProtectProc": "invisible", "ProcSubset": "pid", "KeyringMode": "private", "UMask": "0077",
}


def _service(host):
    """The [Service] settings of the unit written: {name: value, or a list of the values of a repeated setting}."""
    settings = {}
    for line in (host["units"] / "dnsops-tkey-renew.service").read_text().split("[Service]", 1)[1].splitlines():
        if line and not line.startswith("#"):
            name, _sep, value = line.partition("=")
            settings[name] = value if name not in settings else (settings[name] if isinstance(settings[name], list) else [settings[name]]) + [value]
    return settings


def _spread_config(tmp):
    """Two primaries whose files lie in different directories, an explicit journal, metrics apart."""
    first = dict(name="ns1", address="192.0.2.1", initial_key_file="/etc/bind/tkey/tkeyinit-ns1.key", key_file="/etc/bind/tkey/transfer-ns1.key",
                 primaries_file="/etc/bind/lists/primaries-ns1.conf", key_name="sec1", zones=["example.test"])
    second = dict(name="ns2", address="2001:db8::2", initial_key_file="/etc/bind/tkey/tkeyinit-ns2.key", key_file="/srv/keys/ns2/transfer.key",
                  primaries_file="/srv/keys/ns2/primaries.conf", journal_file="/var/lib/dnsops-journal/pending-ns2.json", key_name="sec1",
                  zones=["example.test"])
    return dict(named=dict(address="192.0.2.54"), primaries=[first, second], lock_file=str(tmp / "run" / "lock"),
                state_file=str(tmp / "state" / "state.json"), metrics_file="/var/lib/prometheus/node-exporter/dnsops_tkey.prom")


def test_the_service_runs_sandboxed_and_may_write_only_where_the_agent_writes(run_module, host):
    config = _spread_config(host["tmp"])
    run_module(tkey_agent, dict(host["args"], config=config, scheduler="systemd"))
    service = _service(host)
    for name, value in HARDENING.items():
        assert service.get(name) == value, name
    # the key files' directories, the primaries lists', the journals' (ns1's beside its key file), state, lock, metrics
    assert service["ReadWritePaths"].split() == [
        "-/etc/bind/lists", "-/etc/bind/tkey", "-/srv/keys/ns2", "-%s" % (host["tmp"] / "run"), "-%s" % (host["tmp"] / "state"),
        "-/var/lib/dnsops-journal", "-/var/lib/prometheus/node-exporter"]
    assert service["IPAddressAllow"] == "localhost 192.0.2.54 192.0.2.1 2001:db8::2"
    assert "PrivateUsers" not in service and "PrivateNetwork" not in service  # both break the agent (fchown to bind; DNS)


def test_without_a_metrics_file_the_state_and_key_directories_remain(run_module, host):
    config = dict(host["args"]["config"], metrics_file="")
    del config["lock_file"], config["state_file"]  # the agent's defaults
    run_module(tkey_agent, dict(host["args"], config=config, scheduler="systemd"), check=True)
    assert tkey_agent.writable_directories(config) == ["/etc/bind/tkey", "/var/lib/dnsops-tkey"]


def test_the_unit_assumes_the_agents_own_defaults(tmp_path):
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(dict(primaries=[])))
    loaded = _agent.load_config(str(path))
    assert (loaded["lock_file"], loaded["state_file"]) == (tkey_agent.AGENT_LOCK_FILE, tkey_agent.AGENT_STATE_FILE)


def test_the_sandboxed_agent_finds_its_state_directory_made(run_module, host):
    args = dict(host["args"], scheduler="systemd")
    state_dir = os.path.dirname(args["config"]["state_file"])
    check = run_module(tkey_agent, args, check=True)
    assert state_dir in check["files"] and not os.path.exists(state_dir)
    real = run_module(tkey_agent, args)
    assert state_dir in real["files"] and oct(os.stat(state_dir).st_mode & 0o777) == "0o750"
    assert not run_module(tkey_agent, args).changed
    cron = run_module(tkey_agent, dict(host["args"], config=dict(args["config"], state_file=str(host["tmp"] / "cron-state" / "s.json")),
                                       scheduler="cron"))
    assert os.path.isdir(str(host["tmp"] / "cron-state")) and cron.changed  # made at install under cron too


def test_a_metrics_directory_another_account_can_change_is_refused_at_install(run_module, host):
    shared = host["tmp"] / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    args = dict(host["args"], config=dict(host["args"]["config"], metrics_file=str(shared / "dnsops_tkey.prom")))
    out = run_module(tkey_agent, args)
    out.assert_clean_failure("refusing to write the metrics file")
    assert os.listdir(str(shared)) == [] and not os.path.exists(args["config_file"])


def test_the_metrics_directory_is_made_readable_for_node_exporter(run_module, host):
    metrics = host["tmp"] / "metrics" / "dnsops_tkey.prom"
    args = dict(host["args"], config=dict(host["args"]["config"], metrics_file=str(metrics)))
    assert run_module(tkey_agent, args).changed
    assert oct(os.stat(str(metrics.parent)).st_mode & 0o777) == "0o755"


@pytest.mark.parametrize("address,allowed", [
    ("192.0.2.1", "IPAddressAllow=localhost 192.0.2.1"),
    ("127.0.10.1", "IPAddressAllow=localhost"),  # loopback, all of 127.0.0.0/8
    ("2001:db8:0::53", "IPAddressAllow=localhost 2001:db8::53"),
    # IPv4-mapped: the packets are IPv4 ones; written as RFC 5952 says on every Python (3.11 writes ::ffff:c000:201)
    ("::ffff:192.0.2.1", "IPAddressAllow=localhost 192.0.2.1 ::ffff:192.0.2.1"),
    ("ns1.example.test", None),  # resolved at each run: no address to allow beforehand
    ("fe80::1%eth0", None),
])
def test_ip_traffic_only_with_the_primaries_named_and_loopback(address, allowed):
    config = dict(named=dict(address="127.0.0.1"), primaries=[dict(name="ns1", address=address)])
    lines = tkey_agent.ip_filter(config).splitlines()
    if allowed is None:
        assert not [line for line in lines if not line.startswith("#")] and address in lines[0]
    else:
        assert [line for line in lines if not line.startswith("#")] == ["IPAddressDeny=any", allowed]


@pytest.mark.parametrize("bounding,capabilities", [
    ((1 << 41) - 1, "CAP_CHOWN CAP_DAC_READ_SEARCH"),
    (0x800405fb, "CAP_CHOWN CAP_DAC_READ_SEARCH CAP_DAC_OVERRIDE"),  # podman's default set: no CAP_DAC_READ_SEARCH
])
def test_root_reads_named_log_with_what_the_service_manager_can_grant(run_module, host, monkeypatch, bounding, capabilities):
    monkeypatch.setattr(tkey_agent, "_bounding_set", lambda: bounding)
    run_module(tkey_agent, dict(host["args"], scheduler="systemd"))
    assert _service(host)["CapabilityBoundingSet"] == capabilities


def test_the_bounding_set_is_read_from_proc_status(tmp_path):
    status = tmp_path / "status"
    status.write_text("Name:\tsystemd\nCapInh:\t0000000000000000\nCapBnd:\t00000000800405fb\n")
    assert tkey_agent._bounding_set(str(status)) == 0x800405fb
    assert tkey_agent._bounding_set(str(tmp_path / "missing")) is None


def test_paths_are_quoted_or_refused_in_the_unit(run_module, host):
    spaced = dict(host["args"]["config"], metrics_file="/var/lib/node exporter/100%.prom")
    run_module(tkey_agent, dict(host["args"], config=spaced, scheduler="systemd"))
    assert '"-/var/lib/node exporter"' in _service(host)["ReadWritePaths"]
    units = [str(host["units"] / name) for name in ("dnsops-tkey-renew.service", "dnsops-tkey-renew.timer")]
    proc = subprocess.run(["systemd-analyze", "verify", "--man=no"] + units, capture_output=True, text=True, check=False)
    assert [line for line in proc.stderr.splitlines() if "dnsops-tkey-renew." in line and "is not executable" not in line] == []
    for bad, fragment in (("relative/m.prom", "not an absolute path"), ("/var/lib/x\nExecStartPre=/bin/sh/m.prom", "cannot be written")):
        out = run_module(tkey_agent, dict(host["args"], config=dict(host["args"]["config"], metrics_file=bad), scheduler="systemd"))
        out.assert_clean_failure(fragment)


def test_systemd_analyze_security_rates_the_service_2_or_lower(run_module, host):
    run_module(tkey_agent, dict(host["args"], config=_spread_config(host["tmp"]), scheduler="systemd"))
    proc = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager", str(host["units"] / "dnsops-tkey-renew.service")],
                          capture_output=True, text=True, check=False)
    if "--offline" in proc.stderr:
        pytest.skip("this systemd-analyze has no --offline (systemd before 250)")
    exposure = re.findall(r"Overall exposure level for \S+: ([0-9]+\.[0-9])", proc.stdout)
    assert exposure and float(exposure[0]) <= 2.0, proc.stdout


def test_a_changed_metrics_path_removes_the_old_file_even_where_others_can_change_things(run_module, host):
    """An earlier release documented /var/lib/prometheus/node-exporter: moving away from it, or turning the agent off,
    must not fail on that directory, and the old file must not be exported frozen for ever."""
    old_dir = host["tmp"] / "prometheus" / "node-exporter"
    old_dir.mkdir(parents=True)
    old_dir.chmod(0o777)
    old = old_dir / "dnsops_tkey.prom"
    old.write_text("dnsops_tkey_key_accepted 1\n")
    args = host["args"]
    installed = json.loads(json.dumps(args["config"]))
    installed["metrics_file"] = str(old)
    os.makedirs(os.path.dirname(args["config_file"]))
    with open(args["config_file"], "w") as handle:
        json.dump(installed, handle)
    out = run_module(tkey_agent, args)
    assert out.changed and str(old) in out["files"] and not old.exists()
    old.write_text("dnsops_tkey_key_accepted 1\n")
    with open(args["config_file"], "w") as handle:
        json.dump(installed, handle)
    gone = run_module(tkey_agent, dict(args, state="absent"))
    assert not gone.failed and not old.exists()


def _installed_library(library_dir):
    """{name.py: bytes} of the agent's library under LIBRARY_DIR."""
    library = os.path.join(library_dir, *tkey_agent.PACKAGE.split("."))
    return dict((name, open(os.path.join(library, name), "rb").read()) for name in sorted(os.listdir(library)))


def _shipped_library():
    """{name.py: bytes} of the collection's module_utils that make the agent's library."""
    return dict((name + ".py", open(os.path.join(MODULE_UTILS, name + ".py"), "rb").read()) for name in _agent.LIBRARY)


def test_the_library_files_are_utf8_with_lf_so_every_loaders_source_is_the_file():
    # get_source gives text: the file system's loader decodes with universal newlines (CRLF would become LF) and
    # honours a BOM and coding cookie, zipimport and mitogen decode UTF-8 as it is; with UTF-8, LF and no BOM all agree
    for name, data in _shipped_library().items():
        assert b"\r" not in data and not data.startswith(b"\xef\xbb\xbf"), name
        data.decode("utf-8")


def test_the_installed_library_is_byte_identical_to_module_utils(run_module, host):
    run_module(tkey_agent, dict(host["args"], scheduler="none"))
    assert _installed_library(host["args"]["library_dir"]) == _shipped_library()


class SourceOnlyLoader(object):
    """A loader like mitogen's Importer: PEP 302 get_source(fullname) and nothing to read files (no get_data, no
    get_resource_reader); its modules' __file__ is a name on the controller ("master:..."), no path on this host."""

    def __init__(self, sources):
        self.sources = sources

    def get_source(self, fullname):
        return self.sources.get(fullname)


def _modules_from(loader, monkeypatch):
    """Put the package and the agent's library in sys.modules as LOADER's modules, the way mitogen's importer makes them."""
    package = types.ModuleType(tkey_agent.PACKAGE)
    package.__spec__ = importlib.machinery.ModuleSpec(tkey_agent.PACKAGE, loader, is_package=True)
    package.__path__, package.__loader__, package.__file__ = [], loader, "master:" + MODULE_UTILS
    monkeypatch.setitem(sys.modules, tkey_agent.PACKAGE, package)
    for name in _agent.LIBRARY:
        fullname = "%s.%s" % (tkey_agent.PACKAGE, name)
        module = types.ModuleType(fullname)
        module.__spec__ = importlib.machinery.ModuleSpec(fullname, loader, origin="master:/nowhere/%s.py" % name)
        module.__loader__, module.__file__ = loader, module.__spec__.origin
        monkeypatch.setitem(sys.modules, fullname, module)


def test_the_library_comes_from_a_loader_with_only_get_source_as_under_mitogen(run_module, host, monkeypatch):
    sources = dict(("%s.%s" % (tkey_agent.PACKAGE, name[:-3]), data.decode("utf-8")) for name, data in _shipped_library().items())
    _modules_from(SourceOnlyLoader(sources), monkeypatch)
    files = tkey_agent._library_files(host["args"]["library_dir"])  # pylint: disable=protected-access
    assert sorted(os.path.basename(path) for path in files) == sorted(_shipped_library())
    out = run_module(tkey_agent, dict(host["args"], scheduler="none"))
    assert not out.failed, out.result
    assert _installed_library(host["args"]["library_dir"]) == _shipped_library()


def test_a_loader_without_the_source_fails_in_one_line_before_anything_is_written(run_module, host, monkeypatch):
    _modules_from(SourceOnlyLoader({}), monkeypatch)
    run_module(tkey_agent, dict(host["args"], scheduler="none")).assert_clean_failure("_agent, part of its library, is not available")
    assert not os.path.exists(host["args"]["library_dir"]) and not os.path.exists(host["args"]["command"])


ZIPPED_RUN = """
import json, sys, zipimport
sys.path.insert(0, sys.argv[1])
from ansible_collections.dnsops.tkey.plugins.modules import tkey_agent
from ansible_collections.dnsops.tkey.plugins.module_utils import _agent
assert isinstance(_agent.__spec__.loader, zipimport.zipimporter), _agent.__spec__.loader
print(json.dumps(tkey_agent._library_files(sys.argv[2])))
"""


def test_the_library_comes_from_a_zip_as_in_ansiballz(tmp_path):
    """The module and its module_utils imported from a zip, as AnsiballZ's payload is, on a python without the checkout."""
    payload = str(tmp_path / "payload.zip")
    with zipfile.ZipFile(payload, "w") as archive:
        for package in ("ansible_collections", "ansible_collections/dnsops", "ansible_collections/dnsops/tkey",
                        "ansible_collections/dnsops/tkey/plugins", "ansible_collections/dnsops/tkey/plugins/modules",
                        "ansible_collections/dnsops/tkey/plugins/module_utils"):
            archive.writestr(package + "/__init__.py", "")
        archive.write(os.path.join(ROOT, "plugins", "modules", "tkey_agent.py"), "ansible_collections/dnsops/tkey/plugins/modules/tkey_agent.py")
        for name in os.listdir(MODULE_UTILS):
            if name.endswith(".py"):
                archive.write(os.path.join(MODULE_UTILS, name), "ansible_collections/dnsops/tkey/plugins/module_utils/" + name)
    # -I: neither the checkout nor PYTHONPATH, only the interpreter's site-packages (ansible-core) and the zip
    proc = subprocess.run([sys.executable, "-I", "-c", ZIPPED_RUN, payload, str(tmp_path / "lib")], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    files = json.loads(proc.stdout)
    assert dict((os.path.basename(path), text.encode("utf-8")) for path, text in files.items()) == _shipped_library()


@pytest.fixture
def commands(monkeypatch):
    """Every command the module runs through run_command, answered by RC (no command runs)."""
    from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel

    seen = dict(argv=[], rc=0)

    def run_command(_module, argv, **_kwargs):
        seen["argv"].append(list(argv))
        return seen["rc"], "", "boom" if seen["rc"] else ""

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    return seen


def test_run_now_starts_the_sandboxed_service_once_after_a_change(run_module, host, commands):
    args = dict(host["args"], scheduler="systemd", run_now=True)
    assert run_module(tkey_agent, args, check=True)["run_now"] == "none" and commands["argv"] == []
    first = run_module(tkey_agent, args)
    assert first["run_now"] == "ok"
    assert commands["argv"] == [["timeout", "300", "systemctl", "start", "dnsops-tkey-renew.service"]]
    again = run_module(tkey_agent, args)
    assert not again.changed and again["run_now"] == "none" and len(commands["argv"]) == 1


def test_a_failed_first_run_is_a_warning(run_module, host, commands):
    commands["rc"] = 1
    out = run_module(tkey_agent, dict(host["args"], scheduler="cron", run_now=True, run_now_timeout=30))
    assert not out.failed and out["run_now"] == "failed"
    assert commands["argv"] == [["timeout", "30", host["args"]["command"]]]
    assert "the renewal agent's first run failed (exit 1: boom)" in out.text  # a warning (its form differs across ansible-core)
