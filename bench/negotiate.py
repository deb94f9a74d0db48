#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark: TKEY negotiation against a real named on loopback. Prints figures; asserts nothing.

1. In-process: the library's negotiate() N times per DH group (fresh ephemeral key, TCP, TSIG signed and
   verified, secret derived); negotiations per second and latency percentiles.
2. As an Ansible module: wall time of `ansible localhost -m dnsops.tkey.tkey_negotiate` (force=true, so a
   real negotiation each time) against `ansible localhost -m ansible.builtin.ping`, alternated, same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tests.support.paths import make_collection_importable  # noqa: E402

make_collection_importable()
from ansible_collections.dnsops.tkey.plugins.module_utils import _dhkey, _tkey, _transport  # noqa: E402
from tests.support.named import NamedServer  # noqa: E402


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def in_process(named, count):
    server = _transport.Server("127.0.0.1", named.port, timeout=5)
    initial = _tkey.tsig_key("tkeyinit", named.secrets["tkeyinit"], "hmac-sha256")
    server_key = _dhkey.load_key(named.dh_public_file(), private=False)
    for index in range(10):  # warm-up: imports, first parameter and peer-key validation
        key = _tkey.negotiate(server, initial, "warm%d" % index, server_key=server_key, lifetime=600)
        _tkey.delete(server, key.name + ".", key.tsig())
    latencies, names = [], []
    started = time.perf_counter()
    for index in range(count):
        begin = time.perf_counter()
        key = _tkey.negotiate(server, initial, "bench%d" % index, server_key=server_key, lifetime=600)
        latencies.append(time.perf_counter() - begin)
        names.append(key)
    total = time.perf_counter() - started
    for key in names:  # tidy up outside the timed loop; keep the server under its 4096-key limit
        _tkey.delete(server, key.name + ".", key.tsig())
    verified = sum(1 for key in names[:20] if not _tkey.probe(server, key.tsig()))  # deleted keys are refused
    return dict(
        count=count,
        per_second=count / total,
        median_ms=statistics.median(latencies) * 1000,
        p90_ms=percentile(latencies, 0.9) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        min_ms=min(latencies) * 1000,
        deleted_then_refused=verified,
    )


def module_wall_times(named, rounds, python, workdir):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    args = dict(server="127.0.0.1", port=named.port, key_name="benchmod", force=True,
                tsig_key_file=os.path.join(named.directory, "tkeyinit.key"),
                server_public_key=named.dh_public_file(), dest=os.path.join(workdir, "tkey.key"))
    commands = {
        "tkey_negotiate": [ansible, "localhost", "-m", "dnsops.tkey.tkey_negotiate", "-a", json.dumps(args),
                           "-e", "ansible_python_interpreter=%s" % python],
        "ping": [ansible, "localhost", "-m", "ansible.builtin.ping", "-e", "ansible_python_interpreter=%s" % python],
    }
    times = dict((name, []) for name in commands)
    for _round in range(rounds + 1):
        for name, cmd in commands.items():
            begin = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
            elapsed = time.perf_counter() - begin
            if proc.returncode != 0:
                raise SystemExit("%s failed:\n%s" % (name, proc.stdout + proc.stderr))
            if _round:  # the first round warms caches
                times[name].append(elapsed)
    return dict((name, statistics.median(values) * 1000) for name, values in times.items())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="negotiations per group (at least 200)")
    parser.add_argument("--rounds", type=int, default=15, help="module runs of each kind")
    parser.add_argument("--sizes", default="768,1536", help="DH groups to measure")
    options = parser.parse_args()
    print("machine: %d cores, %s; python %s" % (os.cpu_count(), os.uname().machine, sys.version.split()[0]))
    print("named: %s" % subprocess.run(["named", "-v"], capture_output=True, text=True, check=True).stdout.strip())
    with tempfile.TemporaryDirectory(prefix="tkey-bench-") as work:
        for size in [int(s) for s in options.sizes.split(",")]:
            named = NamedServer(os.path.join(work, "named-%d" % size), dh_size=size)
            named.start()
            try:
                result = in_process(named, options.count)
                print("in-process, %4d-bit group: %d negotiations, %.0f/s, median %.2f ms, p90 %.2f ms, p99 %.2f ms, min %.2f ms"
                      % (size, result["count"], result["per_second"], result["median_ms"], result["p90_ms"],
                         result["p99_ms"], result["min_ms"]))
                if size == 768:
                    for label, python in (("controller venv", sys.executable), ("Debian python3", "/usr/bin/python3")):
                        walls = module_wall_times(named, options.rounds, python, work)
                        print("module wall time (%s, %d-bit, median of %d): tkey_negotiate %.0f ms, ping %.0f ms, ratio %.2f"
                              % (label, size, options.rounds, walls["tkey_negotiate"], walls["ping"],
                                 walls["tkey_negotiate"] / walls["ping"]))
            finally:
                named.cleanup()


if __name__ == "__main__":
    main()
