#!/usr/bin/env bash
# The collection's execution-environment (EE) metadata, as ansible-builder sees it in the built collection:
#   tests/ee/introspect.sh [--no-check] [OUTDIR]          (default .build/ee)
# builds the tarball, installs it alone into OUTDIR/collections, runs `ansible-builder introspect --sanitize` there
# (the step every EE build runs) and fails unless dnsops.tkey's introspected Python requirements are exactly the
# libraries of plugins/module_utils/_deps.py with its minimums (`NAME>=MINIMUM`), and no system requirement shows up
# that bindep.txt does not list. Also checks that docs/execution-environment/execution-environment.yml is a valid EE
# definition (`ansible-builder create` writes its build context; no image is built).
# Leaves OUTDIR/dist/*.tar.gz, OUTDIR/introspect.yml and the sanitized OUTDIR/requirements.txt (tests/ee/smoke.sh
# installs it) and OUTDIR/bindep.txt. --no-check stops there (tests/ee/smoke.sh judges the EE by running it).
# VENV: where ansible-galaxy comes from (default .venv); BUILDER_VENV: ansible-builder's own venv, made when missing
# (default .build/builder-venv).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
check=1
if [ "${1:-}" = "--no-check" ]; then
    check=0
    shift
fi
out="${1:-$root/.build/ee}"
venv="${VENV:-$root/.venv}"
builder_venv="${BUILDER_VENV:-$root/.build/builder-venv}"
builder_version=3.2.0

if [ "$("$builder_venv/bin/ansible-builder" --version 2>/dev/null || true)" != "$builder_version" ]; then
    echo "--- ansible-builder $builder_version into $builder_venv"
    rm -rf "$builder_venv"
    /usr/bin/python3 -m venv "$builder_venv"
    timeout 900 "$builder_venv/bin/pip" install -q --disable-pip-version-check "ansible-builder==$builder_version"
fi

rm -rf "$out/dist" "$out/collections" "$out/requirements.txt" "$out/bindep.txt" "$out/introspect.yml" "$out/create"
mkdir -p "$out/dist" "$out/collections"
echo "--- build and install the collection alone into $out/collections"
timeout 300 "$venv/bin/ansible-galaxy" collection build --output-path "$out/dist" "$root" >/dev/null
tarball="$(ls "$out"/dist/dnsops-tkey-*.tar.gz)"
ANSIBLE_COLLECTIONS_PATH="$out/collections" timeout 300 "$venv/bin/ansible-galaxy" collection install --offline --force \
    -p "$out/collections" "$tarball" >/dev/null
for file in meta/execution-environment.yml requirements.txt bindep.txt; do
    if [ ! -f "$out/collections/ansible_collections/dnsops/tkey/$file" ]; then
        echo "FAIL: $file is not in the collection tarball (galaxy.yml build_ignore?)" >&2
        exit 1
    fi
done

echo "--- ansible-builder introspect --sanitize $out/collections"
# --sanitize is accepted and hidden since ansible-builder 3.0, where the output is always sanitized.
timeout 300 "$builder_venv/bin/ansible-builder" introspect --sanitize --write-pip "$out/requirements.txt" \
    --write-bindep "$out/bindep.txt" "$out/collections" > "$out/introspect.yml"
cat "$out/introspect.yml"
if [ "$check" = 0 ]; then
    exit 0
fi

echo "--- compare with plugins/module_utils/_deps.py and bindep.txt"
"$builder_venv/bin/python" - "$root/plugins/module_utils/_deps.py" "$out/introspect.yml" "$root/bindep.txt" <<'PY'
import ast
import sys

import yaml
from packaging.requirements import Requirement

deps_path, introspect_path, bindep_path = sys.argv[1:4]
COLLECTION = "dnsops.tkey"

# _deps.py is read, never imported: module-level string constants and the REQUIREMENTS dict
# {library: (minimum, debian package)}, the minimum given as a string or the name of such a constant.
tree = ast.parse(open(deps_path).read(), deps_path)
constants, requirements = {}, None
for node in tree.body:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        name = node.targets[0].id
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            constants[name] = node.value.value
        elif name == "REQUIREMENTS":
            requirements = node.value


def string(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    raise SystemExit("FAIL: cannot read %s in %s" % (ast.dump(node), deps_path))


if not isinstance(requirements, ast.Dict) or not requirements.keys:
    raise SystemExit("FAIL: no REQUIREMENTS dict in %s" % deps_path)
declared = dict((string(key), string(value.elts[0])) for key, value in zip(requirements.keys, requirements.values))

text = open(introspect_path).read()
data = yaml.safe_load(text.split("---\n", 1)[1]) or {}
problems = []
found = {}
for line in data.get("python") or []:
    requirement, _, source = line.partition("#")
    source = source.strip()
    if source != "from collection %s" % COLLECTION:
        problems.append("a requirement not from %s: %r" % (COLLECTION, line))
        continue
    parsed = Requirement(requirement.strip())
    found[parsed.name.lower()] = parsed

for library, minimum in sorted(declared.items()):
    parsed = found.pop(library.lower(), None)
    if parsed is None:
        problems.append("%s (_deps.py: minimum %s) is missing from the EE requirements" % (library, minimum))
    elif str(parsed.specifier) != ">=" + minimum:
        problems.append("%s: the EE requires %r, _deps.py's minimum is %s (want %s>=%s)"
                        % (library, str(parsed.specifier), minimum, library, minimum))
for name, parsed in sorted(found.items()):
    problems.append("%s is an EE requirement that _deps.py does not declare" % parsed)

bindep = [line.split("#")[0].strip() for line in open(bindep_path)]
bindep = sorted(line for line in bindep if line)
system = sorted(line.partition("#")[0].strip() for line in data.get("system") or [])
if system != bindep:
    problems.append("system requirements %r, bindep.txt lists %r" % (system, bindep))

for problem in problems:
    print("FAIL: " + problem)
if problems:
    sys.exit(1)
print("ok: %s (bindep: %s)" % (", ".join("%s>=%s" % item for item in sorted(declared.items())),
                               ", ".join(bindep) or "nothing"))
PY

echo "--- ansible-builder create -f docs/execution-environment/execution-environment.yml"
timeout 300 "$builder_venv/bin/ansible-builder" create -f "$root/docs/execution-environment/execution-environment.yml" \
    -c "$out/create" >/dev/null
grep -q '^ARG EE_BASE_IMAGE=' "$out/create/Containerfile"
echo "ok: the example EE definition is valid (build context in $out/create)"
