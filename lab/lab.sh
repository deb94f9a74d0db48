#!/usr/bin/env bash
# The built-in lab: one BIND 9.18 primary and two secondaries as podman containers in a private network
# namespace, each on its own loopback alias, each with systemd as PID 1 (named.service, timers, restarts are
# real). Nothing can leave the box; the host's network is untouched.
#   lab/lab.sh up | down | status
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
netns="${TKEY_LAB_NETNS:-dnsops-tkey-lab}"
prefix="${TKEY_LAB_PREFIX:-dnsops-tkey-}"
image="${TKEY_LAB_IMAGE:-localhost/dnsops-tkey-bind:bookworm-systemd}"
hosts=(primary:127.0.10.1 sec1:127.0.10.2 sec2:127.0.10.3)

up() {
    "$here/build-image.sh" bookworm "$image"
    local add_hosts=() addresses=()
    for entry in "${hosts[@]}"; do
        addresses+=("${entry#*:}")
        add_hosts+=(--add-host "${entry%%:*}:${entry#*:}")
    done
    "$here/netns.sh" up "$netns" "${addresses[@]}"
    for entry in "${hosts[@]}"; do
        local name="${prefix}${entry%%:*}"
        if [ "$(podman container inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" = "true" ]; then
            continue
        fi
        podman rm -f "$name" >/dev/null 2>&1 || true
        # runc (crun fails on these hosts), systemd as PID 1, explicit ulimits (no CAP_SYS_RESOURCE here),
        # /etc/hosts with every lab name and the primary as resolver, so nothing is looked up off the box.
        podman run -d --name "$name" --hostname "${entry%%:*}" --runtime runc --systemd=always \
            --network "ns:/run/netns/$netns" --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 \
            "${add_hosts[@]}" --dns 127.0.10.1 "$image" /sbin/init >/dev/null
    done
    for entry in "${hosts[@]}"; do
        wait_for_systemd "${prefix}${entry%%:*}"
    done
    echo "lab up: ${hosts[*]} in network namespace $netns"
}

wait_for_systemd() {
    local state
    for _try in $(seq 1 60); do
        state="$(podman exec "$1" systemctl is-system-running 2>/dev/null || true)"
        case "$state" in running|degraded) return 0 ;; esac
        sleep 0.5
    done
    echo "systemd in $1 did not come up (state: ${state:-unknown})" >&2
    return 1
}

down() {
    for entry in "${hosts[@]}"; do
        podman rm -f -t 2 "${prefix}${entry%%:*}" >/dev/null 2>&1 || true
    done
    "$here/netns.sh" down "$netns"
    echo "lab down"
}

status() {
    podman ps -a --filter "name=${prefix}" --format '{{.Names}} {{.Status}}'
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
