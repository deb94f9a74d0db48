#!/usr/bin/env bash
# site.yml and status.yml driven by Mitogen for Ansible (strategy mitogen_linear), on a lab instance of its own.
# The lab's containers are reached through Mitogen's own podman connection (mitogen_podman): containers.podman.podman
# is not one Mitogen wraps, and under a mitogen strategy it would silently run plain Ansible (AnsiballZ over podman
# exec). With mitogen_podman every module runs in Mitogen's interpreter on the target and imports its module_utils
# through Mitogen's importer (which has get_source but no get_data).
# Asserts: Mitogen's podman connection drives every host (mitogen_get_stack) and site.yml sends no AnsiballZ file;
# site.yml failed=0; the renewal agent's library on each secondary is byte-identical to plugins/module_utils; a second
# site.yml changed=0; status.yml: every key accepted.
#   tests/mitogen/run.sh      needs `make deps` and the lab's image (`make image`; lab.sh builds it when missing)
# Environment: MITOGEN_VENV (default .build/mitogen-venv, made here: tests/mitogen/requirements.txt and the
# ansible-core, dnspython, cryptography pins of requirements-dev.txt), TKEY_LAB_NETNS and TKEY_LAB_PREFIX (default
# dnsops-tkey-mg, dnsops-tkey-mg-), PLAY_TIMEOUT (seconds per playbook, default 900). Logs in .build/mitogen/.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export TKEY_LAB_NETNS="${TKEY_LAB_NETNS:-dnsops-tkey-mg}"
export TKEY_LAB_PREFIX="${TKEY_LAB_PREFIX:-dnsops-tkey-mg-}"
venv="${MITOGEN_VENV:-$root/.build/mitogen-venv}"
play_timeout="${PLAY_TIMEOUT:-900}"
out="$root/.build/mitogen"
inventory="$out/inventory.yml"
begin=$(date +%s)
mkdir -p "$out"

fail() {
    echo "tests/mitogen: FAILED: $*" >&2
    exit 1
}

# The venv: pinned Mitogen, and the ansible-core the rest of the tests use. Remade when the pins change.
pins="$(grep -hE '^(ansible-core|dnspython|cryptography)==' requirements-dev.txt; grep -hE '^[a-z]' tests/mitogen/requirements.txt)"
if [ ! -x "$venv/bin/ansible-playbook" ] || [ "$(cat "$venv/.dnsops-pins" 2>/dev/null)" != "$pins" ]; then
    [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
    # shellcheck disable=SC2086  # one requirement a word
    timeout 600 "$venv/bin/python" -m pip install -q --disable-pip-version-check $pins
    printf '%s\n' "$pins" > "$venv/.dnsops-pins"
fi
py="$venv/bin/python"
"$py" tests/support/paths.py  # .build/collections/ansible_collections/dnsops/tkey -> this checkout
export ANSIBLE_COLLECTIONS_PATH="$root/.build/collections"
export ANSIBLE_STRATEGY=mitogen_linear
ANSIBLE_STRATEGY_PLUGINS="$("$py" -c 'import os, ansible_mitogen; print(os.path.join(os.path.dirname(ansible_mitogen.__file__), "plugins", "strategy"))')"
export ANSIBLE_STRATEGY_PLUGINS
export ANSIBLE_NOCOLOR=1 ANSIBLE_DEPRECATION_WARNINGS=0
echo "mitogen $("$py" -c 'import mitogen; print(".".join(map(str, mitogen.__version__)))'), ansible-core $("$venv/bin/ansible" --version | sed -n '1s/.*core \([0-9.]*\).*/\1/p')"

# The lab's inventory with this instance's container names and Mitogen's podman connection.
"$py" - "$inventory" <<'PY'
import os
import sys

import yaml

source = yaml.safe_load(open("lab/inventory.yml"))
prefix = os.environ["TKEY_LAB_PREFIX"]
source["all"]["vars"]["ansible_connection"] = "mitogen_podman"
for group in source["all"]["children"].values():
    for values in group["hosts"].values():
        values["ansible_host"] = prefix + values["ansible_host"][len("dnsops-tkey-"):]
with open(sys.argv[1], "w") as handle:
    handle.write("---\n# Made by tests/mitogen/run.sh from lab/inventory.yml; do not edit.\n")
    yaml.safe_dump(source, handle, sort_keys=False)
PY
hosts="$("$py" -c 'import sys, yaml; i = yaml.safe_load(open(sys.argv[1])); print(" ".join("%s=%s" % (n, v["ansible_host"]) for g in i["all"]["children"].values() for n, v in g["hosts"].items()))' "$inventory")"
read -r -a host_list <<< "$hosts"
rows="$("$py" -c 'import sys, yaml; i = yaml.safe_load(open(sys.argv[1])); print(sum(len(z["secondaries"]) for z in i["all"]["vars"]["tkey_zones"]))' "$inventory")"

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
lab/lab.sh down >/dev/null  # what a killed run left
bounded 900 lab/lab.sh up

# RECAP of LOG: every host of the inventory, failed=0 and unreachable=0 (and changed=0 with "unchanged").
check_recap() {
    local log="$1" want="${2:-}" recap
    recap="$(sed -n '/^PLAY RECAP/,$p' "$log" | grep -E '^[a-z0-9_.-]+ +: ok=' || true)"
    echo "$recap"
    for entry in "${host_list[@]}"; do
        grep -qE "^${entry%%=*} +: ok=" <<< "$recap" || fail "$log: no recap for ${entry%%=*}"
    done
    if grep -vE ' failed=0 ' <<< "$recap" | grep -q . || grep -vE ' unreachable=0 ' <<< "$recap" | grep -q .; then
        fail "$log: a host failed or was unreachable"
    fi
    if [ "$want" = unchanged ] && grep -vE ' changed=0 ' <<< "$recap" | grep -q .; then
        fail "$log: the second run changed something"
    fi
}

playbook() {
    local log="$1"
    shift
    local rc=0
    bounded "$play_timeout" "$venv/bin/ansible-playbook" -i "$inventory" "$@" > "$log" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
        tail -40 "$log" >&2
        fail "ansible-playbook $* (exit $rc$([ "$rc" = 124 ] && echo ", timed out after $play_timeout s"), log $log)"
    fi
}

echo "--- Mitogen drives the connection: mitogen_get_stack on every host"
bounded 120 "$venv/bin/ansible" -i "$inventory" all -m mitogen_get_stack > "$out/stack.log" 2>&1 || {
    cat "$out/stack.log" >&2; fail "mitogen_get_stack"; }
for entry in "${host_list[@]}"; do
    stack="$(sed -n "/^${entry%%=*} | /,/^}/p" "$out/stack.log")"
    if ! grep -q '"method": "podman"' <<< "$stack" || ! grep -q "\"container\": \"${entry#*=}\"" <<< "$stack"; then
        fail "${entry%%=*} is not reached through Mitogen's podman connection (see $out/stack.log)"
    fi
    echo "${entry%%=*}: method podman, container ${entry#*=}"
