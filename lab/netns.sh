#!/usr/bin/env bash
# A private network namespace with loopback aliases, for containers that must reach only each other.
#   lab/netns.sh up NAME ADDRESS...     create (idempotent) and add the addresses to its lo
#   lab/netns.sh down NAME              delete
# Containers join it with --network ns:/run/netns/NAME. Nothing in it can reach the host or the internet.
set -euo pipefail
action="${1:-}"; name="${2:-}"
if [ -z "$action" ] || [ -z "$name" ]; then
    echo "usage: $0 up|down NAME [ADDRESS...]" >&2
    exit 2
fi
shift 2
case "$action" in
    up)
        ip netns list | grep -qw "$name" || ip netns add "$name"
        ip -n "$name" link set lo up
        for address in "$@"; do
            ip -n "$name" addr replace "$address/32" dev lo
        done
        ;;
    down)
        if ip netns list | grep -qw "$name"; then
            ip netns del "$name"
        fi
        ;;
    *) echo "usage: $0 up|down NAME [ADDRESS...]" >&2; exit 2 ;;
esac
