"""bench/fleet.sh's arithmetic: one run's figures and checks, and the final table.

    python3 bench/fleet/report.py run DIR NAME     one line for DIR/NAME.*; exit 1 when the run failed, a host failed or
                                                   was unreachable, or an idempotent run changed something
    python3 bench/fleet/report.py table ROOT       the Markdown table over ROOT/n*/ (also written to ROOT/report.md)

Files of a run, in DIR (= ROOT/nN): NAME.meta.json (from fleet.sh: n, run, kind, playbook, forks, strategy, wall_ms,
rc), NAME.tasks.json (callback_plugins/fleet_tasks.py), NAME.trace (podman-trace lines "CONTAINER SUBCOMMAND [MODULE]",
and under Mitogen the callback's "HOST call FUNCTION"), NAME.log (ansible-playbook's output); inventory.yml (lab.sh's).
Per host: tasks = tasks run (ok, changed, failed; skipped ones not counted); module calls = podman exec running an
AnsiballZ file; round trips = podman invocations addressing its container (exec, mount, cp). Under Mitogen podman
runs once per connection (counted apart, "podman processes") and everything else goes over Mitogen's channel: round
trips = calls the controller sent to the host and waited for (init_child once per connection, then run_module and
the like), module calls = those of ansible_mitogen.target.run_module. Not counted under Mitogen: the target's own
requests back to the controller (module sources and files through Mitogen's importer and FileService).
"""
import json
import os
import re
import sys

import yaml

RUNS = ("site-first-f5", "site-idem-f5", "site-idem-f20", "site-first-f20", "ping-f5", "ping-f20", "site-idem-mitogen")
MODULE_FUNCTIONS = ("ansible_mitogen.target.run_module",)


def load_inventory(path):
    inventory = yaml.safe_load(open(path))
    children = inventory["all"]["children"]
    primaries = list(children["tkey_primaries"]["hosts"])
    secondaries = list(children["tkey_secondaries"]["hosts"])
    containers = {}
    for group in children.values():
        for name, values in group["hosts"].items():
            containers[values.get("ansible_host", name)] = name
    return primaries, secondaries, containers


def recap_from_log(path):
    """PLAY RECAP counters from ansible-playbook's output, when the callback wrote nothing."""
    recap = {}
    try:
        text = open(path).read()
    except OSError:
        return recap
    tail = text[text.rfind("PLAY RECAP"):] if "PLAY RECAP" in text else ""
    for line in tail.splitlines():
        match = re.match(r"^(\S+)\s+:\s+(.*)$", line)
        if match:
            recap[match.group(1)] = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return recap


def load_run(directory, name):
    meta = json.load(open(os.path.join(directory, name + ".meta.json")))
    primaries, secondaries, containers = load_inventory(os.path.join(directory, "inventory.yml"))
    hosts = primaries + secondaries
    try:
        tasks = json.load(open(os.path.join(directory, name + ".tasks.json")))
        counted = True
    except (OSError, ValueError):
        tasks = {"hosts": {}, "recap": recap_from_log(os.path.join(directory, name + ".log"))}
        counted = False
    per_host = {host: {"tasks": tasks["hosts"].get(host, {}).get("run", 0), "modules": 0, "podman": 0, "calls": 0}
                for host in hosts}
    unattributed = {}
    try:
        lines = open(os.path.join(directory, name + ".trace")).read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        fields = line.split()
        if len(fields) < 2:
            continue
        host = containers.get(fields[0], fields[0] if fields[0] in per_host else None)
        if host is None:
            unattributed[" ".join(fields[:2])] = unattributed.get(" ".join(fields[:2]), 0) + 1
            continue
        counts = per_host[host]
        if fields[1] == "call":
            counts["calls"] += 1
            if len(fields) > 2 and fields[2] in MODULE_FUNCTIONS:
                counts["modules"] += 1
        else:
            counts["podman"] += 1
            if len(fields) > 2:
                counts["modules"] += 1
    mitogen = meta.get("strategy") == "mitogen_linear"
    for counts in per_host.values():
        counts["round_trips"] = counts["calls"] if mitogen else counts["podman"]
    recap = tasks["recap"]
    run = {
        "meta": meta,
        "mitogen": mitogen,
        "primaries": primaries,
        "secondaries": secondaries,
        "per_host": per_host,
        "recap": recap,
        "changed": sum(recap.get(host, {}).get("changed", 0) for host in hosts),
        "failed": sum(recap.get(host, {}).get("failed", 0) for host in hosts),
        "unreachable": sum(recap.get(host, {}).get("unreachable", 0) for host in hosts),
        "missing": [host for host in hosts if host not in recap],
        "unattributed": unattributed,
        "traced": bool(lines),
        "counted": counted,
    }
    run["primary"] = average(per_host, primaries)
    run["secondary"] = average(per_host, secondaries)
    return run


