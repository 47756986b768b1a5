#!/usr/bin/env bash
# The issue 17 push benchmark: a 10,000-member group, 9,000 members away with one device each
# at an HTTP push gateway (which `magpie bench push` runs itself), one online member posting.
# Runs one release binary twice: without push (no gateway, no Web Push: no push follower, the
# baseline send rate) and with the gateway and every away member's device registered.
# Usage: bench/push-fanout.sh [MAGPIE_BINARY] [extra `magpie bench push` flags]
# With SERVER_CPUS and BENCH_CPUS (taskset lists, e.g. 0 and 1) the server and the load
# generator (with its gateway) run on CPUs of their own, as they would on separate machines.
set -euo pipefail
cd "$(dirname "$0")/.."
magpie="${1:-target/release/magpie}"
shift || true
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export MAGPIE_LOG=warn MAGPIE_ARGON2_MEMORY_KIB=256 MAGPIE_ARGON2_ITERATIONS=1 \
    MAGPIE_REQUESTS_PER_IP_PER_SEC_MAX=0 MAGPIE_REQUESTS_PER_SESSION_PER_SEC_MAX=0 \
    MAGPIE_LOGIN_FAILURES_PER_IP_PER_HOUR_MAX=100000000 MAGPIE_WS_FRAMES_PER_SEC_MAX=100000 \
    MAGPIE_WS_CONNECTIONS_PER_IP_MAX=0 MAGPIE_HTTP_CONNECTIONS_PER_IP_MAX=0 \
    MAGPIE_PASSWORD_HASH_QUEUE_LEN_MAX=1000 MAGPIE_SIGNUP_HASH_QUEUE_LEN_MAX=1000
ulimit -n 20000
for push in off on; do
    dir="$work/push-$push"
    mkdir -p "$dir"
    printf 'bench-admin-password\n' | "$magpie" --data-dir "$dir" admin user add benchadmin --admin --password-stdin >/dev/null
    env=(MAGPIE_PUSH_WEB_PUSH=false); flags=(--no-devices)
    if [ "$push" = on ]; then
        env+=(MAGPIE_PUSH_GATEWAYS=bench=http://127.0.0.1:18991/push); flags=()
    fi
    server_cpus=(); bench_cpus=()
    if [ -n "${SERVER_CPUS:-}" ]; then server_cpus=(taskset -c "$SERVER_CPUS"); fi
    if [ -n "${BENCH_CPUS:-}" ]; then bench_cpus=(taskset -c "$BENCH_CPUS"); fi
    env "${env[@]}" "${server_cpus[@]}" "$magpie" --data-dir "$dir" serve --listen 127.0.0.1:18990 >"$dir/stdout.log" 2>"$dir/stderr.log" &
    server=$!
    # Until the server says it listens (tail follows the log as it grows).
    if ! grep -q -m1 -F "magpie listening on" < <(timeout 60 tail -n +1 -F "$dir/stdout.log" 2>/dev/null); then
        cat "$dir/stderr.log" >&2; exit 1
    fi
    echo "== push ${push}"
    "${bench_cpus[@]}" "$magpie" bench --url http://127.0.0.1:18990 --admin benchadmin@localhost:bench-admin-password \
        --server-pid "$server" --concurrency 128 push "${flags[@]}" "$@"
    kill "$server"; wait "$server" || true
done
