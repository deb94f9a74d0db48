#!/usr/bin/env bash
# Benchmark: how site.yml's cost grows with the number of secondaries. Never run by CI.
# For each N in FLEET_SIZES, on a lab of its own (lab/lab.sh, TKEY_LAB_SECONDARIES=N) and its generated inventory:
#   site-first-f5      site.yml on a fresh lab, forks 5
#   site-idem-f5       site.yml again (idempotent: changed=0), forks 5
#   site-idem-f20      site.yml again, forks 20
#   site-first-f20     site.yml on another fresh lab, forks 20
#   ping-f5, ping-f20  bench/fleet/ping.yml (ansible.builtin.ping, no facts): the floor
#   site-idem-mitogen  site.yml again under Mitogen (strategy mitogen_linear, connection mitogen_podman), forks 5
# Each run prints its wall time, changed= and failed= sums, and per host class (the primary; the average over the
# secondaries) the tasks run (not skipped; callback bench/fleet/callback_plugins/fleet_tasks.py), module calls and
# connection round trips (podman invocations, through the wrapper bench/fleet/podman-trace set as
# ANSIBLE_PODMAN_EXECUTABLE; under Mitogen the calls on its channel instead). A failed run, a failed or unreachable
# host, or changed>0 in an idempotent run stops the benchmark (exit 1, log tail shown). At the end,
# bench/fleet/report.py prints a Markdown table and the slopes (s per secondary) of the idempotent run and of ping.
#   bench/fleet.sh            (make bench-fleet)       FLEET_SIZES="2 3" bench/fleet.sh   (a quick one)
# Needs `make deps` and the lab's image. Environment: FLEET_SIZES (default "2 6 12"; each 1..200, and within
# fs.inotify.max_user_instances, see lab/lab.sh), TKEY_LAB_NETNS and TKEY_LAB_PREFIX (default dnsops-tkey-fleet,
# dnsops-tkey-fleet-), PLAY_TIMEOUT (seconds per playbook, default 1800), MITOGEN_VENV (default .build/mitogen-venv,
# made here as tests/mitogen/run.sh makes it). Files in .build/fleet/ (per N: n<N>/<run>.{log,meta.json,tasks.json,trace}).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export TKEY_LAB_NETNS="${TKEY_LAB_NETNS:-dnsops-tkey-fleet}"
export TKEY_LAB_PREFIX="${TKEY_LAB_PREFIX:-dnsops-tkey-fleet-}"
sizes="${FLEET_SIZES:-2 6 12}"
play_timeout="${PLAY_TIMEOUT:-1800}"
venv="${MITOGEN_VENV:-$root/.build/mitogen-venv}"
out="$root/.build/fleet"
py="$root/.venv/bin/python"
[ -x "$py" ] || py=python3
for n in $sizes; do
    if ! [[ "$n" =~ ^[1-9][0-9]*$ ]] || [ "$n" -gt 200 ]; then
        echo "bench/fleet.sh: FLEET_SIZES must be integers from 1 to 200, not '$n'" >&2
        exit 2
    fi
done

# One run at a time per checkout: runs share .build/fleet/ and, with the defaults, the lab. The lock is on this
# script's own file (replace it with mv, not in place, while a run is under way: bash reads its script as it goes).
exec 9< "$root/bench/fleet.sh"
if ! flock -n 9; then
    echo "bench/fleet.sh: another run is under way in this checkout" >&2
    exit 1
fi

# Counting: podman through the tracing wrapper, tasks through the aggregate callback (the stdout callback is untouched).
real_podman="$(command -v podman)"
export FLEET_PODMAN_REAL="$real_podman"
export ANSIBLE_PODMAN_EXECUTABLE="$root/bench/fleet/podman-trace"
export ANSIBLE_CALLBACK_PLUGINS="$root/bench/fleet/callback_plugins${ANSIBLE_CALLBACK_PLUGINS:+:$ANSIBLE_CALLBACK_PLUGINS}"
export ANSIBLE_CALLBACKS_ENABLED="fleet_tasks${ANSIBLE_CALLBACKS_ENABLED:+,$ANSIBLE_CALLBACKS_ENABLED}"
export ANSIBLE_NOCOLOR=1 ANSIBLE_DEPRECATION_WARNINGS=0
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$root/.build/collections}"

