# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A real named (Debian's bind9 9.18) on 127.0.0.1 for tests and benchmarks.

Each NamedServer lives in its own directory, listens on unprivileged ports on loopback only, never
recurses (recursion no; dnssec-validation no) and is controlled by PID. Nothing here is mocked.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time

ZONE_TEMPLATE = """$TTL 300
@   IN SOA ns.{zone}. hostmaster.{zone}. {serial} 3600 600 86400 300
@   IN NS  ns.{zone}.
ns  IN A   127.0.0.1
www IN A   192.0.2.1
txt IN TXT "zone {zone}"
"""


def free_port():
    """A port free on 127.0.0.1 for both TCP and UDP (bounded number of attempts)."""
    for _attempt in range(50):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 0))
        port = tcp.getsockname()[1]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            udp.close()
            tcp.close()
        return port
    raise RuntimeError("no free port on 127.0.0.1")


def run(args, check=True, timeout=60, **kwargs):
    """subprocess.run with text output captured; raises on failure unless CHECK is false."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    return subprocess.run(args, check=check, timeout=timeout, **kwargs)


class NamedServer(object):
    """named with a DH server key (tkey-domain/tkey-dhkey), initial keys and primary zones.

    initial_keys: {key name: [zones it may transfer]}; zones: list of zone names.
    dh: 'dnssec-keygen' (BIND's own tool), 'none' (no TKEY configured), or a callable(directory) -> key id
    that makes the key some other way (for example with the dh_keypair module).
    """

    def __init__(self, directory, zones=("example.test",), initial_keys=None, dh_size=768, dh="dnssec-keygen",
                 tkey_domain="server", dh_name="server", initial_algorithm="hmac-sha256", extra_conf="", extra_options="",
                 signal="default"):
        self.directory = os.path.abspath(directory)
        os.makedirs(self.directory, exist_ok=True)
        self.zones = list(zones)
        self.initial_keys = initial_keys if initial_keys is not None else {"tkeyinit": list(self.zones)}
        self.dh_size = dh_size
        self.dh = dh
        self.tkey_domain = tkey_domain
        self.dh_name = dh_name
        self.initial_algorithm = initial_algorithm
        self.extra_conf = extra_conf
        self.extra_options = extra_options
        self.port = free_port()
        self.control_port = free_port()
        self.process = None
        self.dh_key_id = None
        # the primary role's TKEY signal, readable by the initial keys only: {field: value}, or None (not served);
        # by default what the role serves on BIND 9.18 with the tkey method
        self.signal = ({"bind": "9.18.49", "method": "tkey"} if dh != "none" and self.initial_keys else None) if signal == "default" else signal
        self.signal_zone = "dnsops-tkey.%s" % tkey_domain.rstrip(".")
        self.secrets = {}
        self.log = os.path.join(self.directory, "named.log")
        self.querylog = os.path.join(self.directory, "query.log")
        self.conf = os.path.join(self.directory, "named.conf")
        self._prepare()

    # --- set-up ---------------------------------------------------------------------------------
    def _prepare(self):
        d = self.directory
        if self.dh == "dnssec-keygen":
            out = run(["dnssec-keygen", "-K", d, "-T", "KEY", "-a", "DH", "-b", str(self.dh_size), "-n", "HOST", self.dh_name]).stdout
            self.dh_key_id = int(out.strip().rsplit("+", 1)[1])
        elif callable(self.dh):
            self.dh_key_id = self.dh(d)
        for name in self.initial_keys:
            text = run(["tsig-keygen", "-a", self.initial_algorithm, name]).stdout
            self.secrets[name] = re.search(r'secret "([^"]+)"', text).group(1)
            with open(os.path.join(d, "%s.key" % name), "w") as handle:
                handle.write(text)
        rndc = run(["tsig-keygen", "-a", "hmac-sha256", "rndc-key"]).stdout
        with open(os.path.join(d, "rndc.key"), "w") as handle:
            handle.write(rndc)
        with open(os.path.join(d, "rndc.conf"), "w") as handle:
            handle.write('include "%s/rndc.key";\noptions { default-key "rndc-key"; default-server 127.0.0.1; default-port %d; };\n'
                         % (d, self.control_port))
        for zone in self.zones:
            with open(self.zone_file(zone), "w") as handle:
                handle.write(ZONE_TEMPLATE.format(zone=zone, serial=2026112501))
        self.write_conf()

    def zone_file(self, zone):
        return os.path.join(self.directory, "%s.db" % zone)

    def write_conf(self):
        d = self.directory
        tkey = ""
        if self.dh_key_id is not None:
            tkey = '  tkey-domain "%s";\n  tkey-dhkey "%s" %d;\n' % (self.tkey_domain, self.dh_name, self.dh_key_id)
        lines = [
            'include "%s/rndc.key";' % d,
        ]
        lines += ['include "%s/%s.key";' % (d, name) for name in self.initial_keys]
        lines += [
            "options {",
            '  directory "%s";' % d,
            '  pid-file "%s/named.pid";' % d,
            '  session-keyfile "%s/session.key";' % d,
            "  listen-on port %d { 127.0.0.1; };" % self.port,
            "  listen-on-v6 { none; };",
            "  recursion no;",
            "  dnssec-validation no;",
            "  notify no;",
            "  allow-transfer { none; };",
            tkey.rstrip("\n"),
            self.extra_options,
            "};",
            "controls { inet 127.0.0.1 port %d allow { 127.0.0.1; } keys { rndc-key; }; };" % self.control_port,
            "logging {",
            '  channel main { file "%s"; print-time yes; severity info; };' % self.log,
            '  channel queries { file "%s"; print-time yes; };' % self.querylog,
            "  category default { main; };",
            "  category queries { queries; };",
            "};",
        ]
        for zone in self.zones:
            allowed = [name for name, zones in self.initial_keys.items() if zone in zones]
            acl = " ".join("key %s;" % name for name in allowed) or "none;"
            lines.append('zone "%s" { type primary; file "%s"; allow-transfer { %s }; };' % (zone, self.zone_file(zone), acl))
        if self.signal is not None:
            with open(self.zone_file(self.signal_zone), "w") as handle:
                handle.write("$TTL 0\n@ IN SOA ns hostmaster 1 3600 600 86400 0\n@ IN NS ns\nns IN A 127.0.0.1\n"
                             '@ IN TXT "dnsops-tkey" %s\n' % " ".join('"%s=%s"' % item for item in sorted(self.signal.items())))
            lines.append('zone "%s" { type primary; file "%s"; allow-query { %s }; allow-transfer { none; }; };' % (
                self.signal_zone, self.zone_file(self.signal_zone), " ".join("key %s;" % name for name in self.initial_keys) or "none;"))
        if self.extra_conf:
            lines.append(self.extra_conf)
        with open(self.conf, "w") as handle:
            handle.write("\n".join(line for line in lines if line) + "\n")

    # --- life cycle -----------------------------------------------------------------------------
    def start(self):
        run(["named-checkconf", self.conf])
        open(self.querylog, "a").close()
        self.process = subprocess.Popen(
            ["named", "-f", "-n", "1", "-c", self.conf, "-4"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.directory, "named.stderr"), "a"),
        )
        self.wait_ready()
        return self

    def wait_ready(self, seconds=20.0):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("named exited with %s; see %s" % (self.process.returncode, self.log))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                if self._log_says("running"):
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("named did not start within %ss; see %s" % (seconds, self.log))

    def _log_says(self, word):
        try:
            with open(self.log) as handle:
                return word in handle.read()
        except OSError:
            return False

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def restart(self):
        """A real restart: named forgets every negotiated key."""
        self.stop()
        # the "running" marker wait_ready() looks for must come from the new process
        os.rename(self.log, self.log + ".%d" % int(time.time() * 1000))
        self.start()

    def bump_serial(self, zone):
        """Raise the zone's serial by one on disk and reload it; return the new serial."""
        path = self.zone_file(zone)
        with open(path) as handle:
            text = handle.read()
        serial = int(re.search(r"SOA \S+ \S+ (\d+)", text).group(1)) + 1
        with open(path, "w") as handle:
            handle.write(re.sub(r"(SOA \S+ \S+ )\d+", r"\g<1>%d" % serial, text, count=1))
        self.rndc("reload", zone)
        return serial

    def replace_dh_key(self):
        """A new tkey-dhkey made by dnssec-keygen, then a restart (as an operator replacing the server key would)."""
        out = run(["dnssec-keygen", "-K", self.directory, "-T", "KEY", "-a", "DH", "-b", str(self.dh_size), "-n", "HOST", self.dh_name]).stdout
        self.dh_key_id = int(out.strip().rsplit("+", 1)[1])
        self.write_conf()
        self.restart()

    def set_signal(self, signal):
        """Serve the TKEY signal SIGNAL ({field: value}) from now on, or withdraw it (None), as the primary role does."""
        had = self.signal is not None
        self.signal = signal
        self.write_conf()
        self.rndc("reconfig")
        if had and signal is not None:
            self.rndc("reload", self.signal_zone)

    def rndc(self, *args):
        return run(["rndc", "-c", os.path.join(self.directory, "rndc.conf")] + list(args))

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    # --- observations ---------------------------------------------------------------------------
    def tkey_queries(self):
        """How many TKEY queries named has logged (query log) since it was first started."""
        return self.queries(r"query: \S+ ANY TKEY ")

    def queries(self, pattern):
        """How many queries of the query log match PATTERN (a regular expression)."""
        with open(self.querylog) as handle:
            return sum(1 for line in handle if re.search(pattern, line))

    def axfr(self, zone, key=None, timeout=5):
        """dig AXFR ZONE; KEY = (algorithm, name, base64 secret). Return (ok, output)."""
        args = ["dig", "-p", str(self.port), "@127.0.0.1", "+tries=1", "+time=%d" % timeout, zone, "AXFR"]
        if key is not None:
            args[1:1] = ["-y", "%s:%s:%s" % key]
        out = run(args, check=False).stdout
        ok = "XFR size:" in out and "Transfer failed" not in out
        return ok, out

    def serial(self, zone):
        out = run(["dig", "-p", str(self.port), "@127.0.0.1", "+short", zone, "SOA"]).stdout.split()
        return int(out[2])

    def dh_public_file(self):
        return os.path.join(self.directory, "K%s+002+%05d.key" % (self.dh_name.rstrip(".") + ".", self.dh_key_id))
