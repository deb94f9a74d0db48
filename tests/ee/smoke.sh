#!/usr/bin/env bash
# Execution-environment (EE) smoke test: the collection runs with nothing but what its EE metadata declares.
#   tests/ee/smoke.sh [OUTDIR]          (default .build/ee-smoke)
# 1. A fresh venv with only ansible-core (requirements-dev.txt's pin), then the Python requirements that
#    `ansible-builder introspect` finds in the built collection (tests/ee/introspect.sh --no-check), as an EE build
#    installs them.
# 2. A collections path with only dnsops.tkey, installed from that tarball, and containers.podman (the lab's
#    connection plugin, copied from .build/collections; not an EE requirement).
# 3. Its own lab instance (lab/lab.sh with TKEY_LAB_NETNS/TKEY_LAB_PREFIX, default dnsops-tkey-ee and
#    dnsops-tkey-ee-) and an inventory derived from lab/inventory.yml; the lab comes down on exit.
# 4. dnsops.tkey.site and dnsops.tkey.status from the installed collection, with PATH holding that venv and the
#    system's directories only (podman), no other ansible configuration or collections. It fails unless site.yml
#    ends with failed=0 and unreachable=0 everywhere, its controller-side inventory check parsed the records
#    (records_checked: dnspython in the EE), and the status table has one row per secondary and zone, each with
#    key ok = yes.
# The tarball is built with the fresh venv's ansible-galaxy; BUILDER_VENV as in introspect.sh.
# Logs: OUTDIR/site.log, OUTDIR/status.log, OUTDIR/status.txt.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/.build/ee-smoke}"
export TKEY_LAB_NETNS="${TKEY_LAB_NETNS:-dnsops-tkey-ee}"
export TKEY_LAB_PREFIX="${TKEY_LAB_PREFIX:-dnsops-tkey-ee-}"
podman_collection="$root/.build/collections/ansible_collections/containers/podman"
venv="$out/venv"
collections="$out/collections"
start=$SECONDS

if [ ! -f "$podman_collection/MANIFEST.json" ]; then
    echo "FAIL: $podman_collection is missing (make deps; the Makefile's containers.podman target)" >&2
    exit 1
fi
core="$(grep -E '^ansible-core[=<>~!]' "$root/requirements-dev.txt")"

echo "--- a fresh venv with $core only"
rm -rf "$venv" "$collections" "$out/introspect"
mkdir -p "$out"
/usr/bin/python3 -m venv "$venv"
timeout 600 "$venv/bin/pip" install -q --disable-pip-version-check "$core"
if "$venv/bin/python" -c 'import dns' 2>/dev/null; then
    echo "FAIL: dnspython is importable in the fresh venv before the EE requirements are installed" >&2
    exit 1
fi

echo "--- what ansible-builder finds in the built collection"
VENV="$venv" timeout 900 "$root/tests/ee/introspect.sh" --no-check "$out/introspect"
if [ -s "$out/introspect/requirements.txt" ]; then
    timeout 600 "$venv/bin/pip" install -q --disable-pip-version-check -r "$out/introspect/requirements.txt"
fi
echo "--- the venv: $("$venv/bin/pip" freeze --disable-pip-version-check | tr '\n' ' ')"

echo "--- collections: dnsops.tkey from the tarball, containers.podman"
tarball="$(ls "$out"/introspect/dist/dnsops-tkey-*.tar.gz)"
ANSIBLE_COLLECTIONS_PATH="$collections" timeout 300 "$venv/bin/ansible-galaxy" collection install --offline \
    -p "$collections" "$tarball" >/dev/null
mkdir -p "$collections/ansible_collections/containers"
cp -a "$podman_collection" "$collections/ansible_collections/containers/"