def average(per_host, hosts):
    keys = ("tasks", "modules", "round_trips", "podman", "calls")
    if not hosts:
        return dict.fromkeys(keys, 0.0)
    return {key: sum(per_host[host][key] for host in hosts) / len(hosts) for key in keys}


def number(value):
    return ("%.1f" % value).rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def describe(run):
    meta = run["meta"]

    def hosts(figures):
        if run["mitogen"]:
            return "%s tasks, %s module calls, %s round trips (Mitogen calls; %s podman processes)" % (
                number(figures["tasks"]), number(figures["modules"]), number(figures["round_trips"]),
                number(figures["podman"]))
        return "%s tasks, %s module calls, %s round trips" % (
            number(figures["tasks"]), number(figures["modules"]), number(figures["round_trips"]))

    line = "N=%d %s (%s, %s, forks %d%s): %.1f s; changed=%d failed=%d; primary: %s; secondaries (average of %d): %s"
    line %= (
        meta["n"], meta["run"], os.path.basename(meta["playbook"]), meta["kind"], meta["forks"],
        ", mitogen_linear" if run["mitogen"] else "", meta["wall_ms"] / 1000.0, run["changed"], run["failed"],
        hosts(run["primary"]), len(run["secondaries"]), hosts(run["secondary"]))
    if run["unattributed"]:
        line += "; not attributed to a host: " + ", ".join(
            "%s x%d" % (key, count) for key, count in sorted(run["unattributed"].items()))
    return line


def check(run):
    meta, problems = run["meta"], []
    if meta["rc"] != 0:
        problems.append("ansible-playbook exited %d%s" % (meta["rc"], " (timed out)" if meta["rc"] == 124 else ""))
    if run["missing"]:
        problems.append("no recap for " + ", ".join(run["missing"]))
    if run["failed"] or run["unreachable"]:
        problems.append("failed=%d unreachable=%d" % (run["failed"], run["unreachable"]))
    if meta["kind"] == "idempotent" and run["changed"]:
        problems.append("changed=%d in an idempotent run" % run["changed"])
    if not run["counted"] and meta["rc"] == 0:
        problems.append("no task counts (callback fleet_tasks not loaded?)")
    if not run["mitogen"] and not run["traced"]:
        problems.append("no podman invocation traced (ANSIBLE_PODMAN_EXECUTABLE not honoured?)")
    return problems


def command_run(directory, name):
    run = load_run(directory, name)
    print(describe(run))
    problems = check(run)
    if problems:
        print("FAILED: N=%d %s: %s" % (run["meta"]["n"], name, "; ".join(problems)))
        return 1
    return 0


def slope(points):
    """Seconds per secondary from the smallest to the largest N, or None."""
    if len(points) < 2:
        return None
    (n0, w0), (n1, w1) = min(points), max(points)
    return (w1 - w0) / (n1 - n0) if n1 != n0 else None