done

echo "--- site.yml (first run, -vvv)"
start=$(date +%s)
playbook "$out/site-1.log" -vvv playbooks/site.yml
check_recap "$out/site-1.log"
echo "$(( $(date +%s) - start )) s"
if grep -q AnsiballZ "$out/site-1.log"; then
    fail "site.yml sent AnsiballZ files: plain Ansible ran, not Mitogen ($out/site-1.log)"
fi
echo "no AnsiballZ file sent (Mitogen runs the modules in its own interpreter on the targets)"

echo "--- the agent's library on each secondary is plugins/module_utils, byte for byte"
library="$("$py" -c 'import sys; sys.path.insert(0, ".build/collections"); from ansible_collections.dnsops.tkey.plugins.module_utils._agent import LIBRARY; print(" ".join(n + ".py" for n in LIBRARY))')"
read -r -a library_files <<< "$library"
wanted="$(cd plugins/module_utils && sha256sum "${library_files[@]}")"
secondaries="$("$py" -c 'import sys, yaml; i = yaml.safe_load(open(sys.argv[1])); print(" ".join(i["all"]["children"]["tkey_secondaries"]["hosts"]))' "$inventory")"
for name in $secondaries; do
    container="$(printf '%s\n' "${host_list[@]}" | sed -n "s/^$name=//p")"
    got="$(timeout 60 podman exec "$container" sh -c 'cd /usr/lib/dnsops-tkey/ansible_collections/dnsops/tkey/plugins/module_utils && sha256sum *.py')"
    [ "$got" = "$wanted" ] || fail "$name: the agent's library differs from plugins/module_utils:
$(diff <(echo "$wanted") <(echo "$got") || true)"
    echo "$name: ${#library_files[@]} files identical"
done

echo "--- site.yml (second run: changed=0)"
start=$(date +%s)
playbook "$out/site-2.log" playbooks/site.yml
check_recap "$out/site-2.log" unchanged
echo "$(( $(date +%s) - start )) s"

echo "--- status.yml: every key accepted"
rm -f "$out/status.txt"
playbook "$out/status.log" playbooks/status.yml -e "tkey_status_file=$out/status.txt"
check_recap "$out/status.log"
cat "$out/status.txt"
# columns: host zone key expires key-ok ...; one row per secondary and zone
awk -v rows="$rows" 'NR > 1 && NF { n++; if ($5 != "yes") bad = bad " " $1 "/" $2 }
    END { if (n != rows || bad != "") { printf "%d rows of %d, key not accepted:%s\n", n, rows, bad; exit 1 } }' "$out/status.txt" ||
    fail "status.yml"

echo "tests/mitogen: passed in $(( $(date +%s) - begin )) s"
