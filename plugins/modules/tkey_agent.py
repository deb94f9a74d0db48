#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: tkey_agent
short_description: Install or remove dnsops-tkey-renew, the agent that keeps a secondary's TKEY keys current
version_added: 0.2.0
description:
  - Installs the command O(command) and its library, which is the collection's own module_utils exactly as shipped
    with this module (the rollover engine M(dnsops.tkey.tkey_rollover) uses), so the agent and Ansible run the same
    code. It runs on Debian's python3 with python3-dnspython and python3-cryptography; ansible-core is not needed.
  - Writes the agent's configuration O(config_file), JSON with paths and settings but no secret, after checking it.
  - Schedules it. Where systemd is the service manager (C(/run/systemd/system) exists), a oneshot service
    C(dnsops-tkey-renew.service) and a timer C(dnsops-tkey-renew.timer) in C(/etc/systemd/system) (a first run
    O(boot_delay) seconds after boot, then every O(interval) seconds plus up to O(random_delay) seconds,
    C(AccuracySec=1s)), enabled and started; otherwise C(/etc/cron.d/dnsops-tkey-renew) (cron's PATH lacks C(/usr/sbin),
    so the entry sets it).
  - The service runs sandboxed, rated 2.0 or lower by C(systemd-analyze security). The system is read-only to it but for
    the directories it writes, taken from O(config) (C(ReadWritePaths) for each primary's key file, primaries list and
    journal, the state file, the lock file and the metrics file); the state and lock directories are created if missing,
    since the sandbox cannot create them. It keeps only the capabilities C(CAP_CHOWN) and C(CAP_DAC_READ_SEARCH) (and
    C(CAP_DAC_OVERRIDE) in a container whose service manager lacks C(CAP_DAC_READ_SEARCH)), a system call allow-list,
    and IPv4, IPv6 and local sockets. Where every address in O(config) is an IP address, it may exchange IP traffic only
    with the primaries, the local named and loopback (C(IPAddressAllow)), so C(rndc) must find named's control channel there.
  - The cron entry runs the agent without a sandbox.
  - V(state=absent) stops and removes the timer or cron entry, the command, its library, the configuration and the
    metrics file; the state file with the counters and the lock file stay (the lock file is never deleted).
author:
  - dnsops.tkey maintainers (@dnsops)
extends_documentation_fragment:
  - dnsops.tkey.attributes
options:
  state:
    description: Whether the agent is installed.
    type: str
    default: present
    choices: [present, absent]
  config:
    description:
      - The agent's configuration, with the keys C(named) and C(primaries) (each as the options O(dnsops.tkey.tkey_rollover#module:named)
        and O(dnsops.tkey.tkey_rollover#module:primary) of M(dnsops.tkey.tkey_rollover)), C(lock_file), C(lock_timeout), C(state_file)
        and C(metrics_file) (a node_exporter textfile, or empty for none).
      - Required with V(state=present).
    type: dict
  config_file:
    description: Where the configuration is written.
    type: path
    default: /etc/dnsops-tkey/agent.json
  command:
    description: The agent's command.
    type: path
    default: /usr/sbin/dnsops-tkey-renew
  library_dir:
    description: Directory for the agent's Python library.
    type: path
    default: /usr/lib/dnsops-tkey
  interval:
    description:
      - Seconds between runs (cron rounds it to whole minutes below an hour, to whole hours up to a day).
      - After a failed run the agent waits this long before it tries that primary again, twice as long after each
        further failure, up to an hour.
    type: int
    default: 300
  random_delay:
    description: Up to this many seconds are added at random to each run, to spread a fleet's queries.
    type: int
    default: 60
  boot_delay:
    description: Seconds after boot of the first run (systemd).
    type: int
    default: 60
  scheduler:
    description:
      - V(auto) uses systemd where it is the service manager, else cron. V(none) installs no schedule.
    type: str
    default: auto
    choices: [auto, systemd, cron, none]
  run_now:
    description:
      - After the agent, its configuration or its schedule changed, run it once at once and wait for it (bounded by
        O(run_now_timeout)), so that its status and metrics tell the truth about a primary just added; with systemd
        as C(systemctl start dnsops-tkey-renew.service), in the unit's sandbox; otherwise O(command) itself.
      - A failed run is a warning (RV(run_now) says C(failed)), not a failure; the keys were proved by the play, and
        the timer runs it again.
    type: bool
    default: false
    version_added: 1.1.0
  run_now_timeout:
    description: Seconds O(run_now) waits for the agent's run.
    type: int
    default: 300
    version_added: 1.1.0
  metrics_file:
    description:
      - With O(state=absent), a metrics file to remove besides the one the agent's configuration names (which is
        unknown once the configuration is gone).
    type: path
