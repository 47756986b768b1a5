#!/usr/bin/env bash
# Message search, measured (BENCHMARKS.md, "Search"): `magpie bench search` on one corpus
#
#   1. against Magpie with search on: load the corpus through the WebSocket, ack→searchable
#      under load and idle, the indexing rate while serving sends, query p50/p99, index size;
#   2. the offline rebuild of that index (`magpie admin search reindex`) pinned to one core:
#      the indexing rate of one core with nothing else to do;
#   3. against Magpie with search off (MAGPIE_SEARCH_ENABLED=false): the same load, for the
#      send rate without the indexer;
#   4. the same corpus and queries on PostgreSQL 15: to_tsvector('simple') and pg_trgm.
#
#   bench/search.sh                      # 1,000,000 messages
#   bench/search.sh --messages 20000     # a quick run
#
# SERVER_CPUS and BENCH_CPUS pin the server and the bench with taskset ("0" and "1" by
# default; empty: unpinned). Results (JSON lines and each step's output) go to
# target/bench-search/<time>/; the data directories are deleted at the end (KEEP=1 keeps them).
# PostgreSQL runs each query PG_REPEATS times (20: its worst queries take seconds each).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

messages=1000000
while (( $# )); do
    case "$1" in
        --messages) messages="$2"; shift 2 ;;
        *) echo "usage: bench/search.sh [--messages N]" >&2; exit 2 ;;
    esac
done
SERVER_CPUS=${SERVER_CPUS-0}
BENCH_CPUS=${BENCH_CPUS-1}
server_pin=(); bench_pin=()
if [[ -n "$SERVER_CPUS" ]]; then server_pin=(taskset -c "$SERVER_CPUS"); fi
if [[ -n "$BENCH_CPUS" ]]; then bench_pin=(taskset -c "$BENCH_CPUS"); fi

cargo build --release --locked -p magpie
magpie="$root/target/release/magpie"
out="$root/target/bench-search/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
{ uname -srm; nproc; grep -m1 'model name' /proc/cpuinfo || true; uptime; } >"$out/machine.txt"
ulimit -n 20000

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    if [[ -n "${pg_dir:-}" && -d "$pg_dir/data" ]]; then as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
    if [[ "${KEEP:-}" != 1 ]]; then rm -rf "$out/magpie-on" "$out/magpie-off" "${pg_dir:-/nonexistent}"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for_line() { # wait_for_line FILE TEXT
    if ! grep -q -m1 -F -- "$2" < <(timeout 60 tail -n +1 -F "$1" 2>/dev/null); then
        echo "no \"$2\" in $1 within 60 s" >&2; return 1
    fi
}

# As bench/compare.sh: the server's abuse guards off (every bench client is 127.0.0.1), cheap
# password hashing; and here no bound on searches per account per minute.
export MAGPIE_LOG=warn MAGPIE_ARGON2_MEMORY_KIB=256 MAGPIE_ARGON2_ITERATIONS=1 \
    MAGPIE_REQUESTS_PER_IP_PER_SEC_MAX=0 MAGPIE_REQUESTS_PER_SESSION_PER_SEC_MAX=0 \
    MAGPIE_LOGIN_FAILURES_PER_IP_PER_HOUR_MAX=100000000 MAGPIE_WS_FRAMES_PER_SEC_MAX=1000000 \
    MAGPIE_WS_CONNECTIONS_PER_IP_MAX=0 MAGPIE_HTTP_CONNECTIONS_PER_IP_MAX=0 \
    MAGPIE_SEARCH_QUERIES_PER_ACCOUNT_PER_MIN_MAX=100000000

serve() { # serve NAME SEARCH-ENABLED: starts a server; sets $url and $server_pid
    local dir="$out/$1"
    mkdir -p "$dir"
    printf 'bench-admin-password\n' | "$magpie" --data-dir "$dir" admin user add benchadmin --admin --password-stdin >/dev/null
    local port; port=$(free_port)
    MAGPIE_SEARCH_ENABLED="$2" "${server_pin[@]}" "$magpie" --data-dir "$dir" serve --listen "127.0.0.1:$port" \
        >"$dir/stdout.log" 2>"$dir/stderr.log" &
    server_pid=$!; pids+=("$server_pid")
    url="http://127.0.0.1:$port"
    wait_for_line "$dir/stdout.log" "magpie listening on"
}

bench() { # bench NAME ARGS...: one run, its JSON appended to the results
    local name="$1"; shift
    echo "== $name" >&2
    "${bench_pin[@]}" "$magpie" bench --url "$url" --server-pid "$server_pid" --admin "benchadmin@localhost:bench-admin-password" \
        --max-secs 86400 --json search --messages "$messages" "$@" \
        | python3 -c 'import json,sys; print(json.dumps({"run": sys.argv[1], **json.load(sys.stdin)}))' "$name" >>"$out/runs.jsonl"
}

# 1. Search on.
serve magpie-on true
bench magpie-on --index-dir "$out/magpie-on/search"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true

# 2. The same log indexed again offline, on one core.
echo "== reindex" >&2
"${server_pin[@]}" "$magpie" --data-dir "$out/magpie-on" admin search reindex 2>/dev/null | tee "$out/reindex.txt"

# 3. Search off: the send rate alone.
serve magpie-off false
bench magpie-off --load-only
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true

# 4. PostgreSQL 15, private, on a free port (as scripts/services starts it).
pg_bin=/usr/lib/postgresql/15/bin
as_postgres() { if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_dir="$out/pg"
mkdir -p "$pg_dir"; chmod 755 "$out"
if [[ "$(id -u)" == 0 ]]; then chown postgres "$pg_dir"; fi
as_postgres "$pg_bin/initdb" -D "$pg_dir/data" -U magpie --auth=trust -E UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1
pg_port=$(free_port)
"${server_pin[@]}" runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c shared_buffers=512MB -c work_mem=64MB \
     -c maintenance_work_mem=512MB -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
server_pid=$(head -1 "$pg_dir/data/postmaster.pid")
echo "== postgres" >&2
"${bench_pin[@]}" "$magpie" bench --server-pid "$server_pid" --max-secs 86400 --json search --messages "$messages" \
    --postgres "postgres://magpie@127.0.0.1:$pg_port/postgres" --repeats "${PG_REPEATS:-20}" \
    | python3 -c 'import json,sys; print(json.dumps({"run": "postgres", **json.load(sys.stdin)}))' >>"$out/runs.jsonl"
uptime >>"$out/machine.txt"
echo "results in $out" >&2
