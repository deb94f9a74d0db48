#!/usr/bin/env bash
# Run `ansible-test sanity` offline on a copy of this checkout.
# ansible-test needs the collection under .../ansible_collections/dnsops/tkey inside a git work tree, and
# bootstraps pip in its per-test virtualenvs from a download; a stand-in that uses ensurepip keeps it offline.
# VENV picks the ansible-core (default .venv); SANITY_DEST the folder the copy goes under (default .build/sanity),
# so that several venvs can run side by side (tests/matrix/run.sh also gives each its own HOME).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$(cd "${VENV:-$root/.venv}" && pwd)"  # absolute: the run below is in the copy
dest="${SANITY_DEST:-$root/.build/sanity}/ansible_collections/dnsops/tkey"
pip_version="$("$venv/bin/python" -c 'import re, pathlib, ansible_test; p = pathlib.Path(ansible_test.__file__).parent / "_internal/python_requirements.py"; print(re.search(r"pip=.([0-9.]+).", p.read_text()).group(1))')"
mkdir -p "$HOME/.ansible/test/cache"
stand_in="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
[ -s "$stand_in" ] || printf 'import ensurepip\nensurepip.bootstrap(upgrade=True)\n' > "$stand_in"
rm -rf "$dest"
mkdir -p "$dest"
cd "$root"
git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents {} "$dest/"
cd "$dest"
git init -q && git add -A && git -c user.email=ci@invalid -c user.name=ci commit -qm snapshot
exec "$venv/bin/ansible-test" sanity --local --python "$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" "$@"
