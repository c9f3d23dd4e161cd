#!/usr/bin/env bash
# Runs the whole test suite. Installs what the tests need when it is missing
# and the script may (root with apt-get); with CI=true a missing dependency
# is an error, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
# redis-cli makes the test Redis Cluster (redis-server depends on it on Debian).
command -v redis-cli >/dev/null 2>&1 || need_pkgs+=(redis-tools)
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_pkgs+=(chromium-driver)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing: ${need_pkgs[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
    else
        echo "missing ${need_pkgs[*]}: install them (Debian: apt-get install ${need_pkgs[*]})" >&2
        if [ "${CI:-}" = "true" ]; then exit 1; fi
    fi
fi

# What `cargo test --workspace --all-features` runs. Every step names the
# same packages and features, so the build is shared: another selection
# would unify other features and build much of it again.
selection=(--workspace --all-features)

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# Build every test once, and learn where each test binary is. A binary is
# run as cargo runs it: from its package's directory.
cargo test "${selection[@]}" --no-run --message-format=json-render-diagnostics >"$logs/build.json"
sed -n 's/.*"manifest_path":"\([^"]*\)\/Cargo.toml".*"profile":{[^}]*"test":true[^}]*}.*"executable":"\([^"]*\)".*/\1\t\2/p' \
    "$logs/build.json" >"$logs/binaries"
built=$(grep -c '"profile":{[^}]*"test":true[^}]*}.*"executable":"/' "$logs/build.json" || true)
if [ ! -s "$logs/binaries" ] || [ "$(wc -l <"$logs/binaries")" -ne "$built" ]; then
    echo "could not read every test binary from cargo's build output" >&2
    exit 1
fi

# The binaries that spend most of their time waiting (on Redis, the
# browser, a soak's clock) run side by side with everything else; their
# output is shown at the end. The rest run one after the other.
waiting='/(browser|redis_stores|redis_restart_under_load)-[0-9a-f]+$'
# The trybuild cases (tests/macros-ui) are a compiler run of their own, in
# trybuild's own target directory (a `cargo check` of the cases and what
# they use): beside the rest too, at a lower priority, so the tests that
# measure time (the soak, the 1-second answers of T19) keep the cores.
compiling='/macros_ui-[0-9a-f]+$'

pids=()
names=()
background() {
    local name=$1
    shift
    "$@" >"$logs/$name.log" 2>&1 &
    pids+=($!)
    names+=("$name")
}

# A proc-macro crate's tests link the standard library dynamically: as
# cargo does, put the toolchain's libraries on the loader's path.
sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
export LD_LIBRARY_PATH="$sysroot/lib:$sysroot/lib/rustlib/$host/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# run_binary DIR EXE [PREFIX...]: EXE from DIR, behind PREFIX (e.g. nice).
run_binary() {
    local dir=$1 exe=$2
    shift 2
    (cd "$dir" && CARGO_MANIFEST_DIR="$dir" "$@" "$exe")
}

while IFS=$'\t' read -r dir exe; do
    if [[ "$exe" =~ $waiting ]]; then
        background "$(basename "$exe")" run_binary "$dir" "$exe"
    elif [[ "$exe" =~ $compiling ]]; then
        background "$(basename "$exe")" run_binary "$dir" "$exe" nice -n 10
    fi
done <"$logs/binaries"

status=0
while IFS=$'\t' read -r dir exe; do
    if [[ ! "$exe" =~ $waiting && ! "$exe" =~ $compiling ]]; then
        echo "--- $(basename "$exe") ---"
        run_binary "$dir" "$exe" || status=1
    fi
done <"$logs/binaries"
echo "--- doc tests ---"
cargo test "${selection[@]}" --doc || status=1

for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
        status=1
        echo "FAILED: ${names[$i]}"
    fi
    echo "--- ${names[$i]} ---"
    cat "$logs/${names[$i]}.log"
done
exit "$status"
