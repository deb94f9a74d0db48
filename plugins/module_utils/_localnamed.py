# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""The secondary's own named, as the rollover engine drives and watches it: rndc, its xfer-in log, its serials.

Observed on BIND 9.18.49: `rndc reconfig` applies a changed key in a primaries list to existing zones, and
each transfer named makes logs `zone Z/IN: transferred serial N: TSIG 'KEY'`; a failed one logs
`transfer of 'Z/IN' from ADDRESS#PORT: Transfer status: ERROR`. Pure Python; nothing here imports Ansible.

rndc and journalctl run through subprocess, not AnsibleModule.run_command, which ansible-test 2.21's pylint asks
for: the renewal agent runs this code outside Ansible, where there is no AnsibleModule (_agent.LIBRARY).
"""

from __future__ import annotations

import json
import re
import subprocess
import time

try:
    import dns.rcode
except ImportError:  # reported by _deps before anything here is used
    pass

from ansible_collections.dnsops.tkey.plugins.module_utils import _files
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import DnsopsError, NamedError, TkeyError
from ansible_collections.dnsops.tkey.plugins.module_utils._tkey import soa_query
from ansible_collections.dnsops.tkey.plugins.module_utils._transport import Server

_TRANSFERRED_RE = re.compile(r"zone (?P<zone>\S+)/IN: transferred serial (?P<serial>\d+): TSIG '(?P<key>[^']+)'")
_STATUS_RE = re.compile(r"transfer of '(?P<zone>[^/']+)/IN' from \S+: Transfer status: (?P<status>.+)$")
# While a refresh runs, `rndc retransfer` does nothing: ask again this often until a transfer shows.
RETRANSFER_EVERY = 5.0
# named's log and the journal belong to other accounts (bind owns /var/log/named): never read more than this at once.
LOG_READ_LIMIT = 4 << 20


class LocalNamed(object):
    """RNDC (argv prefix), the address and port named answers on, and where its xfer-in category logs to: a file,
    or 'journal' (or 'journal:UNIT') where named logs to syslog under systemd."""

    def __init__(self, rndc=("rndc",), address="127.0.0.1", port=53, xfer_log=None, transfer_wait=30.0, timeout=5.0):
        self.rndc_argv = list(rndc)
        self.address = address
        self.port = int(port)
        self.xfer_log = xfer_log
        self.transfer_wait = float(transfer_wait)
        self.server = Server(address, self.port, "tcp", timeout)
        self.udp = Server(address, self.port, "udp", timeout)

    def rndc(self, *args, **kwargs):
        """Run rndc ARGS; return its output, or raise NamedError with what it said (check=False: return None)."""
        try:
            proc = subprocess.run(self.rndc_argv + list(args), capture_output=True, text=True, timeout=60, check=False)  # pylint: disable=ansible-bad-function
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NamedError("cannot run %s: %s; is bind9 installed?" % (" ".join(self.rndc_argv), exc))
        if proc.returncode != 0:
            if not kwargs.get("check", True):
                return None
            said = (proc.stderr or proc.stdout).strip().splitlines()
            raise NamedError("rndc %s failed: %s" % (" ".join(args), said[-1] if said else "exit %d" % proc.returncode))
        return proc.stdout

    def running(self):
        """Whether named runs: True if it answers rndc, False if nothing listens on its control channel (stopped).

        Any other rndc failure (a timeout, a refused key) is a NamedError: named may run with a key in memory.
        """
        try:
            proc = subprocess.run(self.rndc_argv + ["status"], capture_output=True, text=True, timeout=60, check=False)  # pylint: disable=ansible-bad-function
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NamedError("cannot run %s status: %s" % (" ".join(self.rndc_argv), exc))
        if proc.returncode == 0:
            return True
        said = (proc.stderr + proc.stdout).strip()
        if "connection refused" in said.lower():
            return False
        raise NamedError("rndc status failed: %s; check named and its control channel" % (said.splitlines() or ["exit %d" % proc.returncode])[-1])

    def serves(self, zone):
        """Whether named has ZONE in its configuration: it answers SOA (loaded) or SERVFAIL (configured, waiting for
        its first transfer). One UDP query, not an rndc call per zone; only a REFUSED (no such zone, or an
        allow-query that excludes this address) costs an rndc zonestatus to tell the two apart."""
        try:
            rcode, _serial = soa_query(self.udp, zone)
        except TkeyError:
            return True  # cannot tell: let the proof find out
        if rcode in (dns.rcode.NOERROR, dns.rcode.SERVFAIL):
            return True
        return rcode == dns.rcode.REFUSED and self.rndc("zonestatus", zone, check=False) is not None

    def refresh(self, zone):
        """Ask named to check ZONE's serial with its primary now (after a key change, rather than at the SOA retry)."""
        self.rndc("refresh", zone, check=False)

    def reconfig(self):
        """Make named read its configuration again; a changed key in a primaries list applies to existing zones."""
        self.rndc("reconfig")

    def serial(self, zone):
        """The zone's serial here, or None while named does not serve it (not transferred yet)."""
        try:
            return soa_query(self.udp, zone)[1]
        except TkeyError:
            return None

    def log_position(self):
        """Where the xfer-in log ends now: (file size, 0), or for the journal (now, no cursor yet)."""
        if self._journal_unit() is not None:
            return (int(time.time()) - 1, "")
        return (_files.size_of(self.xfer_log) if self.xfer_log else 0, 0)

    def _journal_unit(self):
        """'named' for xfer_log 'journal', UNIT for 'journal:UNIT', None for a file."""
        if self.xfer_log and (self.xfer_log == "journal" or self.xfer_log.startswith("journal:")):
            return self.xfer_log.partition(":")[2] or "named"
        return None

    def _log_lines_since(self, position):
        """(complete lines logged after POSITION, the position after them); at most LOG_READ_LIMIT bytes a call."""
        unit = self._journal_unit()
        if unit is not None:
            # one JSON object per entry with its cursor: the next call goes on after the last entry read, so a slice
            # cut at LOG_READ_LIMIT loses nothing however busy the journal is
            since, cursor = position
            argv = ["journalctl", "-u", unit, "-o", "json", "--output-fields=MESSAGE", "--no-pager"]
            argv += ["--after-cursor", cursor] if cursor else ["--since", "@%d" % since]
            data = _bounded_output(argv, LOG_READ_LIMIT)
            lines = []
            for raw in data[:data.rfind(b"\n") + 1].splitlines():
                try:
                    entry = json.loads(raw)
                except ValueError:
                    continue
                if not isinstance(entry, dict):
                    continue
                cursor = entry.get("__CURSOR") if isinstance(entry.get("__CURSOR"), str) else cursor
                message = entry.get("MESSAGE")
                if isinstance(message, list):  # journald's JSON for a message that is not valid UTF-8
                    message = bytes(octet for octet in message if isinstance(octet, int) and 0 <= octet < 256).decode("utf-8", "replace")
                if isinstance(message, str):
                    lines.append(message)
            return lines, (since, cursor)
        try:
            data, offset = _files.read_tail(self.xfer_log, position[0], LOG_READ_LIMIT)
        except (DnsopsError, TypeError) as exc:
            raise NamedError("cannot read named's xfer-in log %s (%s); set the log file the secondary's named writes" % (self.xfer_log, exc))
        complete = data[:data.rfind(b"\n") + 1]  # a line still being written is read next time
        if not complete and len(data) >= LOG_READ_LIMIT:
            complete = data  # one line longer than the limit: skip it rather than read it whole
        return complete.decode("utf-8", "replace").splitlines(), (offset + len(complete), 0)

    def prove_transfer(self, zone, key_name):
        """Make named transfer ZONE now and see in its log that the transfer used KEY_NAME; raise NamedError if not.

        Equal serials prove nothing, so the proof is named's own log line naming the TSIG key.
        """
        if not self.xfer_log:
            raise NamedError("no xfer-in log is configured, so named's own transfer with the new key cannot be proved")
        position = self.log_position()
        started = time.monotonic()
        deadline, asked = started + self.transfer_wait, 0.0
        wanted_zone, wanted_key = zone.rstrip(".").lower(), key_name.rstrip(".").lower()
        failures = []
        while time.monotonic() < deadline:
            if time.monotonic() - asked >= RETRANSFER_EVERY:
                self.rndc("retransfer", zone)
                asked = time.monotonic()
            lines, position = self._log_lines_since(position)
            for line in lines:
                done = _TRANSFERRED_RE.search(line)
                if done and done.group("zone").lower() == wanted_zone and done.group("key").rstrip(".").lower() == wanted_key:
                    return int(done.group("serial"))
                status = _STATUS_RE.search(line)
                if status and status.group("zone").lower() == wanted_zone and status.group("status").strip() != "success":
                    failures.append(status.group("status").strip())
            # a transfer already running with the old key may fail on its own: give up on the second failure
            if len(failures) >= 2:
                raise NamedError("named's transfer of %s with the new key %s failed: %s" % (zone, key_name, failures[-1]))
            time.sleep(0.2)
        raise NamedError(
            "named did not transfer %s within %gs after rndc retransfer (no log line naming key %s in %s%s)"
            % (zone, self.transfer_wait, key_name, self.xfer_log, "; last failure: %s" % failures[-1] if failures else "")
        )

    def wait_for_serials(self, wanted, seconds):
        """Wait until each zone of WANTED ({zone: serial}) has at least that serial here; return {zone: serial here} of the laggards.

        Zones behind are refreshed at once: after a primary restart their refreshes failed, and named would
        otherwise wait for the SOA retry timer.
        """
        deadline = time.monotonic() + seconds
        lagging = dict(wanted)
        refreshed = False
        while True:
            for zone in list(lagging):
                here = self.serial(zone)
                if here is not None and _serial_ge(here, wanted[zone]):
                    del lagging[zone]
                else:
                    lagging[zone] = here
            if not lagging or time.monotonic() >= deadline:
                return lagging
            if not refreshed:
                for zone in lagging:
                    self.refresh(zone)
                refreshed = True
            time.sleep(0.5)


def _bounded_output(argv, limit, timeout=60):
    """At most LIMIT bytes of what ARGV prints (the journal may hold anything): the rest is not read."""
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # pylint: disable=ansible-bad-function
    except OSError as exc:
        raise NamedError("cannot read named's messages from the journal (%s); set the log file named writes" % exc)
    try:
        chunks, left, deadline = [], limit, time.monotonic() + timeout
        while left > 0 and time.monotonic() < deadline:
            chunk = proc.stdout.read1(min(left, 65536)) if hasattr(proc.stdout, "read1") else proc.stdout.read(min(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=timeout)


def _serial_ge(a, b):
    """RFC 1982: whether serial A is B or later."""
    return a == b or (a - b) % 2 ** 32 < 2 ** 31
