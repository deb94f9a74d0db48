#!/usr/bin/env bash
# Unit and sanity tests on every ansible-core the collection claims in meta/runtime.yml.
#
#   tests/matrix/run.sh [-j JOBS] [--check-only] [MINOR ...]
#
# MATRIX below is the list of tested ansible-core releases (the latest patch of each minor) and the Python each
# runs on. Before anything is installed, the list is checked against requires_ansible: the oldest tested minor
# must be the minimum it names (">=2.18.0" means 2.18 is tested, and nothing older is claimed), and every minor
# from there to the newest tested one must be in the list. Each entry gets its own venv, HOME (ansible-test's
# per-test sanity venvs and its pip stand-in live there, so entries never share one) and collection copy, under
# .build/matrix/<minor>/, reused on the next run; only PyPI is reached (pip installs), and each step is bounded.
# Pythons come from pyenv (the machine image has 3.11, 3.12 and 3.13 under ~/.pyenv), else /usr/bin or PATH.
# -j runs that many entries side by side (default 2: on 2 cores about 160 s from nothing, 95 s again; one at a
# time 285 s and 130 s). Naming MINORs (e.g. 2.20) runs those only, after the same check of the whole list.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

# minor  release  python
MATRIX=(
    "2.18 2.18.19 3.11"
    "2.19 2.19.14 3.13"
    "2.20 2.20.10 3.12"
    "2.21 2.21.5 3.13"
)
# Libraries the unit tests need, pinned as in requirements-dev.txt (these pins install on every Python above).
PINNED=(dnspython cryptography pytest)
# Bounds, in seconds, for one entry's steps (seen: 20, 40 and 150 at most, cold on a busy machine).
INSTALL_TIMEOUT=300
UNIT_TIMEOUT=300
SANITY_TIMEOUT=900

jobs=2
check_only=0
only=()
while [ $# -gt 0 ]; do
    case "$1" in
        -j) jobs="$2"; shift 2 ;;
        -j*) jobs="${1#-j}"; shift ;;
        --check-only) check_only=1; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        -*) echo "unknown option: $1" >&2; exit 2 ;;
        *) only+=("$1"); shift ;;
    esac
done
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "-j wants a positive number, not '$jobs'" >&2; exit 2; }

fail() { echo "matrix: $*" >&2; exit 1; }

# --- the gate: the tested minors are exactly those requires_ansible claims --------------------------------------
minor_key() { local major="${1%%.*}" minor="${1#*.}"; minor="${minor%%.*}"; printf '%d%04d' "$major" "$minor"; }

check_claim() {
    local line spec lower upper="" oldest="" newest="" entry m r p k
    line="$(grep -E '^requires_ansible:' "$root/meta/runtime.yml")" || fail "meta/runtime.yml names no requires_ansible"
    spec="$(sed -E 's/^requires_ansible:[[:space:]]*//; s/^["'\'']//; s/["'\''][[:space:]]*(#.*)?$//' <<<"$line")"
    [[ "$spec" =~ ^\>=[[:space:]]*([0-9]+)\.([0-9]+)\.0[[:space:]]*(,[[:space:]]*\<[[:space:]]*([0-9]+)\.([0-9]+)(\.0)?)?$ ]] \
        || fail "requires_ansible '$spec' is not of the form '>=X.Y.0' or '>=X.Y.0,<X.Z'"
    lower="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
    [ -n "${BASH_REMATCH[4]}" ] && upper="${BASH_REMATCH[4]}.${BASH_REMATCH[5]}"
    declare -A tested=()
    for entry in "${MATRIX[@]}"; do
        read -r m r p <<<"$entry"
        [[ "$r" == "$m".* ]] || fail "MATRIX entry '$entry': release $r is not of minor $m"
        tested[$(minor_key "$m")]="$m"
        if [ -z "$oldest" ] || [ "$(minor_key "$m")" -lt "$(minor_key "$oldest")" ]; then oldest="$m"; fi
        if [ -z "$newest" ] || [ "$(minor_key "$m")" -gt "$(minor_key "$newest")" ]; then newest="$m"; fi
    done
    if [ "$(minor_key "$lower")" -lt "$(minor_key "$oldest")" ]; then
        fail "requires_ansible is '$spec' but the oldest ansible-core tested is $oldest: $lower is claimed and untested" \
            "(set '>=$oldest.0' in meta/runtime.yml, or add $lower to MATRIX)"
    elif [ "$oldest" != "$lower" ]; then
        fail "requires_ansible is '$spec' but MATRIX tests $oldest, which it does not claim (drop $oldest from MATRIX," \
            "or set '>=$oldest.0')"
    fi
    if [ -n "$upper" ] && [ "$(minor_key "$newest")" -ge "$(minor_key "$upper")" ]; then
        fail "requires_ansible is '$spec' but $newest is tested: widen the upper bound or drop $newest"
    fi
    for ((k = $(minor_key "$oldest"); k <= $(minor_key "$newest"); k++)); do
        [ -n "${tested[$k]:-}" ] || [ $((k % 10000)) -gt 99 ] \
            || fail "requires_ansible '$spec' claims $((k / 10000)).$((k % 10000)), which MATRIX does not test"
    done
    echo "matrix: requires_ansible '$spec' = tested ansible-core $oldest .. $newest"
}
check_claim
[ "$check_only" = 1 ] && exit 0