seealso:
  - module: dnsops.tkey.tkey_rollover
requirements:
  - dnspython >= 2.3.0
  - cryptography >= 38.0.0
"""

EXAMPLES = r"""
- name: Install the renewal agent
  dnsops.tkey.tkey_agent:
    config:
      named: {address: 192.0.2.54, xfer_log: /var/log/named/named.log}
      primaries:
        - name: ns1
          address: 192.0.2.53
          initial_key_file: /etc/bind/tkey/tkeyinit-ns1.key
          key_file: /etc/bind/tkey/transfer-ns1.key
          primaries_file: /etc/bind/tkey/primaries-ns1.conf
          key_name: ns2
          zones: [example.com]
"""

RETURN = r"""
files:
  description: The files written or removed (in check mode, to be).
  returned: success
  type: list
  elements: str
scheduler:
  description: How the agent is run, V(systemd) or V(cron) (or V(none)).
  returned: success
  type: str
run_now:
  description: With O(run_now), V(ok) or V(failed) when the agent ran at once, V(none) when nothing changed (or in check mode).
  returned: with O(run_now)
  type: str
  version_added: 1.1.0
"""

import importlib
import ipaddress
import json
import os
import shutil

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dnsops.tkey.plugins.module_utils import _agent, _errors, _files, _module
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import OptionError
from ansible_collections.dnsops.tkey.plugins.module_utils._rollover import PrimarySettings, named_from

PACKAGE = "ansible_collections.dnsops.tkey.plugins.module_utils"

COMMAND = """#!/usr/bin/python3
# dnsops-tkey-renew: keeps this BIND secondary's TKEY transfer keys current (dnsops.tkey).
# Installed by Ansible (dnsops.tkey.tkey_agent); its library is the collection's module_utils in %(library)s.
# Usage: dnsops-tkey-renew [--check] [--status] [--force]; see --help.
import sys

sys.path.insert(0, %(library)r)
from ansible_collections.dnsops.tkey.plugins.module_utils._agent import main  # noqa: E402

raise SystemExit(main())
"""


UNIT_DIR = "/etc/systemd/system"
CRON_FILE = "/etc/cron.d/dnsops-tkey-renew"
SERVICE = """# Installed by Ansible (dnsops.tkey.tkey_agent); do not edit.
[Unit]
Description=Renew this BIND secondary's TKEY transfer keys (dnsops.tkey)
After=named.service network-online.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=%(command)s
# One line per problem goes to the journal: journalctl -u dnsops-tkey-renew