# Mitogen's venv, as tests/mitogen/run.sh makes it (pinned Mitogen, the ansible-core of the other tests).
pins="$(grep -hE '^(ansible-core|dnspython|cryptography)==' requirements-dev.txt; grep -hE '^[a-z]' tests/mitogen/requirements.txt)"
if [ ! -x "$venv/bin/ansible-playbook" ] || [ "$(cat "$venv/.dnsops-pins" 2>/dev/null)" != "$pins" ]; then
    [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
    # shellcheck disable=SC2086  # one requirement a word
    timeout 600 "$venv/bin/python" -m pip install -q --disable-pip-version-check $pins
    printf '%s\n' "$pins" > "$venv/.dnsops-pins"
fi
mitogen_strategies="$("$venv/bin/python" -c 'import os, ansible_mitogen; print(os.path.join(os.path.dirname(ansible_mitogen.__file__), "plugins", "strategy"))')"
"$venv/bin/python" tests/support/paths.py  # .build/collections/ansible_collections/dnsops/tkey -> this checkout

# Long steps run in the background under `timeout`, so that a signal reaches this script at once (bash runs a trap
# only after the foreground command ends); the EXIT trap stops the step under way and brings the lab down.
child=""
bounded() {
    local limit="$1" rc=0
    shift
    timeout "$limit" "$@" &
    child=$!
    wait "$child" || rc=$?
    child=""
    return "$rc"
}
cleanup() {
    if [ -n "$child" ]; then
        kill "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    lab/lab.sh down >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh lab of $1 secondaries; its inventory copied next to the runs.
fresh_lab() {
    local n="$1"
    bounded 300 lab/lab.sh down >/dev/null
    if ! TKEY_LAB_SECONDARIES="$n" bounded 1200 lab/lab.sh up >/dev/null; then
        echo "bench/fleet.sh: lab/lab.sh up with $n secondaries failed" >&2
        exit 1
    fi
    cp ".build/lab/$TKEY_LAB_NETNS/inventory.yml" "$out/n$n/inventory.yml"
}

# play N NAME KIND PLAYBOOK FORKS [mitogen]: one timed, counted ansible-playbook run; stops the benchmark on failure.
play() {
    local n="$1" name="$2" kind="$3" playbook="$4" forks="$5" strategy="linear" begin end rc=0
    local dir="$out/n$n"
    local command=(ansible-playbook)
    if [ "${6:-}" = mitogen ]; then
        strategy=mitogen_linear
        # Mitogen starts `podman exec` once per connection, by the name podman on PATH (0.3.54 ignores
        # mitogen_podman_path): a podman earlier on PATH that is podman-trace counts those. The calls on its channel
        # are counted by the callback, into the same trace file.
        mkdir -p "$out/bin"
        ln -sfn "$ANSIBLE_PODMAN_EXECUTABLE" "$out/bin/podman"
        command=(env "PATH=$out/bin:$PATH" ANSIBLE_STRATEGY=mitogen_linear "ANSIBLE_STRATEGY_PLUGINS=$mitogen_strategies"
                 "FLEET_MITOGEN_TRACE=$dir/$name.trace" "$venv/bin/ansible-playbook" -e ansible_connection=mitogen_podman)
    fi
    rm -f "$dir/$name".*
    : > "$dir/$name.trace"
    begin=$(date +%s%N)
    FLEET_TASKS_JSON="$dir/$name.tasks.json" FLEET_PODMAN_TRACE="$dir/$name.trace" \
        bounded "$play_timeout" "${command[@]}" -i "$dir/inventory.yml" -f "$forks" "$playbook" > "$dir/$name.log" 2>&1 || rc=$?
    end=$(date +%s%N)
    printf '{"n": %d, "run": "%s", "kind": "%s", "playbook": "%s", "forks": %d, "strategy": "%s", "wall_ms": %d, "rc": %d}\n' \
        "$n" "$name" "$kind" "$playbook" "$forks" "$strategy" $(( (end - begin) / 1000000 )) "$rc" > "$dir/$name.meta.json"
    if ! "$py" bench/fleet/report.py run "$dir" "$name"; then
        echo "--- last 40 lines of $dir/$name.log" >&2
        tail -40 "$dir/$name.log" >&2
        exit 1
    fi
}

rm -rf "$out"
echo "fleet sizes: $sizes; lab $TKEY_LAB_NETNS, containers $TKEY_LAB_PREFIX*; $(ansible-playbook --version | head -1); Mitogen $("$venv/bin/python" -c 'import mitogen; print(".".join(map(str, mitogen.__version__)))')"
for n in $sizes; do
    mkdir -p "$out/n$n"
    echo "--- N=$n: the primary and $n secondaries"
    fresh_lab "$n"
    play "$n" site-first-f5 first playbooks/site.yml 5
    play "$n" site-idem-f5 idempotent playbooks/site.yml 5
    play "$n" site-idem-f20 idempotent playbooks/site.yml 20
    fresh_lab "$n"
    play "$n" site-first-f20 first playbooks/site.yml 20
    play "$n" ping-f5 ping bench/fleet/ping.yml 5
    play "$n" ping-f20 ping bench/fleet/ping.yml 20
    play "$n" site-idem-mitogen idempotent playbooks/site.yml 5 mitogen
done
echo
"$py" bench/fleet/report.py table "$out"
