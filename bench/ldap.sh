#!/usr/bin/env bash
# Directory sync and browse, measured (BENCHMARKS.md, "Directory sync"): a private OpenLDAP
# (scripts/services) seeded with 10,000 people in 110 nested OUs (each but every tenth with a
# manager) and 500 groups of 40 (each person in two), one release server on SQLite, and
# bench/ldap.py, which
#
#   1. times a full sync of it (wall time, and the server's CPU from /proc), a second one that
#      finds nothing to change, and, after one person in a hundred is renamed, an incremental
#      sync and a full one;
#   2. times directory browse (the tree, a department's first page of members, a person's card)
#      and people search, each request after the last, 1,000 of each: p50 and p99.
#
#   bench/ldap.sh                          # 10,000 people, 500 groups
#   bench/ldap.sh --people 2000 --groups 100
#
# SERVER_CPUS pins the server with taskset ("0" by default; empty: unpinned); the client and
# slapd run on the other cores. Results go to target/bench-ldap/<time>/ (results.json, and the
# server's log); the data directory is deleted at the end (KEEP=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

people=10000
groups=500
while (( $# )); do
    case "$1" in
        --people) people="$2"; shift 2 ;;
        --groups) groups="$2"; shift 2 ;;
        *) echo "usage: bench/ldap.sh [--people N] [--groups N]" >&2; exit 2 ;;
    esac
done
SERVER_CPUS=${SERVER_CPUS-0}
server_pin=()
if [[ -n "$SERVER_CPUS" ]]; then server_pin=(taskset -c "$SERVER_CPUS"); fi

cargo build --release --locked -p magpie
magpie="$root/target/release/magpie"
out="$root/target/bench-ldap/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
{ uname -srm; nproc; grep -m1 'model name' /proc/cpuinfo || true; uptime; } >"$out/machine.txt"

services=""
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
    if [[ -n "$services" ]]; then scripts/services down "$services"; fi
    if [[ "${KEEP:-}" != 1 ]]; then rm -rf "$out/data"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

services=$(scripts/services up)
# shellcheck disable=SC1091
source "$services/env"
base="ou=bench$(date +%s),$MAGPIE_TEST_LDAP_BASE"
ldap_args=(--ldap-url "$MAGPIE_TEST_LDAP_URL" --bind-dn "$MAGPIE_TEST_LDAP_BIND_DN"
    --password "$MAGPIE_TEST_LDAP_PASSWORD" --base "$base")
echo "== seeding $people people and $groups groups" >&2
python3 bench/ldap.py seed "${ldap_args[@]}" --people "$people" --groups "$groups" | tee "$out/seed.json"

# As bench/search.sh: the abuse guards off (every bench client is 127.0.0.1), cheap hashing.
export MAGPIE_LOG=warn MAGPIE_ARGON2_MEMORY_KIB=256 MAGPIE_ARGON2_ITERATIONS=1 \
    MAGPIE_REQUESTS_PER_IP_PER_SEC_MAX=0 MAGPIE_REQUESTS_PER_SESSION_PER_SEC_MAX=0 \
    MAGPIE_SEARCH_NAME_QUERIES_PER_ACCOUNT_PER_MIN_MAX=100000000
mkdir -p "$out/data"
printf 'bench-admin-password\n' | "$magpie" --data-dir "$out/data" admin user add benchadmin --admin --password-stdin >/dev/null
port=$(free_port)
"${server_pin[@]}" "$magpie" --data-dir "$out/data" serve --listen "127.0.0.1:$port" >"$out/server.log" 2>&1 &
server_pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -sf "$url/readyz" >/dev/null && break; sleep 0.1; done
token=$(curl -sf "$url/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"account":"benchadmin@localhost","password":"bench-admin-password"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

echo "== sync and browse" >&2
python3 bench/ldap.py measure "${ldap_args[@]}" --server "$url" --token "$token" --pid "$server_pid" \
    --people "$people" --out "$out/results.json"
echo "results: $out/results.json" >&2