# Sandbox: a root process that parses what the network sends may change no more than its own files.
# The system is read-only but for the directories it writes (key and primaries files, journal, state, lock,
# metrics), taken from its configuration; "-": one that is missing does not stop the unit.
ProtectSystem=strict
ReadWritePaths=%(read_write_paths)s
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
DevicePolicy=closed
PrivateMounts=yes
# Root, with these capabilities only: CAP_CHOWN gives the key files the group bind (named reads them as bind);
# CAP_DAC_READ_SEARCH reads named's log in a directory only bind may enter (/var/log/named, 0750) and rndc's key.%(dac_note)s
CapabilityBoundingSet=CAP_CHOWN %(dac)s
AmbientCapabilities=
NoNewPrivileges=yes
# DNS over UDP and TCP, rndc over TCP; AF_UNIX for name service lookups (the group bind).
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
%(ip_filter)s
# It never changes its user, limits or scheduling; of @privileged only chown stays (the group bind).
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallFilter=@chown
SystemCallErrorNumber=EPERM
SystemCallArchitectures=native
MemoryDenyWriteExecute=yes
LockPersonality=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
KeyringMode=private
UMask=0077
"""
DAC_OVERRIDE_NOTE = """
# This service manager lacks CAP_DAC_READ_SEARCH (a container: podman and docker leave it out), so root reads
# with CAP_DAC_OVERRIDE here."""
CAP_DAC_READ_SEARCH = 2
IP_FILTER = """# IP traffic only with the primaries, this server's named and loopback, where rndc must find named's control
# channel (enforced with cgroup v2; without, systemd starts the unit unfiltered).
IPAddressDeny=any
IPAddressAllow=%s"""
NO_IP_FILTER = "# No IP address filter: %s is not an IP address known before the run."
# What the agent assumes when its configuration leaves these out (_agent.load_config).
AGENT_LOCK_FILE = "/var/lib/dnsops-tkey/lock"
AGENT_STATE_FILE = "/var/lib/dnsops-tkey/state.json"
TIMER = """# Installed by Ansible (dnsops.tkey.tkey_agent); do not edit.
[Unit]
Description=Run dnsops-tkey-renew every %(interval)d seconds

[Timer]
# A first run soon after boot (a primary restarted meanwhile is repaired at once), then every interval, spread
# over the fleet; AccuracySec=1s, or systemd would merge the runs into its default one-minute slots.
OnBootSec=%(boot_delay)d
OnUnitActiveSec=%(interval)d
RandomizedDelaySec=%(random_delay)d
AccuracySec=1s

[Install]
WantedBy=timers.target
"""
CRON = """# Installed by Ansible (dnsops.tkey.tkey_agent); do not edit.
# dnsops-tkey-renew keeps this secondary's TKEY transfer keys current (systemd is not the service manager here).
# cron's PATH lacks /usr/sbin, where rndc lives.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
%(cron_time)s root %(command)s --random-delay %(random_delay)d
"""


