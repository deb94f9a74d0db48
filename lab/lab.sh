#!/usr/bin/env bash
# The built-in lab: one BIND 9.18 primary and N secondaries (default two) as podman containers in a private network
# namespace, each on its own loopback alias, each with systemd as PID 1 (named.service, timers, restarts are
# real). Nothing can leave the box; the host's network is untouched.
#   lab/lab.sh up | down | status
# Environment:
#   TKEY_LAB_SECONDARIES  number of secondaries, 1..200 (default 2): primary on 127.0.10.1, sec1..secN on 127.0.10.2..
#   TKEY_LAB_NETNS        network namespace (default dnsops-tkey-lab)
#   TKEY_LAB_PREFIX       container name prefix (default dnsops-tkey-): PREFIXprimary, PREFIXsec1, ...
#   TKEY_LAB_IMAGE        image (default localhost/dnsops-tkey-bind:bookworm-systemd, built when missing)
# `up` also writes .build/lab/NETNS/inventory.yml: lab/inventory.yml with this instance's container names and
# sec1..secN (zones served by every secondary of lab/inventory.yml go to all N; the others keep the secondaries that
# exist, and a zone left without any is dropped). With the defaults it says what lab/inventory.yml says.
# `up` removes this instance's secondaries beyond N; `down` removes every container named PREFIXprimary or
# PREFIXsecK (other labs whose prefix merely starts with this one, such as dnsops-tkey-mg-, are left alone) and the
# namespace.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
netns="${TKEY_LAB_NETNS:-dnsops-tkey-lab}"
prefix="${TKEY_LAB_PREFIX:-dnsops-tkey-}"
image="${TKEY_LAB_IMAGE:-localhost/dnsops-tkey-bind:bookworm-systemd}"
inventory="$root/.build/lab/$netns/inventory.yml"

# inotify instances one lab container holds, measured on the bookworm image (find /proc/*/fd -lname
# 'anon_inode:inotify', before and after site.yml, identical): 5 charged to root (systemd as PID 1: 4, systemd-logind: 1)
# and 1 to messagebus (dbus-daemon, uid 100). Rootful podman uses no user namespace, so they count against the host's
# root and messagebus users, each capped at fs.inotify.max_user_instances (128 by default: 25 lab containers); root's
# share is the one that binds. Checked: with 3 containers up, a process of root's got 113 more instances before EMFILE
# (128 - 3 x 5). A container short of instances comes up half-booted: with 2 left, its two .path units fail and systemd
# says "degraded" (which wait_for_systemd accepts); with none left it stays "initializing".
inotify_per_container=5

# The servers: "name:address", the primary first.
hosts=(primary:127.0.10.1)
set_hosts() {
    local count="${TKEY_LAB_SECONDARIES:-2}" i
    if ! [[ "$count" =~ ^[1-9][0-9]*$ ]] || [ "$count" -gt 200 ]; then
        echo "lab.sh: TKEY_LAB_SECONDARIES must be an integer from 1 to 200, not '$count'" >&2
        exit 2
    fi
    for (( i = 1; i <= count; i++ )); do
        hosts+=("sec$i:127.0.10.$(( i + 1 ))")
    done
}

# Names (with PREFIX) and statuses of this instance's containers, one "NAME STATUS" a line.
lab_containers() {
    local name status rest
    podman ps -a --format '{{.Names}} {{.Status}}' | while read -r name status; do
        [[ "$name" == "$prefix"* ]] || continue
        rest="${name#"$prefix"}"
        if [[ "$rest" == primary || "$rest" =~ ^sec[1-9][0-9]*$ ]]; then
            echo "$name $status"
        fi
    done
}

# inotify instances held by processes of user $1 (fds on anon_inode:inotify; an instance shared by two processes
# counts twice, which errs on the safe side).
inotify_in_use() {
    find /proc/[0-9]*/fd -maxdepth 1 -lname 'anon_inode:inotify' -printf '%h\n' 2>/dev/null | sed 's|/fd$||' |
        xargs -r stat -c %u 2>/dev/null | grep -cx "$1" || true
}

# Refuse when starting $1 containers (after removing $2 of this lab's) would pass the cap.
check_inotify() {
    local starting="$1" removing="$2" limit in_use need
    limit="$(cat /proc/sys/fs/inotify/max_user_instances)"
    in_use="$(inotify_in_use "$(id -u)")"
    in_use=$(( in_use - removing * inotify_per_container > 0 ? in_use - removing * inotify_per_container : 0 ))
    need=$(( in_use + starting * inotify_per_container ))
    if [ "$need" -gt "$limit" ]; then
        echo "lab.sh: $starting more containers need $(( starting * inotify_per_container )) inotify instances, $in_use are in use of fs.inotify.max_user_instances=$limit: raise it (sysctl -w fs.inotify.max_user_instances=$(( need + 64 ))) or ask for fewer secondaries" >&2
        exit 1
    fi
}

