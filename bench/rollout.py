#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark: many secondaries against one primary. Prints figures; asserts nothing.

N secondary identities (each with its own initial key, as the primary role makes them) run tkey_negotiate and
tkey_delete through ansible-playbook on the controller against one real named on loopback: the rollout, an
idempotent re-run, then three forced rotations with the superseded keys deleted. Finally every key name ever
negotiated is checked on the server (a query signed under the name with a random secret: BADSIG = held,
BADKEY = gone), which counts the negotiated keys the primary still holds.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tests.support.paths import make_collection_importable  # noqa: E402

make_collection_importable()
from ansible_collections.dnsops.tkey.plugins.module_utils import _tkey, _transport  # noqa: E402
from tests.support.named import NamedServer  # noqa: E402


def playbook(inventory, extra, forks):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_HOST_KEY_CHECKING="false")
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory, "-f", str(forks),
           os.path.join(ROOT, "bench", "rollout.yml")]
    for key, value in extra.items():
        cmd += ["-e", "%s=%s" % (key, value)]
    begin = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600, check=False)
    elapsed = time.perf_counter() - begin
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-4000:] + proc.stderr[-2000:])
    changed = sum(int(n) for n in re.findall(r"changed=(\d+)", proc.stdout))
    return elapsed, changed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secondaries", type=int, default=100)
    parser.add_argument("--forks", type=int, default=8)
    parser.add_argument("--rotations", type=int, default=3)
    options = parser.parse_args()
    count = options.secondaries
    names = ["sec%03d" % index for index in range(1, count + 1)]
    with tempfile.TemporaryDirectory(prefix="tkey-rollout-") as work:
        named = NamedServer(os.path.join(work, "primary"), initial_keys=dict((name, ["example.test"]) for name in names),
                            dh_size=1536)
        named.start()
        try:
            inventory = os.path.join(work, "inventory.ini")
            with open(inventory, "w") as handle:
                handle.write("[bench_secondaries]\n")
                for name in names:
                    handle.write("%s ansible_connection=local ansible_python_interpreter=%s\n" % (name, sys.executable))
            with open(named.dh_public_file()) as handle:
                server_key = handle.read().strip()
            extra = dict(bench_port=named.port, bench_dir=named.directory, bench_server_key='"%s"' % server_key)
            print("%d secondaries, one named 9.18 primary (1536-bit group), ansible-playbook -f %d on %d cores"
                  % (count, options.forks, os.cpu_count()))
            queries = named.tkey_queries()
            elapsed, changed = playbook(inventory, extra, options.forks)
            print("rollout:           %6.1f s, %.0f ms per secondary, %d TKEY queries"
                  % (elapsed, elapsed * 1000 / count, named.tkey_queries() - queries))
            queries = named.tkey_queries()
            elapsed, changed = playbook(inventory, extra, options.forks)
            print("idempotent re-run: %6.1f s, %.0f ms per secondary, %d TKEY queries, %d tasks changed"
                  % (elapsed, elapsed * 1000 / count, named.tkey_queries() - queries, changed))
            for rotation in range(1, options.rotations + 1):
                queries = named.tkey_queries()
                elapsed, changed = playbook(inventory, dict(extra, bench_rotate="true"), options.forks)
                print("rotation %d:        %6.1f s, %.0f ms per secondary, %d TKEY queries (negotiations + deletions)"
                      % (rotation, elapsed, elapsed * 1000 / count, named.tkey_queries() - queries))
            server = _transport.Server("127.0.0.1", named.port, timeout=5)
            every = set()
            for path in glob.glob(os.path.join(named.directory, "names-*.txt")):
                with open(path) as handle:
                    every.update(line.strip() for line in handle if line.strip())
            held = sum(1 for name in every if _tkey.server_knows_key(server, name))
            print("keys negotiated in all: %d; still held by the primary: %d (secondaries: %d)" % (len(every), held, count))
        finally:
            named.cleanup()


if __name__ == "__main__":
    main()
