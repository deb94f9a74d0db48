#!/usr/bin/env bash
# Benchmark: the cost of doing nothing. On a fresh built-in lab, site.yml's first run, then an idempotent run
# (changed=0, no TKEY query), both timed in this one run; prints the ratio. Needs `make deps` and the lab's image.
#   bench/site_cost.sh        (make bench-site)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
lab/lab.sh down >/dev/null
lab/lab.sh up >/dev/null
trap 'lab/lab.sh down >/dev/null' EXIT
run() {
    local begin end
    begin=$(date +%s%N)
    ansible-playbook -i lab/inventory.yml playbooks/site.yml > "$1" 2>&1
    end=$(date +%s%N)
    echo $(( (end - begin) / 1000000 ))
}
first=$(run .build/bench-site-first.log)
second=$(run .build/bench-site-second.log)
changed=$(grep -Eo 'changed=[0-9]+' .build/bench-site-second.log | awk -F= '{s+=$2} END {print s}')
awk -v a="$first" -v b="$second" -v c="$changed" 'BEGIN {
    printf "site.yml on the lab (1 primary, 2 secondaries, podman exec): first run %.1f s, idempotent run %.1f s = %.2fx (changed=%s in the second)\n", a / 1000, b / 1000, b / a, c }'