def command_table(root):
    runs = {}
    for entry in os.listdir(root):
        match = re.match(r"^n(\d+)$", entry)
        if not match:
            continue
        for name in RUNS:
            if os.path.exists(os.path.join(root, entry, name + ".meta.json")):
                runs[int(match.group(1)), name] = load_run(os.path.join(root, entry), name)
    sizes = sorted({key[0] for key in runs})
    out = []
    out.append("| N | run | forks | wall s | changed | failed | primary tasks | primary module calls "
               "| primary round trips | sec. tasks (avg) | sec. module calls (avg) | sec. round trips (avg) |")
    out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        for name in RUNS:
            run = runs.get((n, name))
            if run is None:
                continue
            p, s = run["primary"], run["secondary"]
            mark = "*" if run["mitogen"] else ""
            out.append("| %d | %s | %d | %.1f | %d | %d | %s | %s | %s%s | %s | %s | %s%s |" % (
                n, name, run["meta"]["forks"], run["meta"]["wall_ms"] / 1000.0, run["changed"], run["failed"],
                number(p["tasks"]), number(p["modules"]), number(p["round_trips"]), mark,
                number(s["tasks"]), number(s["modules"]), number(s["round_trips"]), mark))
    out.append("")
    if any(run["mitogen"] for run in runs.values()):
        out.append("\\* Mitogen: round trips are the calls the controller sent over Mitogen's channel and waited for "
                   "(init_child, run_module, ...; podman processes, one per connection: %s); module calls are its "
                   "run_module calls. Not counted: the targets' requests for module sources and files." % ", ".join(
                       "N=%d primary %s, secondary %s" % (n, number(runs[n, "site-idem-mitogen"]["primary"]["podman"]),
                                                          number(runs[n, "site-idem-mitogen"]["secondary"]["podman"]))
                       for n in sizes if (n, "site-idem-mitogen") in runs))
        out.append("")

    def wall(name):
        return [(n, runs[n, name]["meta"]["wall_ms"] / 1000.0) for n in sizes if (n, name) in runs]

    idempotent, ping = slope(wall("site-idem-f5")), slope(wall("ping-f5"))
    if idempotent is None or ping is None:
        out.append("slopes: need two fleet sizes or more")
    else:
        out.append("idempotent site.yml, forks 5: %+.2f s per secondary (N=%d to N=%d)"
                   % (idempotent, sizes[0], sizes[-1]))
        out.append("ping, forks 5: %+.2f s per secondary" % ping)
        out.append("ratio: %s" % ("%.1f" % (idempotent / ping) if ping > 0 else "n/a (ping slope not positive: noise)"))
        for name in ("site-idem-f20", "ping-f20", "site-first-f5", "site-first-f20", "site-idem-mitogen"):
            value = slope(wall(name))
            if value is not None:
                out.append("(%s: %+.2f s per secondary)" % (name, value))
    for label, key in (("primary round trips", "primary"), ("secondary round trips (average)", "secondary")):
        for name in ("site-first-f5", "site-idem-f5", "ping-f5"):
            figures = ["N=%d: %s" % (n, number(runs[n, name][key]["round_trips"])) for n in sizes if (n, name) in runs]
            if figures:
                out.append("%s, %s: %s" % (label, name, ", ".join(figures)))
    unattributed = {}
    for run in runs.values():
        for key, count in run["unattributed"].items():
            unattributed[key] = unattributed.get(key, 0) + count
    if unattributed:
        out.append("podman invocations not attributed to a host: " + ", ".join(
            "%s x%d" % (key, count) for key, count in sorted(unattributed.items())))
    text = "\n".join(out) + "\n"
    with open(os.path.join(root, "report.md"), "w") as handle:
        handle.write(text)
    sys.stdout.write(text)
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "run":
        return command_run(argv[2], argv[3])
    if len(argv) == 3 and argv[1] == "table":
        return command_table(argv[2])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