# --- one entry: venv, unit tests, sanity -------------------------------------------------------------------------
find_python() {
    local want="$1" candidate
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/python"$want" "/usr/bin/python$want" "$(command -v "python$want" || true)"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c 'import ensurepip, venv' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

pin() {  # the line of requirements-dev.txt that pins $1
    grep -iE "^$1[[:space:]]*==" "$root/requirements-dev.txt" || fail "requirements-dev.txt pins no $1"
}

run_entry() {  # minor release python -> writes $dir/result: "unit sanity seconds python"
    local minor="$1" release="$2" want="$3"
    local dir="$root/.build/matrix/$minor" start unit="-" sanity="-" python venv requirements
    start=$SECONDS
    mkdir -p "$dir"
    rm -f "$dir/result"
    exec >"$dir/log" 2>&1
    echo "=== ansible-core $release on Python $want"
    python="$(find_python "$want")" || { echo "no Python $want with venv and ensurepip (pyenv, /usr/bin, PATH)"; echo "no-python no-python $((SECONDS - start)) $want" >"$dir/result"; return 0; }
    venv="$dir/venv"
    requirements="ansible-core==$release"
    for lib in "${PINNED[@]}"; do requirements+=" $(pin "$lib")"; done
    if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$python $requirements" ]; then
        if [ ! -x "$venv/bin/python" ] || [ "$(readlink -f "$venv/bin/python")" != "$(readlink -f "$python")" ]; then
            rm -rf "$venv"
            "$python" -m venv "$venv"
        fi
        # shellcheck disable=SC2086 # requirements is a list of words
        if ! timeout --kill-after=30 "$INSTALL_TIMEOUT" "$venv/bin/python" -m pip install -q --disable-pip-version-check $requirements; then
            echo "install-failed install-failed $((SECONDS - start)) $want" >"$dir/result"
            return 0
        fi
        echo "$python $requirements" >"$venv/.stamp"
    fi
    "$venv/bin/python" -m pip list --disable-pip-version-check --format=freeze 2>/dev/null | grep -iE '^(ansible-core|dnspython|cryptography|pytest)=='
    echo "--- unit: pytest -q tests/unit"
    # a temporary directory of its own where `make unit`'s is (under TMPDIR: a test expects it to sort before /var)
    local tmp
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/dnsops-tkey-matrix-$minor.XXXXXX")"
    if (cd "$root" && timeout --kill-after=30 "$UNIT_TIMEOUT" "$venv/bin/python" -m pytest -q -p no:cacheprovider --basetemp "$tmp" tests/unit); then
        unit=pass
    else
        unit="fail($?)"
    fi
    rm -rf "$tmp"
    echo "--- sanity: ansible-test sanity"
    # HOME holds ansible-test's per-test sanity venvs (and their pip cache) and its pip stand-in: one per entry, so
    # that entries never build the same venv at once (nor share one with `make sanity` or another checkout's run)
    mkdir -p "$dir/home"
    if HOME="$dir/home" VENV="$venv" SANITY_DEST="$dir/sanity" \
        timeout --kill-after=30 "$SANITY_TIMEOUT" "$root/tests/sanity/run-ansible-test.sh"; then
        sanity=pass
    else
        sanity="fail($?)"
    fi
    "$venv/bin/python" -c 'import platform; print(platform.python_version())' >"$dir/python-version" 2>/dev/null || true
    echo "$unit $sanity $((SECONDS - start)) $(cat "$dir/python-version" 2>/dev/null || echo "$want")" >"$dir/result"
    echo "=== unit $unit, sanity $sanity, $((SECONDS - start)) s"
}

selected=()
for entry in "${MATRIX[@]}"; do
    read -r m _ _ <<<"$entry"
    if [ ${#only[@]} -eq 0 ] || [[ " ${only[*]} " == *" $m "* ]]; then selected+=("$entry"); fi
done
for m in "${only[@]}"; do
    printf '%s\n' "${MATRIX[@]}" | grep -q "^$m " || fail "$m is not in MATRIX"
done

total_start=$SECONDS
pids=()
for entry in "${selected[@]}"; do
    read -r m r p <<<"$entry"
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    echo "matrix: ansible-core $r on Python $p -> .build/matrix/$m/log"
    run_entry "$m" "$r" "$p" &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || true; done

status=0
printf '\n%-10s %-8s %-10s %-10s %8s\n' core python unit sanity seconds
for entry in "${selected[@]}"; do
    read -r m r p <<<"$entry"
    if read -r unit sanity seconds python <"$root/.build/matrix/$m/result" 2>/dev/null; then :; else unit=died sanity=died seconds=- python=$p; fi
    printf '%-10s %-8s %-10s %-10s %8s\n' "$r" "$python" "$unit" "$sanity" "$seconds"
    if [ "$unit" != pass ] || [ "$sanity" != pass ]; then
        status=1
        echo "  .build/matrix/$m/log says:"
        grep -E '^(ERROR|FATAL|FAILED|E  )|no Python|^=== ' "$root/.build/matrix/$m/log" | head -n 25 | sed 's/^/    /'
    fi
done
echo "matrix: ${#selected[@]} entries, $jobs at a time, $((SECONDS - total_start)) s in all"
exit $status
