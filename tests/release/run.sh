#!/usr/bin/env bash
# The release gates, on the tarball `ansible-galaxy collection build` makes of this checkout:
#   readme      tools/role_readme.py --check: roles/*/README.md and defaults/main.yml agree with argument_specs.yml
#   importer    galaxy-importer, offline (no ansible-test, ansible-lint --offline), as Galaxy would import it:
#               fails on its exit code and on any WARNING/ERROR line not in the allow-list below
#   changelog   antsibull-changelog lint (fragments, config) and lint-changelog-yaml
#   docs        antsibull-docs lint-collection-docs --plugin-docs on the collection installed from the tarball
# Needs `make deps` (.venv). The tools live in their own venv, .build/release-venv, made from
# tests/release/requirements.txt on the first run (PyPI, through pip) and reused after: nothing else leaves the
# machine, and a run with that venv in place is offline.
#   tests/release/run.sh                  every gate; one line per gate and "N passed, N failed"
#   tests/release/run.sh readme importer  some of them (the tarball is built whenever a gate needs it)
# VENV: the venv whose ansible-galaxy builds the tarball (default .venv); RELEASE_VENV: the tools' venv.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${VENV:-$root/.venv}"
tools="${RELEASE_VENV:-$root/.build/release-venv}"
out="$root/.build/release"
requirements="$root/tests/release/requirements.txt"
gates=(readme importer changelog docs)

# galaxy-importer lines that are allowed: an extended regular expression per line the collection cannot remove,
# each with the reason. Anything else the importer prints as WARNING or ERROR fails the gate. None needed today.
importer_allow=(
)

# Every tool from the tools' venv, with no Ansible configuration from the caller's environment or home.
tool_env() {
    env -u ANSIBLE_COLLECTIONS_PATH -u ANSIBLE_COLLECTIONS_PATHS -u ANSIBLE_ROLES_PATH ANSIBLE_CONFIG="$out/tmp/ansible.cfg" \
        PATH="$tools/bin:/usr/local/bin:/usr/bin:/bin" ANSIBLE_LOCAL_TEMP="$out/tmp" XDG_CACHE_HOME="$out/tmp" "$@"
}

gate_readme() {
    "$tools/bin/python" "$root/tools/role_readme.py" --check
}

gate_importer() {
    local tarball log line pattern bad=0 allowed
    tarball="$(echo "$out"/dist/dnsops-tkey-*.tar.gz)"
    rm -rf "$out/importer" && mkdir -p "$out/importer/tmp"
    # The importer reads GALAXY_IMPORTER_CONFIG, and any GALAXY_IMPORTER_<KEY> overrides it: drop those.
    cat > "$out/importer/galaxy-importer.cfg" <<EOF
[galaxy-importer]
run_ansible_test = false
run_ansible_lint = true
offline_ansible_lint = true
run_ansible_doc = true
run_flake8 = false
check_changelog = true
check_required_tags = false
require_v1_or_greater = true
tmp_root_dir = $out/importer/tmp
ansible_local_tmp = $out/importer/tmp
log_level_main = INFO
EOF
    log="$out/importer/galaxy-importer.log"
    # It writes importer_result.json into its working directory.
    (
        cd "$out/importer"
        while read -r line; do unset "$line"; done < <(compgen -e | grep '^GALAXY_IMPORTER_' || true)
        tool_env GALAXY_IMPORTER_CONFIG="$out/importer/galaxy-importer.cfg" "$tools/bin/python" -m galaxy_importer.main "$tarball"
    ) > "$log" 2>&1 || bad=1
    grep -v '^Loading ' "$log" || true
    while IFS= read -r line; do
        allowed=0
        for pattern in "${importer_allow[@]}"; do
            if [[ $line =~ $pattern ]]; then allowed=1; fi
        done
        if [ "$allowed" = 0 ]; then echo "importer: not allowed: $line"; bad=1; fi
    done < <(grep -E '^(WARNING|ERROR|CRITICAL)' "$log" || true)
    [ -s "$out/importer/importer_result.json" ] || { echo "importer: no importer_result.json"; return 1; }
    # Both roles' READMEs, as Galaxy shows them: rendered, with their option tables.
    "$tools/bin/python" - "$out/importer/importer_result.json" <<'EOF' || bad=1
import json, sys
result = json.load(open(sys.argv[1]))
roles = {c["content_name"]: c for c in result["docs_blob"]["contents"] if c["content_type"] == "role"}
for name in ("primary", "secondary"):
    html = (roles.get(name) or {}).get("readme_html") or ""
    if html.count("<table>") < 1:
        sys.exit("importer: role %s has no README with an options table on Galaxy" % name)
EOF
    return "$bad"
}

gate_changelog() {
    (cd "$root" && tool_env antsibull-changelog lint && tool_env antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml)
}

gate_docs() {
    local collections="$out/collections"
    rm -rf "$collections"
    tool_env ANSIBLE_COLLECTIONS_PATH="$collections" ansible-galaxy collection install --offline -p "$collections" \
        "$(echo "$out"/dist/dnsops-tkey-*.tar.gz)" > /dev/null
    (cd "$collections/ansible_collections/dnsops/tkey" && tool_env ANSIBLE_COLLECTIONS_PATH="$collections" \
        antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs dependent \
        --disallow-unknown-collection-refs .)
}

# One gate, in its own bash so that set -e holds inside it: run.sh gate NAME.
if [ "${1:-}" = gate ]; then
    "gate_$2"
    exit
fi

selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=("${gates[@]}")
for gate in "${selected[@]}"; do
    [[ " ${gates[*]} " == *" $gate "* ]] || { echo "unknown gate $gate (${gates[*]})" >&2; exit 2; }
done

started=$SECONDS
mkdir -p "$out/tmp"
: > "$out/tmp/ansible.cfg"
[ -x "$venv/bin/ansible-galaxy" ] || { echo "no $venv/bin/ansible-galaxy: run make deps first" >&2; exit 2; }
if ! cmp -s "$requirements" "$tools/.requirements"; then
    echo "--- the tools' venv $tools from $requirements"
    [ -x "$tools/bin/python" ] || /usr/bin/python3 -m venv "$tools"
    timeout 900 "$tools/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$tools/.requirements"
fi
if [[ " ${selected[*]} " == *" importer "* || " ${selected[*]} " == *" docs "* ]]; then
    rm -rf "$out/dist"
    (cd "$root" && timeout 300 "$venv/bin/ansible-galaxy" collection build --output-path "$out/dist" > /dev/null)
    echo "--- built $(cd "$out/dist" && echo dnsops-tkey-*.tar.gz) ($((SECONDS - started)) s with the venv)"
fi

passed=0
failed=0
summary=()
for gate in "${selected[@]}"; do
    echo "--- $gate"
    begin=$SECONDS
    if timeout 900 bash "$0" gate "$gate" 2>&1; then  # each gate bounded (the importer runs ansible-test inside)
        passed=$((passed + 1))
        summary+=("$gate: passed ($((SECONDS - begin)) s)")
    else
        failed=$((failed + 1))
        summary+=("$gate: FAILED ($((SECONDS - begin)) s)")
    fi
done
echo "---"
printf '%s\n' "${summary[@]}"
echo "release gates in $((SECONDS - started)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