# lab/inventory.yml with this lab instance's container names
inventory="$out/inventory.yml"
sed "s/^\( *ansible_host: \)dnsops-tkey-/\1${TKEY_LAB_PREFIX}/" "$root/lab/inventory.yml" > "$inventory"
if [ "$(grep -c "ansible_host: ${TKEY_LAB_PREFIX}" "$inventory")" != 3 ]; then
    echo "FAIL: could not derive the inventory from lab/inventory.yml (want 3 hosts named ${TKEY_LAB_PREFIX}*)" >&2
    exit 1
fi
printf '[defaults]\n' > "$out/ansible.cfg"

cleanup() {
    echo "--- lab down"
    "$root/lab/lab.sh" down || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
echo "--- lab up ($TKEY_LAB_NETNS, ${TKEY_LAB_PREFIX}*)"
timeout 600 "$root/lab/lab.sh" up

# Only the fresh venv and the system's directories (podman, ip); nothing of the environment's Ansible settings.
ee() {
    env -i HOME="$HOME" LANG=C.UTF-8 PATH="$venv/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        ANSIBLE_CONFIG="$out/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$collections" \
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 "$@"
}
if [ "$(ee sh -c 'command -v ansible-playbook')" != "$venv/bin/ansible-playbook" ]; then
    echo "FAIL: ansible-playbook does not come from $venv" >&2
    exit 1
fi
ee timeout 120 ansible-galaxy collection list > "$out/collections.txt" 2>&1
cat "$out/collections.txt"

echo "--- dnsops.tkey.site"
site_start=$SECONDS
rc=0
(cd "$out" && ee timeout 1200 ansible-playbook -v -i "$inventory" dnsops.tkey.site) > "$out/site.log" 2>&1 || rc=$?
echo "site.yml: rc=$rc in $((SECONDS - site_start)) s; log $out/site.log"
sed -n '/^PLAY RECAP/,$p' "$out/site.log"
problems=()
[ "$rc" = 0 ] || problems+=("site.yml exited with $rc")
recap="$(sed -n '/^PLAY RECAP/,$p' "$out/site.log" | grep -E '^[a-z0-9]+ +: ok=' || true)"
[ "$(printf '%s\n' "$recap" | grep -c ' : ok=')" = 3 ] || problems+=("site.yml's recap does not list the 3 lab hosts")
if printf '%s\n' "$recap" | grep -Eq 'failed=[1-9]|unreachable=[1-9]'; then
    problems+=("site.yml's recap has failed or unreachable hosts")
fi
if ! grep -q '"records_checked": true' "$out/site.log"; then
    problems+=("the controller's inventory_check did not parse the records (records_checked is not true: no dnspython in the EE?)")
fi

echo "--- dnsops.tkey.status"
rc=0
(cd "$out" && ee timeout 600 ansible-playbook -i "$inventory" dnsops.tkey.status -e "tkey_status_file=$out/status.txt") \
    > "$out/status.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || problems+=("status.yml exited with $rc (log $out/status.log)")
if [ -f "$out/status.txt" ]; then
    cat "$out/status.txt"
    # one row per (secondary, zone) of lab/inventory.yml: example.test on sec1 and sec2, alpha.test, beta.test;
    # "key ok" is the 5th field (host, zone, key, expiry or replacement date: one word each)
    rows="$(tail -n +2 "$out/status.txt" | grep -c . || true)"
    accepted="$(tail -n +2 "$out/status.txt" | awk '$5 == "yes"' | grep -c . || true)"
    [ "$rows" = 4 ] || problems+=("the status table has $rows rows, want 4")
    [ "$accepted" = "$rows" ] || problems+=("the primary accepts the key of $accepted of $rows rows (key ok)")
else
    problems+=("status.yml wrote no table")
fi

for problem in "${problems[@]}"; do
    echo "FAIL: $problem" >&2
done
if [ "${#problems[@]}" != 0 ]; then
    exit 1
fi
echo "ok: site.yml and status.yml ran with only the EE's requirements ($((SECONDS - start)) s)"
