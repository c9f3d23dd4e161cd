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

# Build every test first, once.
cargo test --workspace --all-features --no-run

# The trybuild cases (tests/macros-ui) are a compiler run of their own, in
# trybuild's own target directory: after a change to xsrf-actix it rebuilds
# that crate and checks each case (~20 s). It runs beside the rest of the
# suite, which spends much of its time waiting on sockets, Redis and the
# browser, at a lower priority so the tests that measure time (the load
# run, the 1-second answers of T19) keep the cores they need.
ui_log=$(mktemp)
trap 'rm -f "$ui_log"' EXIT
nice -n 10 cargo test -p xsrf-macros-ui --test macros_ui >"$ui_log" 2>&1 &
ui_pid=$!

status=0
cargo test --workspace --all-features --exclude xsrf-macros-ui || status=$?
if ! wait "$ui_pid"; then
    status=1
fi
echo "--- trybuild cases (xsrf-macros-ui) ---"
cat "$ui_log"
exit "$status"
