# bench/fleet.sh: per-host counts of the tasks a playbook ran, written to a JSON file. An aggregate callback (never
# the stdout one): enabled with ANSIBLE_CALLBACK_PLUGINS=bench/fleet/callback_plugins and
# ANSIBLE_CALLBACKS_ENABLED=fleet_tasks, it prints nothing and leaves the normal output alone.
#   FLEET_TASKS_JSON     where to write {"hosts": {HOST: {"ok", "changed", "failed", "unreachable", "skipped", "run"}},
#                        "recap": {HOST: the PLAY RECAP counters}} at the end of the playbook ("run": tasks not skipped)
#   FLEET_MITOGEN_TRACE  (optional) a file: under Mitogen, append "HOST call MODULE.FUNCTION" for every call the
#                        controller sends to a target context and waits for (mitogen.parent.CallChain.call_async: one
#                        round trip on Mitogen's channel). Workers are forked after this plugin loads, so they inherit
#                        the wrapper; HOST is the worker's inventory host, or outside a worker (Mitogen's connection
#                        multiplexer calling init_child once per connection) the container named by the context.
from __future__ import annotations

import json
import multiprocessing
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: fleet_tasks
    type: aggregate
    short_description: per-host task counts for bench/fleet.sh
    description:
      - Writes per-host counts of tasks that ran (ok, changed, failed, unreachable; skipped apart) to the JSON file
        named by the environment variable FLEET_TASKS_JSON.
    requirements:
      - enable in ANSIBLE_CALLBACKS_ENABLED
"""

COUNTERS = ("ok", "changed", "failed", "unreachable", "skipped")


def _trace_mitogen_calls(path):
    try:
        import mitogen.parent
    except ImportError:
        return
    chain = mitogen.parent.CallChain
    if getattr(chain.call_async, "fleet_traced", False):
        return
    original = chain.call_async

    def call_async(self, fn, *args, **kwargs):
        host = getattr(multiprocessing.current_process(), "_host", None)
        if host is not None:
            name = host.get_name()
        else:  # the connection multiplexer setting a context up: the context is named podman.CONTAINER
            name = (getattr(self.context, "name", None) or "?").replace("podman.", "", 1)
        line = "%s call %s.%s\n" % (name, getattr(fn, "__module__", "?"), getattr(fn, "__name__", "?"))
        with open(path, "a") as handle:
            handle.write(line)
        return original(self, fn, *args, **kwargs)

    call_async.fleet_traced = True
    chain.call_async = call_async


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "fleet_tasks"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._counts = {}
        self._path = os.environ.get("FLEET_TASKS_JSON")
        if os.environ.get("FLEET_MITOGEN_TRACE"):
            _trace_mitogen_calls(os.environ["FLEET_MITOGEN_TRACE"])

    def _count(self, result, *names):
        host = getattr(result, "host", None) or result._host
        counts = self._counts.setdefault(host.get_name(), dict.fromkeys(COUNTERS, 0))
        for name in names:
            counts[name] += 1

    def v2_runner_on_ok(self, result):
        payload = getattr(result, "result", None)
        if payload is None:
            payload = result._result
        if payload.get("changed"):
            self._count(result, "ok", "changed")
        else:
            self._count(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._count(result, "unreachable")

    def v2_runner_on_skipped(self, result):
        self._count(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        if not self._path:
            return
        hosts = {}
        for name, counts in sorted(self._counts.items()):
            hosts[name] = dict(counts, run=counts["ok"] + counts["failed"] + counts["unreachable"])
        recap = {name: stats.summarize(name) for name in sorted(stats.processed)}
        with open(self._path, "w") as handle:
            json.dump({"hosts": hosts, "recap": recap}, handle, indent=1, sort_keys=True)
            handle.write("\n")
