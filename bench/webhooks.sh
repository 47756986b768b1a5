#!/usr/bin/env bash
# The issue 18 webhooks benchmark: a bot in 1,000 groups (two bench users and the bot each),
# subscribed to their `message` events at an HTTP app that `magpie bench webhooks` runs itself
# (on 127.0.0.1:18992, at the least CPU priority), the groups' owners posting 20,000 messages
# round-robin. Measured: events per second at the app (the issue's target is at least 10,000),
# commit→delivery latency, and the sends taken per second with the subscription against the
# same sends without it (`--no-subscription`, the bot still in every group).
#
# Builds the release binary (unless one is given), then runs two rounds, each without the
# subscription, with it, and with it while the app holds its answers until the sends are done
# (`--drain`: the backlog's delivery rate, apart from the send rate), every run on a server of its
# own with a fresh data directory. The
# server may call the app on the loopback address only because this starts it with
# MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED=127.0.0.1 (by default apps must be on public addresses).
# Prints each run's summary and then one table.
# Usage: bench/webhooks.sh [MAGPIE_BINARY] [extra `magpie bench webhooks` flags]
# With SERVER_CPUS and BENCH_CPUS (taskset lists, e.g. 0 and 1) the server and the load
# generator (with its app) run on CPUs of their own, as they would on separate machines.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${1:-}" ]; then
    magpie="$1"; shift
else
    cargo build --release -p magpie
    magpie=target/release/magpie
fi
rounds="${ROUNDS:-2}"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export MAGPIE_LOG=warn MAGPIE_ARGON2_MEMORY_KIB=256 MAGPIE_ARGON2_ITERATIONS=1 \
    MAGPIE_REQUESTS_PER_IP_PER_SEC_MAX=0 MAGPIE_REQUESTS_PER_SESSION_PER_SEC_MAX=0 \
    MAGPIE_LOGIN_FAILURES_PER_IP_PER_HOUR_MAX=100000000 MAGPIE_WS_FRAMES_PER_SEC_MAX=100000 \
    MAGPIE_WS_CONNECTIONS_PER_IP_MAX=0 MAGPIE_HTTP_CONNECTIONS_PER_IP_MAX=0 \
    MAGPIE_PASSWORD_HASH_QUEUE_LEN_MAX=1000 MAGPIE_SIGNUP_HASH_QUEUE_LEN_MAX=1000 \
    MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED=127.0.0.1
ulimit -n 20000
server_cpus=(); bench_cpus=()
if [ -n "${SERVER_CPUS:-}" ]; then server_cpus=(taskset -c "$SERVER_CPUS"); fi
if [ -n "${BENCH_CPUS:-}" ]; then bench_cpus=(taskset -c "$BENCH_CPUS"); fi
results="$work/results.jsonl"
failed=0
for round in $(seq 1 "$rounds"); do
    for mode in off on drain; do
        dir="$work/round-$round-$mode"
        mkdir -p "$dir"
        printf 'bench-admin-password\n' | "$magpie" --data-dir "$dir" admin user add benchadmin --admin --password-stdin >/dev/null
        "${server_cpus[@]}" "$magpie" --data-dir "$dir" serve --listen 127.0.0.1:18990 >"$dir/stdout.log" 2>"$dir/stderr.log" &
        server=$!
        # Until the server says it listens (tail follows the log as it grows).
        if ! grep -q -m1 -F "magpie listening on" < <(timeout 60 tail -n +1 -F "$dir/stdout.log" 2>/dev/null); then
            cat "$dir/stderr.log" >&2; exit 1
        fi
        flags=()
        if [ "$mode" = off ]; then flags=(--no-subscription); fi
        if [ "$mode" = drain ]; then flags=(--drain); fi
        echo "== round ${round}, ${mode}"
        # A run that lost events (or had them out of order, or signed wrongly) still prints its
        # result; it is marked in the table and fails the script at the end.
        if ! line=$("${bench_cpus[@]}" "$magpie" bench --url http://127.0.0.1:18990 \
            --admin benchadmin@localhost:bench-admin-password --server-pid "$server" --concurrency 128 --json \
            webhooks --listen 127.0.0.1:18992 "${flags[@]}" "$@"); then
            failed=1
            echo "   FAILED" >&2
        fi
        echo "$line"
        if [ -n "$line" ]; then printf '{"round": %s, "result": %s}\n' "$round" "$line" >>"$results"; fi
        kill "$server"; wait "$server" || true
    done
done
echo
python3 - "$results" <<'EOF'
import json
import sys

def fmt(value, digits=0):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"

rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
header = ["round", "mode", "sends/s", "events", "events/s", "p50 ms", "p99 ms", "tail s",
          "events/request", "dup", "out of order", "bad sig", "server CPU s", "server RSS MiB"]
print("| " + " | ".join(header) + " |")
print("|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|")
for row in rows:
    r = row["result"]
    on = r["subscription"]
    rss = r.get("server_rss_bytes")
    print("| " + " | ".join([
        str(row["round"]),
        ("drain" if r.get("drain") else "on") if on else "off",
        fmt(r["sends_per_sec"]),
        f'{fmt(r["events"])} of {fmt(r["events_expected"])}' if on else "–",
        fmt(r["drain_events_per_sec"] if r.get("drain") else r["events_per_sec"]) if on else "–",
        fmt(r["commit_to_delivery"]["p50_ms"], 1) if on else "–",
        fmt(r["commit_to_delivery"]["p99_ms"], 1) if on else "–",
        fmt(r["event_tail_secs"], 2) if on else "–",
        fmt(r["events_per_request"], 1) if on else "–",
        fmt(r["duplicates"]),
        fmt(r["order_violations"]),
        fmt(r["bad_signatures"]),
        fmt(r.get("server_cpu_secs"), 2),
        fmt(rss / 1048576, 0) if rss else "–",
    ]) + " |")
def mode(r):
    return ("drain" if r.get("drain") else "on") if r["subscription"] else "off"

for name, says in (("off", "without the subscription"), ("on", "with the subscription"),
                   ("drain", "with the subscription, the app holding its answers")):
    rates = [row["result"]["sends_per_sec"] for row in rows if mode(row["result"]) == name]
    if rates:
        print(f'\nsends/s {says}, mean of {len(rates)}: {sum(rates) / len(rates):,.0f}', end="")
drains = [row["result"]["drain_events_per_sec"] for row in rows if mode(row["result"]) == "drain"]
if drains:
    print(f'\nevents/s delivering the backlog, mean of {len(drains)}: {sum(drains) / len(drains):,.0f}', end="")
print()
print("(events/s: for drain, from when the app opened until it had the last event)")
EOF
exit "$failed"
