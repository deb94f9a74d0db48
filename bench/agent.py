#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark: the renewal agent and the rollover engine against real named 9.18 on loopback. Prints figures.

heal    N secondary identities, each running its own dnsops-tkey-renew (Debian's python3, the installed library)
        at the same moment after the primary restarted: time until every key is accepted again, TKEY queries,
        failures.
idle    an agent run when nothing is due, beside `python3 -c 'import dns.message, cryptography'`.
zones   one secondary (a real named) with Z zones from one primary: a forced rotation with its proof (key proved
        once, every zone checked on the primary and its serial here), for 10 zones and for Z.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tests.support.paths import make_collection_importable  # noqa: E402

make_collection_importable()
from ansible_collections.dnsops.tkey.plugins.module_utils import _agent, _rollover, _tkey, _transport  # noqa: E402
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import read_key_file  # noqa: E402
from tests.support.named import NamedServer  # noqa: E402

PYTHON = "/usr/bin/python3"


def install_library(work):
    target = os.path.join(work, "lib", "ansible_collections", "dnsops", "tkey", "plugins", "module_utils")
    os.makedirs(target)
    for name in _agent.LIBRARY:
        shutil.copy(os.path.join(ROOT, "plugins", "module_utils", name + ".py"), target)
    return os.path.join(work, "lib")


def agent_command(library, config, *args):
    code = ("import sys; sys.path.insert(0, %r); from ansible_collections.dnsops.tkey.plugins.module_utils._agent import main; "
            "sys.exit(main())" % library)
    return [PYTHON, "-c", code, "--config", config] + list(args)


def identity_config(work, named, name, zones=(), named_settings=None):
    directory = os.path.join(work, name)
    os.makedirs(directory, exist_ok=True)
    primary = dict(
        name="primary", address="127.0.0.1", port=named.port, timeout=30, bind_version="9.18.49", signal_zone=named.signal_zone,
        server_public_key=open(named.dh_public_file()).read(), initial_key_file=os.path.join(named.directory, "%s.key" % name),
        key_file=os.path.join(directory, "transfer-primary.key"), primaries_file=os.path.join(directory, "primaries-primary.conf"),
        key_name=name, zones=list(zones),
    )
    # no named on these identities: an rndc that answers as rndc does when named is stopped
    stopped = ["sh", "-c", "echo 'rndc: connect failed: 127.0.0.1#953: connection refused' >&2; exit 1", "rndc"]
    config = dict(named=named_settings or dict(rndc=stopped), primaries=[primary], lock_file=os.path.join(directory, "lock"),
                  state_file=os.path.join(directory, "state.json"), metrics_file="")
    path = os.path.join(directory, "agent.json")
    with open(path, "w") as handle:
        json.dump(config, handle)
    return path, primary


def bench_heal(work, count):
    names = ["sec%03d" % index for index in range(1, count + 1)]
    named = NamedServer(os.path.join(work, "primary"), initial_keys=dict((name, ["example.test"]) for name in names), dh_size=1536)
    named.start()
    try:
        library = install_library(work)
        configs = [identity_config(work, named, name) for name in names]
        for config, _primary in configs:  # the keys in place before the restart
            proc = subprocess.run(agent_command(library, config), capture_output=True, text=True, timeout=120, check=False)
            if proc.returncode != 0:
                raise SystemExit("the first run of an agent failed: %s" % proc.stderr)
        named.restart()
        queries = named.tkey_queries()
        begin = time.perf_counter()
        procs = [subprocess.Popen(agent_command(library, config), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for config, _primary in configs]
        failures = sum(1 for proc in procs if proc.wait(timeout=600) != 0)
        elapsed = time.perf_counter() - begin
        server = _transport.Server("127.0.0.1", named.port, timeout=10)
        accepted = sum(1 for _config, primary in configs
                       if _tkey.probe(server, _tkey.key_from_statement(read_key_file(primary["key_file"]))))
        print("heal:  %d identities, each its own agent process, all at once after a primary restart (2 cores):" % count)
        print("       all done in %.1f s (%.0f ms per identity); %d accepted by the primary; TKEY queries %d; failures %d"
              % (elapsed, elapsed * 1000 / count, accepted, named.tkey_queries() - queries, failures))
    finally:
        named.cleanup()


def _median_run(command, runs):
    times = []
    for _run in range(runs):
        begin = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        times.append(time.perf_counter() - begin)
    return statistics.median(times) * 1000


def bench_idle(work, runs):
    named = NamedServer(os.path.join(work, "idle-primary"), initial_keys={"sec1": ["example.test"]}, dh_size=1536)
    named.start()
    try:
        library = install_library(os.path.join(work, "idle"))
        config, _primary = identity_config(work, named, "sec1")
        subprocess.run(agent_command(library, config), check=True, capture_output=True, timeout=120)
        queries = named.tkey_queries()
        agent = _median_run(agent_command(library, config), runs)
        baseline = _median_run([PYTHON, "-c", "import dns.message, cryptography"], runs)
        print("idle:  agent run with nothing due, median of %d: %.0f ms; python3 -c 'import dns.message, cryptography': %.0f ms"
              " (%.2fx); TKEY queries during the runs: %d" % (runs, agent, baseline, agent / baseline, named.tkey_queries() - queries))
    finally:
        named.cleanup()


def bench_zones(work, counts):
    for count in counts:
        zones = ["z%04d.test" % index for index in range(count)]
        base = os.path.join(work, "zones-%d" % count)
        primary = NamedServer(os.path.join(base, "primary"), zones=zones, initial_keys={"sec1": zones}, dh_size=1536)
        primary.start()
        secondary = None
        try:
            keys = os.path.join(base, "keys")
            os.makedirs(keys)
            settings = dict(
                name="primary", address="127.0.0.1", port=primary.port, timeout=30, bind_version="9.18.49", signal_zone=primary.signal_zone,
                server_public_key=open(primary.dh_public_file()).read(), initial_key_file=os.path.join(primary.directory, "sec1.key"),
                key_file=os.path.join(keys, "transfer-primary.key"), primaries_file=os.path.join(keys, "primaries-primary.conf"),
                key_name="sec1", zones=zones,
            )
            statements = "\n".join('zone "%s" { type secondary; file "%s/%s.bk"; primaries { dnsops-tkey-primary; }; };'
                                   % (zone, os.path.join(base, "secondary"), zone) for zone in zones)
            secondary = NamedServer(os.path.join(base, "secondary"), zones=(), initial_keys={}, dh="none",
                                    extra_conf='include "%s";\ninclude "%s";\n%s' % (settings["key_file"], settings["primaries_file"], statements))
            named_settings = dict(rndc=["rndc", "-c", os.path.join(secondary.directory, "rndc.conf")], address="127.0.0.1",
                                  port=secondary.port, xfer_log=secondary.log, transfer_wait=600)
            _rollover.Rollover(_rollover.PrimarySettings(settings), _rollover.named_from(named_settings)).run()
            secondary.start()
            begin = time.perf_counter()
            _rollover.Rollover(_rollover.PrimarySettings(settings), _rollover.named_from(named_settings)).run(prove=True)
            loaded = time.perf_counter() - begin
            begin = time.perf_counter()
            outcome = _rollover.Rollover(_rollover.PrimarySettings(settings), _rollover.named_from(named_settings)).run(force=True)
            elapsed = time.perf_counter() - begin
            print("zones: %4d zones: rotation with its proof %.2f s (%.1f ms per zone); zone failures %d; superseded deleted: %s;"
                  " first load of all zones took %.1f s (transfers-per-ns, serial-query-rate at their defaults)"
                  % (count, elapsed, elapsed * 1000 / count, len(outcome.zone_failures), outcome.deleted_superseded, loaded))
        finally:
            if secondary is not None:
                secondary.cleanup()
            primary.cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--identities", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--zones", type=int, default=1000)
    parser.add_argument("--only", choices=["heal", "idle", "zones"])
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tkey-agent-bench-") as work:
        if options.only in (None, "heal"):
            bench_heal(work, options.identities)
        if options.only in (None, "idle"):
            bench_idle(work, options.runs)
        if options.only in (None, "zones"):
            bench_zones(work, [10, options.zones])


if __name__ == "__main__":
    main()