def cron_time(interval):
    """The cron time fields nearest to every INTERVAL seconds: whole minutes below an hour, whole hours up to a day."""
    minutes = max(interval // 60, 1)
    if minutes < 60:
        return "*/%d * * * *" % minutes
    hours = minutes // 60
    return "0 */%d * * *" % hours if hours < 24 else "0 0 * * *"


def writable_directories(config):
    """The directories the agent writes in, sorted: each primary's key file's, primaries list's and journal's, the
    state file's (the journals of a key switch may lie beside it), the lock file's and the metrics file's."""
    paths = [config.get("state_file") or AGENT_STATE_FILE, config.get("lock_file") or AGENT_LOCK_FILE, config.get("metrics_file")]
    for values in config["primaries"]:
        primary = PrimarySettings(values)
        paths.extend([primary.key_file, primary.primaries_file, primary.journal_file])
    directories = set()
    for path in paths:
        if not path:
            continue
        if not os.path.isabs(path):
            raise OptionError("config: %s is not an absolute path; the agent's sandbox needs the directories it writes by their full path" % path)
        directories.add(os.path.dirname(os.path.normpath(path)))
    return sorted(directories)


def _unit_text(text):
    """TEXT, refused if it holds what would end a unit file's line or escape its quoting."""
    if any(char in text for char in "\\\"'") or any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise OptionError("config: %r cannot be written into the agent's systemd unit (quotes, backslashes and control "
                          "characters cannot be)" % text)
    return text


def _unit_path(path):
    """PATH as one word of a unit file's path list, "-" first (a missing directory does not stop the unit)."""
    word = "-" + _unit_text(path).replace("%", "%%")  # % starts a systemd specifier
    return '"%s"' % word if any(char.isspace() for char in word) else word


def ip_filter(config):
    """The unit's IPAddressDeny/IPAddressAllow lines: loopback, named's address and the primaries'; a comment instead
    when one of them is not a plain IP address (a host name is resolved at each run)."""
    named = config.get("named") or {}
    addresses = [named.get("address") or "127.0.0.1"] + [values.get("address", "") for values in config["primaries"]]
    allowed = ["localhost"]  # 127.0.0.0/8 and ::1
    for address in addresses:
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            parsed = None
        if parsed is None or getattr(parsed, "scope_id", None):
            return NO_IP_FILTER % _unit_text(str(address))
        if parsed.is_loopback:
            continue
        forms = [parsed.compressed]
        if parsed.version == 6 and parsed.ipv4_mapped is not None:
            # an IPv4-mapped address is reached by IPv4 packets, which the filter sees with the IPv4 address
            forms = [str(parsed.ipv4_mapped), "::ffff:%s" % parsed.ipv4_mapped]
        allowed.extend(form for form in forms if form not in allowed)
    return IP_FILTER % " ".join(allowed)


def _bounding_set(path="/proc/1/status"):
    """The capability bounding set of the service manager (PID 1), as a number; None if it cannot be read."""
    try:
        with open(path) as status:
            for line in status:
                if line.startswith("CapBnd:"):
                    return int(line.split()[1], 16)
    except (IOError, OSError, ValueError, IndexError):
        pass
    return None


def dac_capabilities():
    """(the unit's capabilities besides CAP_CHOWN, a comment): CAP_DAC_READ_SEARCH, or CAP_DAC_OVERRIDE too where the
    service manager lacks it."""
    bounding = _bounding_set()
    if bounding is None or bounding & (1 << CAP_DAC_READ_SEARCH):
        return "CAP_DAC_READ_SEARCH", ""
    return "CAP_DAC_READ_SEARCH CAP_DAC_OVERRIDE", DAC_OVERRIDE_NOTE


def _scheduler(choice):
    if choice != "auto":
        return choice
    return "systemd" if os.path.isdir("/run/systemd/system") else "cron"


def _schedule_files(params, scheduler):
    values = dict(command=params["command"], interval=params["interval"], random_delay=params["random_delay"],
                  boot_delay=params["boot_delay"], cron_time=cron_time(params["interval"]))
    if scheduler == "systemd":
        values.update(read_write_paths=" ".join(_unit_path(path) for path in writable_directories(params["config"])),
                      ip_filter=ip_filter(params["config"]))
        values["dac"], values["dac_note"] = dac_capabilities()
        return {os.path.join(UNIT_DIR, "dnsops-tkey-renew.service"): (SERVICE % values, 0o644),
                os.path.join(UNIT_DIR, "dnsops-tkey-renew.timer"): (TIMER % values, 0o644)}
    if scheduler == "cron":
        return {CRON_FILE: (CRON % values, 0o644)}
    return {}


def _systemctl(module, *args):
    rc, out, err = module.run_command(["systemctl"] + list(args), expand_user_and_vars=False, handle_exceptions=False)
    if rc != 0:
        raise _errors.DnsopsError("systemctl %s failed: %s" % (" ".join(args), (err or out).strip()))
    return out.strip()


def _run_now(module, command, scheduler):
    """Run the agent once, in its sandbox under systemd: 'ok' or 'failed' (a warning says why)."""
    if scheduler == "systemd":
        argv = ["systemctl", "start", "dnsops-tkey-renew.service"]
        where = "journalctl -u dnsops-tkey-renew.service"
    else:
        argv = [command]
        where = "%s --status" % command
    timeout = module.params["run_now_timeout"]
    try:
        rc, out, err = module.run_command(["timeout", str(timeout)] + argv, expand_user_and_vars=False, handle_exceptions=False)
    except OSError as exc:
        rc, out, err = 127, "", str(exc)
    if rc == 0:
        return "ok"
    reason = "timed out after %d s" % timeout if rc == 124 else "exit %d: %s" % (rc, " ".join((err or out).split())[-300:])
    module.warn("the renewal agent's first run failed (%s); see %s; its timer runs it again" % (reason, where))
    return "failed"


def _timer_running(module):
    active = module.run_command(["systemctl", "is-active", "dnsops-tkey-renew.timer"], expand_user_and_vars=False, handle_exceptions=False)[1]
    enabled = module.run_command(["systemctl", "is-enabled", "dnsops-tkey-renew.timer"], expand_user_and_vars=False, handle_exceptions=False)[1]
    return active.strip() == "active" and enabled.strip() == "enabled"


def _library_files(library_dir):
    """{path on the host: content} of the agent's library: the source of each module_utils file this module runs, from
    the loader that loaded it.

    Only PEP 302's get_source(fullname) is asked, which every loader this module meets has: zipimport (AnsiballZ's
    payload), the file system's SourceFileLoader (tests, an unpacked module) and mitogen's importer; get_data and
    resource readers are optional, and mitogen's importer lacks get_data. The files are UTF-8 with LF line ends
    (tests/unit prove it), so each loader's text is the file's exact content.
    """
    target = os.path.join(library_dir, *PACKAGE.split("."))
    files = {}
    for name in _agent.LIBRARY:
        fullname = "%s.%s" % (PACKAGE, name)
        loaded = importlib.import_module(fullname)
        spec = getattr(loaded, "__spec__", None)
        loader = getattr(spec, "loader", None) or getattr(loaded, "__loader__", None)
        source = loader.get_source(fullname) if hasattr(loader, "get_source") else None
        if not isinstance(source, str):
            raise _errors.DnsopsError("cannot install the agent: the source of %s, part of its library, is not available from %r, "
                                      "the loader that ran it" % (fullname, loader))
        files[os.path.join(target, name + ".py")] = source
    return files


def _check_config(config):
    if not isinstance(config, dict):
        raise OptionError("config is required with state=present")
    unknown = sorted(set(config) - set(_agent.CONFIG_FIELDS))
    if unknown:
        raise OptionError("config has unknown keys %s; the keys are %s" % (", ".join(unknown), ", ".join(_agent.CONFIG_FIELDS)))
    if not isinstance(config.get("primaries"), list) or not config["primaries"]:
        raise OptionError("config.primaries must list at least one primary")
    named_from(config.get("named"))
    names = [PrimarySettings(values).name for values in config["primaries"]]
    if len(set(names)) != len(names):
        raise OptionError("config.primaries names a primary twice")


def _previous_metrics_file(config_file):
    """The metrics file the installed configuration names, or None."""
    try:
        text = _files.read_text(config_file)
        config = json.loads(text) if text else None
    except (ValueError, _errors.DnsopsError):
        return None
    value = config.get("metrics_file") if isinstance(config, dict) else None
    return value if isinstance(value, str) and value.startswith("/") else None


def run(module):
    params = module.params
    library_dir, command, config_file = params["library_dir"], params["command"], params["config_file"]
    schedule_paths = [os.path.join(UNIT_DIR, "dnsops-tkey-renew.service"), os.path.join(UNIT_DIR, "dnsops-tkey-renew.timer"), CRON_FILE]
    scheduler = _scheduler(params["scheduler"])
    if params["state"] == "present":
        if params["interval"] < 1:
            raise OptionError("interval must be at least 1 second, not %d" % params["interval"])
        _check_config(params["config"])
        wanted = dict((path, (text, 0o644)) for path, text in _library_files(library_dir).items())
        wanted[command] = (COMMAND % dict(library=library_dir), 0o755)
        config = dict(params["config"], interval=params["interval"])  # where the agent's back-off starts
        wanted[config_file] = (json.dumps(config, indent=1, sort_keys=True) + "\n", 0o644)
        schedule = _schedule_files(params, scheduler)
        wanted.update(schedule)
        changed = sorted(path for path, (text, mode) in wanted.items()
                         if _files.read_text(path) != text or os.stat(path).st_mode & 0o7777 != mode)
        stale = [path for path in schedule_paths if path not in schedule and os.path.exists(path)]
        previous_metrics = _previous_metrics_file(config_file)  # before the new configuration replaces it
        start_timer = scheduler == "systemd" and (bool(set(changed) & set(schedule)) or not _timer_running(module))
        # the sandboxed agent cannot create its state and lock directories (their parents are read-only to it), nor the
        # metrics file's (0755: node_exporter reads it); a metrics directory another account can change is refused now
        own = dict.fromkeys([os.path.dirname(config.get("state_file") or AGENT_STATE_FILE),
                             os.path.dirname(config.get("lock_file") or AGENT_LOCK_FILE)], 0o750)
        if config.get("metrics_file"):
            metrics_dir = os.path.dirname(os.path.abspath(config["metrics_file"]))
            own.setdefault(metrics_dir, 0o755)
            if os.path.isdir(metrics_dir):
                _files.check_directory(metrics_dir, purpose="write the metrics file")
        missing = sorted(directory for directory in own if not os.path.isdir(directory))
        if not module.check_mode:
            for directory in missing:
                _files.make_directory(directory, own[directory], group=None)
            for path in changed:
                directory = os.path.dirname(path)
                if not os.path.isdir(directory):
                    _files.make_directory(directory, 0o755, group=None)
                _files.write_atomic(path, wanted[path][0], mode=wanted[path][1], group="root")
            for path in stale:
                _files.remove(path)
            if start_timer:
                _systemctl(module, "daemon-reload")
                _systemctl(module, "enable", "--now", "dnsops-tkey-renew.timer")
                if set(changed) & set(schedule):
                    _systemctl(module, "restart", "dnsops-tkey-renew.timer")  # a new interval takes effect now
        if previous_metrics and previous_metrics != config.get("metrics_file") and os.path.lexists(previous_metrics):
            stale.append(previous_metrics)  # node_exporter would export its frozen values for ever
            if not module.check_mode:
                _files.remove_anywhere(previous_metrics)
        changed = sorted(set(changed) | set(stale) | set(missing))
        result = dict(changed=bool(changed) or start_timer, files=changed, scheduler=scheduler)
        if params["run_now"]:
            result["run_now"] = _run_now(module, command, scheduler) if result["changed"] and not module.check_mode else "none"
    else:
        config = None
        text = _files.read_text(config_file)
        if text:
            try:
                config = json.loads(text)
            except ValueError:
                config = None
        metrics = config.get("metrics_file") if isinstance(config, dict) else None
        changed = [path for path in dict.fromkeys(schedule_paths + [command, config_file, metrics, params["metrics_file"], library_dir])
                   if path and os.path.exists(path)]
        if not module.check_mode:
            if os.path.exists(schedule_paths[1]) and os.path.isdir("/run/systemd/system"):
                _systemctl(module, "disable", "--now", "dnsops-tkey-renew.timer")
            for path in changed:
                if os.path.isdir(path):
                    shutil.rmtree(path)
                elif path in (metrics, params["metrics_file"]):
                    _files.remove_anywhere(path)  # an earlier release may have written it where others can change things
                else:
                    _files.remove(path)
            if any(path.startswith(UNIT_DIR) for path in changed) and os.path.isdir("/run/systemd/system"):
                _systemctl(module, "daemon-reload")
        result = dict(changed=bool(changed), files=changed, scheduler="none")
    if module._diff:
        result["diff"] = dict(before=dict(files=[]), after=dict(files=result["files"]))
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="present", choices=["present", "absent"]),
            config=dict(type="dict"),
            config_file=dict(type="path", default="/etc/dnsops-tkey/agent.json"),
            command=dict(type="path", default="/usr/sbin/dnsops-tkey-renew"),
            library_dir=dict(type="path", default="/usr/lib/dnsops-tkey"),
            interval=dict(type="int", default=300),
            random_delay=dict(type="int", default=60),
            boot_delay=dict(type="int", default=60),
            scheduler=dict(type="str", default="auto", choices=["auto", "systemd", "cron", "none"]),
            metrics_file=dict(type="path"),
            run_now=dict(type="bool", default=False),
            run_now_timeout=dict(type="int", default=300),
        ),
        required_if=[("state", "present", ["config"])],
        supports_check_mode=True,
    )
    _module.require_libraries(module, "dnspython", "cryptography")
    _module.guarded_run(module, run)


if __name__ == "__main__":
    main()