# .build/lab/NETNS/inventory.yml from lab/inventory.yml, for the servers in "${hosts[@]}".
write_inventory() {
    local python=""
    for candidate in "${TKEY_LAB_PYTHON:-}" "$root/.venv/bin/python" python3; do
        if [ -n "$candidate" ] && "$candidate" -c 'import yaml' 2>/dev/null; then
            python="$candidate"
            break
        fi
    done
    if [ -z "$python" ]; then
        echo "lab.sh: no python3 with yaml to write $inventory (make deps makes .venv)" >&2
        exit 1
    fi
    mkdir -p "$(dirname "$inventory")"
    "$python" - "$here/inventory.yml" "$inventory.tmp" "$prefix" "${hosts[@]}" <<'PY'
import sys

import yaml

source, target, prefix = sys.argv[1:4]
servers = [entry.split(":") for entry in sys.argv[4:]]  # name, address; the primary first
inventory = yaml.safe_load(open(source))
children = inventory["all"]["children"]
template = dict(next(iter(children["tkey_secondaries"]["hosts"].values())))
lab_secondaries = set(children["tkey_secondaries"]["hosts"])


def host(name, address, values):
    return dict(values, ansible_host=prefix + name, tkey_address=address)


(primary, primary_address), secondaries = servers[0], servers[1:]
children["tkey_primaries"]["hosts"] = {
    primary: host(primary, primary_address, children["tkey_primaries"]["hosts"][primary])}
children["tkey_secondaries"]["hosts"] = {
    name: host(name, address, children["tkey_secondaries"]["hosts"].get(name, template))
    for name, address in secondaries}
names = [name for name, _ in secondaries]
zones = []
for zone in inventory["all"]["vars"]["tkey_zones"]:
    if set(zone["secondaries"]) == lab_secondaries:
        zone["secondaries"] = list(names)
    else:
        zone["secondaries"] = [name for name in zone["secondaries"] if name in names]
    if zone["secondaries"]:
        zones.append(zone)
inventory["all"]["vars"]["tkey_zones"] = zones
with open(target, "w") as handle:
    handle.write("---\n# Made by lab/lab.sh up from lab/inventory.yml (%d secondaries, containers %s*); do not edit.\n"
                 % (len(secondaries), prefix))
    yaml.safe_dump(inventory, handle, sort_keys=False)
PY
    mv "$inventory.tmp" "$inventory"
}

up() {
    set_hosts
    local add_hosts=() addresses=() wanted=() extra=() running=() starting=0 name _status
    for entry in "${hosts[@]}"; do
        addresses+=("${entry#*:}")
        add_hosts+=(--add-host "${entry%%:*}:${entry#*:}")
        wanted+=("${prefix}${entry%%:*}")
    done
    # Secondaries of an earlier, larger lab of this instance go (their inotify instances with them).
    while read -r name _status; do
        [[ " ${wanted[*]} " == *" $name "* ]] || extra+=("$name")
    done < <(lab_containers)
    for name in "${wanted[@]}"; do
        if [ "$(podman container inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" = "true" ]; then
            running+=("$name")
        else
            starting=$(( starting + 1 ))
        fi
    done
    check_inotify "$starting" "${#extra[@]}"
    write_inventory
    "$here/build-image.sh" bookworm "$image"
    if [ "${#extra[@]}" -gt 0 ]; then
        timeout 600 podman rm -f -t 2 "${extra[@]}" >/dev/null
    fi
    "$here/netns.sh" up "$netns" "${addresses[@]}"
    for entry in "${hosts[@]}"; do
        name="${prefix}${entry%%:*}"
        [[ " ${running[*]} " == *" $name "* ]] && continue
        podman rm -f "$name" >/dev/null 2>&1 || true
        # runc (crun fails on these hosts), systemd as PID 1, explicit ulimits (no CAP_SYS_RESOURCE here),
        # /etc/hosts with every lab name and the primary as resolver, so nothing is looked up off the box.
        timeout 120 podman run -d --name "$name" --hostname "${entry%%:*}" --runtime runc --systemd=always \
            --network "ns:/run/netns/$netns" --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 \
            "${add_hosts[@]}" --dns 127.0.10.1 "$image" /sbin/init >/dev/null
    done
    for entry in "${hosts[@]}"; do
        wait_for_systemd "${prefix}${entry%%:*}"
    done
    if [ "${#hosts[@]}" -le 3 ]; then
        echo "lab up: ${hosts[*]} in network namespace $netns"
    else
        echo "lab up: ${hosts[0]} ${hosts[1]} ... ${hosts[-1]} ($(( ${#hosts[@]} - 1 )) secondaries) in network namespace $netns"
    fi
}

# Bounded: 60 tries half a second apart, each `podman exec` at most 10 s.
wait_for_systemd() {
    local state
    for _try in $(seq 1 60); do
        state="$(timeout 10 podman exec "$1" systemctl is-system-running 2>/dev/null || true)"
        case "$state" in running|degraded) return 0 ;; esac
        sleep 0.5
    done
    echo "systemd in $1 did not come up (state: ${state:-unknown})" >&2
    return 1
}

down() {
    local names=() name _status
    while read -r name _status; do
        names+=("$name")
    done < <(lab_containers)
    if [ "${#names[@]}" -gt 0 ]; then
        timeout 600 podman rm -f -t 2 "${names[@]}" >/dev/null 2>&1 || true
    fi
    "$here/netns.sh" down "$netns"
    echo "lab down"
}

status() {
    lab_containers
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
