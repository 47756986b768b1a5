#!/usr/bin/env bash
# What push's follower costs the send path (issue 17): the same release binary, run with Web
# Push off (no push follower: the send path as it was before push) and on (the default: the
# follower reads each message's audience, here with no device registered), through the same
# `magpie bench` scenarios. Usage: bench/push-overhead.sh [MAGPIE_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
magpie="${1:-target/release/magpie}"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export MAGPIE_LOG=warn MAGPIE_ARGON2_MEMORY_KIB=256 MAGPIE_ARGON2_ITERATIONS=1 \
    MAGPIE_REQUESTS_PER_IP_PER_SEC_MAX=0 MAGPIE_REQUESTS_PER_SESSION_PER_SEC_MAX=0 \
    MAGPIE_LOGIN_FAILURES_PER_IP_PER_HOUR_MAX=100000000 MAGPIE_WS_FRAMES_PER_SEC_MAX=100000 \
    MAGPIE_WS_CONNECTIONS_PER_IP_MAX=0 MAGPIE_HTTP_CONNECTIONS_PER_IP_MAX=0
for push in false true; do
    dir="$work/push-$push"
    mkdir -p "$dir"
    printf 'bench-admin-password\n' | "$magpie" --data-dir "$dir" admin user add benchadmin --admin --password-stdin >/dev/null
    MAGPIE_PUSH_WEB_PUSH=$push "$magpie" --data-dir "$dir" serve --listen 127.0.0.1:18990 >"$dir/stdout.log" 2>"$dir/stderr.log" &
    server=$!
    # Until the server says it listens (tail follows the log as it grows).
    if ! grep -q -m1 -F "magpie listening on" < <(timeout 60 tail -n +1 -F "$dir/stdout.log" 2>/dev/null); then
        cat "$dir/stderr.log" >&2; exit 1
    fi
    for scenario in "direct --users 100 --rate 2000 --duration 15" "group --members 1000 --messages 50 --rate 10"; do
        echo "== push ${push}: ${scenario}"
        # shellcheck disable=SC2086
        "$magpie" bench --url http://127.0.0.1:18990 --admin benchadmin@localhost:bench-admin-password $scenario
    done
    kill "$server"; wait "$server" || true
done
