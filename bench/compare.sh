#!/usr/bin/env bash
# Runs `magpie bench` against Magpie, ejabberd and Prosody in turn, on this machine, with the
# same scenarios, and writes the results (JSON lines and a Markdown table) under bench/results/.
# ejabberd and Prosody come from Debian's packages and run with the configs in this folder:
# plain c2s on loopback, no shapers, in-band registration, each once with its message archive
# (MAM) on and once with it off.
#
# Cluster mode: `magpie-pg` is one Magpie node on PostgreSQL and Redis, `magpie-pg2` and
# `magpie-pg3` two and three nodes on them (the bench spreads its users over the nodes), and
# `ejabberd-pg-mam` is ejabberd with everything in the same PostgreSQL and its archive on.
# PostgreSQL and Redis come from scripts/services, with PostgreSQL durable (fsync and
# synchronous_commit on) and pg_stat_statements loaded; each server gets a database (and a bus
# prefix) of its own. Their CPU time per delivery is measured by the bench (`--watch`), and
# each server's busiest statements are kept in pg_stat_statements-NAME.txt.
#
#   bench/compare.sh            the full run whose tables BENCHMARKS.md keeps (about 40 min)
#   bench/compare.sh --quick    every scenario at small scale (about 3 min)
#
# Knobs (environment): SERVER_CPUS and BENCH_CPUS pin the server and the load generator to
# cores with taskset ("0" and "1" by default: each gets one of the two cores; set both empty
# to let them share; the nodes of a cluster, PostgreSQL and Redis all share SERVER_CPUS);
# SERVERS (default "magpie ejabberd ejabberd-mam prosody prosody-mam"; also magpie-pg,
# magpie-pg2, magpie-pg3 and ejabberd-pg-mam); SCENARIOS (default "connect direct ramp group
# sync"); RAMP_TRIES (attempts per ramp step, 1 by default) and RAMP_P99_MS (the ramp's p99
# bound, 100 ms by default); MAX_SECS bounds each scenario
# (600 s by default); the sizes are below.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

quick=0
if [[ "${1:-}" == "--quick" ]]; then quick=1; fi

if (( quick )); then
    CONNECTIONS=${CONNECTIONS:-500}; USERS=${USERS:-50}; DIRECT_RATE=${DIRECT_RATE:-1000}
    RAMP_START=${RAMP_START:-1000}; RAMP_STEP=${RAMP_STEP:-1000}; STEP_SECS=${STEP_SECS:-2}
    GROUP=${GROUP:-100}; GROUP_MESSAGES=${GROUP_MESSAGES:-20}; GROUP_RATE=${GROUP_RATE:-10}
    SYNC_CLIENTS=${SYNC_CLIENTS:-10}; SYNC_MESSAGES=${SYNC_MESSAGES:-50}; DURATION=${DURATION:-3}
    XMPP_GROUP=${XMPP_GROUP:-$GROUP}
else
    CONNECTIONS=${CONNECTIONS:-19000}; USERS=${USERS:-1000}; DIRECT_RATE=${DIRECT_RATE:-10000}
    RAMP_START=${RAMP_START:-2000}; RAMP_STEP=${RAMP_STEP:-2000}; STEP_SECS=${STEP_SECS:-5}
    GROUP=${GROUP:-10000}; GROUP_MESSAGES=${GROUP_MESSAGES:-50}; GROUP_RATE=${GROUP_RATE:-20}
    # An XMPP room announces every join to every occupant, so filling one costs n² stanzas (a
    # 1,000-member Prosody room took over 5 minutes at full CPU): the XMPP servers are measured
    # at XMPP_GROUP members, and Magpie at both sizes.
    XMPP_GROUP=${XMPP_GROUP:-500}
    SYNC_CLIENTS=${SYNC_CLIENTS:-1000}; SYNC_MESSAGES=${SYNC_MESSAGES:-100}; DURATION=${DURATION:-10}
fi
SERVERS=${SERVERS:-"magpie ejabberd ejabberd-mam prosody prosody-mam"}
SCENARIOS=${SCENARIOS:-"connect direct ramp group sync"}
# Attempts per ramp step before the ramp stops (`magpie bench ramp --tries`): 2 on a machine
# shared with other work, where a moment's noise should not end the ramp.
RAMP_TRIES=${RAMP_TRIES:-1}
# The ramp's p99 send→delivery bound, in milliseconds.
RAMP_P99_MS=${RAMP_P99_MS:-100}
# A scenario still running after this long (setup included) is stopped; its row shows a dash.
MAX_SECS=${MAX_SECS:-600}
SERVER_CPUS=${SERVER_CPUS-0}
BENCH_CPUS=${BENCH_CPUS-1}

out="$root/bench/results/$(date -u +%Y%m%dT%H%M%SZ)$( (( quick )) && echo -quick || true)"
mkdir -p "$out"
work="$(mktemp -d /tmp/magpie-compare.XXXXXX)"
chmod 755 "$work"
pids=()
services=""
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    pkill -f "$work" 2>/dev/null || true
    if [[ -n "$services" ]]; then scripts/services down "$services"; fi
    rm -rf "$work"
}
trap cleanup EXIT

# Command prefixes that pin to cores; taskset execs the program, so `$!` is the server's pid.
server_pin=(); bench_pin=()
if [[ -n "$SERVER_CPUS" ]]; then server_pin=(taskset -c "$SERVER_CPUS"); fi
if [[ -n "$BENCH_CPUS" ]]; then bench_pin=(taskset -c "$BENCH_CPUS"); fi

echo "== installing ejabberd, Prosody, PostgreSQL and Redis (Debian packages) if missing"
# erlang-p1-pgsql is ejabberd's PostgreSQL driver; /usr/share/ejabberd/sql/pg.sql its schema.
if ! command -v ejabberdctl >/dev/null || ! command -v prosody >/dev/null \
    || ! dpkg-query -W -f='${Status}' erlang-p1-pgsql 2>/dev/null | grep -q "ok installed" \
    || [[ ! -x /usr/lib/postgresql/15/bin/postgres ]] || ! command -v redis-server >/dev/null; then
    sudo=""; if [[ "$(id -u)" != 0 ]]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends ejabberd erlang-p1-pgsql \
        prosody postgresql-15 postgresql-contrib redis-server >/dev/null
fi
# The packages start system services on some machines; the comparison runs its own.
for service in ejabberd prosody postgresql redis-server; do (service "$service" stop || true) >/dev/null 2>&1; done

echo "== building magpie (release)"
cargo build --release --locked -p magpie
magpie="$root/target/release/magpie"

# Every process may hold 20,000 files: 19,000 connections plus the rest.
ulimit -n 20000

wait_for_line() { # wait_for_line FILE TEXT: until a line of FILE (as it grows) contains TEXT
    if ! grep -q -m1 -F -- "$2" < <(timeout 60 tail -n +1 -F "$1" 2>/dev/null); then
        echo "no \"$2\" in $1 within 60 s" >&2; return 1
    fi
}

# Processes whose CPU the bench reports besides the server's (`--watch NAME=PID`): set by the
# servers that run on PostgreSQL and Redis.
watch=()

bench() { # bench SERVER-NAME PIDS ARGS...: one scenario, its JSON appended to the results
    local name="$1" pids="$2"; shift 2
    echo "-- $name: $*"
    "${bench_pin[@]}" "$magpie" bench --server-pid "$pids" "${watch[@]}" --max-secs "$MAX_SECS" --json "$@" \
        | sed "s/^{/{\"server\":\"$name\",/" | tee -a "$out/results.jsonl" | cut -c1-300
}

scenarios() { # scenarios NAME PIDS GROUP-SIZES TARGET-ARGS... (PIDS: one per node, commas between)
    local name="$1" pids="$2" groups="$3"; shift 3
    for scenario in $SCENARIOS; do
        case "$scenario" in
            connect) bench "$name" "$pids" "$@" connect --connections "$CONNECTIONS" --rate 1000 --hold 5 || true ;;
            direct) bench "$name" "$pids" "$@" direct --users "$USERS" --rate "$DIRECT_RATE" --duration "$DURATION" || true ;;
            ramp)
                bench "$name" "$pids" "$@" ramp --users "$USERS" --start "$RAMP_START" --step "$RAMP_STEP" \
                    --step-secs "$STEP_SECS" --max-rate 200000 --tries "$RAMP_TRIES" --p99-ms "$RAMP_P99_MS" || true ;;
            group)
                for members in $groups; do
                    bench "$name" "$pids" "$@" group --members "$members" --messages "$GROUP_MESSAGES" \
                        --rate "$GROUP_RATE" || true
                done ;;
            sync) bench "$name" "$pids" "$@" sync --clients "$SYNC_CLIENTS" --messages "$SYNC_MESSAGES" || true ;;
            *) echo "unknown scenario $scenario" >&2; exit 2 ;;
        esac
    done
}

# PostgreSQL and Redis for the servers that use them, started once, pinned with the servers,
# PostgreSQL durable (scripts/services; MAGPIE_SERVICES_DURABLE). Sets pg_url, redis_url and
# watch (the postmaster's and Redis's pids, for the bench to account their CPU).
pg_url=""; redis_url=""
start_services() {
    if [[ -z "$services" ]]; then
        echo "== PostgreSQL (durable, pg_stat_statements) and Redis, on cores '${SERVER_CPUS:-any}'"
        services=$(MAGPIE_SERVICES_DURABLE=1 \
            MAGPIE_SERVICES_PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all" \
            "${server_pin[@]}" scripts/services up)
        # shellcheck source=/dev/null
        source "$services/env"
        pg_url="$MAGPIE_TEST_POSTGRES_URL"; redis_url="$MAGPIE_TEST_REDIS_URL"
        psql -q "$pg_url" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
        psql -At "$pg_url" -c "SELECT name || ' = ' || setting FROM pg_settings WHERE name IN \
            ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'shared_buffers', 'max_connections')" \
            >"$out/postgres-settings.txt"
    fi
    watch=(--watch "postgres=$(head -1 "$services/pg/data/postmaster.pid")" --watch "redis=$(cat "$services/redis.pid")")
}

new_database() { # new_database NAME: an empty database NAME on the services' PostgreSQL; prints its URL
    psql -q "$pg_url" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
    echo "${pg_url%/*}/$1"
}

statements() { # statements NAME: the busiest statements since the last call, into the results
    psql -q "$pg_url" -c "SELECT calls, round(total_exec_time::numeric, 1) AS total_ms,
            round((total_exec_time / calls * 1000)::numeric, 1) AS mean_us, rows,
            left(regexp_replace(query, '\s+', ' ', 'g'), 150) AS query
        FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 40" >"$out/pg_stat_statements-$1.txt" || true
    psql -q "$pg_url" -c "SELECT pg_stat_statements_reset()" >/dev/null || true
}

run_magpie() { # run_magpie NAME NODES: SQLite with NODES=0; else NODES nodes on PostgreSQL and Redis
    local name="$1" nodes="$2" dir="$work/$1"
    mkdir -p "$dir"
    # The bench's own limits off: it measures the server, not its abuse guards (every bench
    # client comes from 127.0.0.1, so the bounds per address go too). Cheap password hashing,
    # so that 19,000 logins take seconds (hashing is not what is measured).
    export MAGPIE_LOG=warn MAGPIE_ARGON2_MEMORY_KIB=256 MAGPIE_ARGON2_ITERATIONS=1 \
        MAGPIE_REQUESTS_PER_IP_PER_SEC_MAX=0 MAGPIE_REQUESTS_PER_SESSION_PER_SEC_MAX=0 \
        MAGPIE_LOGIN_FAILURES_PER_IP_PER_HOUR_MAX=100000000 MAGPIE_WS_FRAMES_PER_SEC_MAX=100000 \
        MAGPIE_WS_CONNECTIONS_MAX=19500 MAGPIE_GROUP_MEMBERS_MAX=10000 \
        MAGPIE_WS_CONNECTIONS_PER_IP_MAX=0 MAGPIE_HTTP_CONNECTIONS_PER_IP_MAX=0
    local backend=()
    if (( nodes > 0 )); then
        start_services
        local database="bench_${name//-/_}"
        # Every node of the cluster on one database and one bus prefix; the files directory is
        # shared as docs/cluster.md asks (here: the same data directory).
        backend=(env MAGPIE_DATABASE="$(new_database "$database")" MAGPIE_BUS="$redis_url" MAGPIE_BUS_PREFIX="$database")
    else
        nodes=1; watch=()
    fi
    printf 'bench-admin-password\n' | "${backend[@]}" "$magpie" --data-dir "$dir" admin user add benchadmin --admin --password-stdin >/dev/null
    local node_pids=() urls=()
    for (( i = 0; i < nodes; i++ )); do
        local port=$((18979 + i))
        "${server_pin[@]}" "${backend[@]}" "$magpie" --data-dir "$dir" serve --listen "127.0.0.1:$port" \
            >"$dir/stdout-$i.log" 2>"$dir/stderr-$i.log" &
        node_pids+=("$!"); pids+=("$!"); urls+=("http://127.0.0.1:$port")
        wait_for_line "$dir/stdout-$i.log" "magpie listening on"
    done
    if [[ -n "${backend[*]}" ]]; then statements "$name-setup"; fi
    scenarios "$name" "$(IFS=,; echo "${node_pids[*]}")" "$(printf '%s\n' "$XMPP_GROUP" "$GROUP" | sort -nu | tr '\n' ' ')" \
        --url "$(IFS=,; echo "${urls[*]}")" --admin benchadmin@localhost:bench-admin-password
    if [[ -n "${backend[*]}" ]]; then statements "$name"; fi
    for pid in "${node_pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" || true; done
}

run_ejabberd() { # run_ejabberd NAME ARCHIVE(true|false) STORE(mnesia|pgsql)
    local name="$1" archive="$2" store="$3" dir="$work/$1"
    mkdir -p "$dir/spool" "$dir/logs"
    local storage="auth_method: internal" db_type=""
    watch=()
    if [[ "$store" == pgsql ]]; then
        start_services
        # ejabberd's own schema for PostgreSQL, as Debian ships it (the default, single-host one).
        local database="bench_${name//-/_}" url
        url="$(new_database "$database")"
        psql -q -v ON_ERROR_STOP=1 "$url" -f /usr/share/ejabberd/sql/pg.sql >/dev/null
        local hostport="${pg_url#*@}"; hostport="${hostport%%/*}"
        storage="auth_method: sql
default_db: sql
sql_type: pgsql
sql_server: \"${hostport%:*}\"
sql_port: ${hostport##*:}
sql_database: \"$database\"
sql_username: \"magpie\"
sql_password: \"\""
        db_type=$'\n    db_type: sql'
    fi
    local mam=""
    if [[ "$archive" == true ]]; then
        mam=$'  mod_mam:\n    default: always\n    assume_mam_usage: true'"$db_type"
    fi
    sed -e "s|@PORT@|15222|; s|@DOMAIN@|localhost|; s|@ARCHIVE@|$archive|" \
        -e "s|@STORAGE@|${storage//$'\n'/\\n}|" \
        -e "s|@MAM@|${mam//$'\n'/\\n}|" "$root/bench/ejabberd.yml.in" >"$dir/ejabberd.yml"
    chown -R ejabberd "$dir" 2>/dev/null || true
    # ejabberdctl started by root switches to the ejabberd user with su, whose PAM limits give
    # it 1,024 files; start it as that user directly instead, keeping this shell's limit.
    local as_ejabberd=()
    if [[ "$(id -u)" == 0 ]]; then
        as_ejabberd=(setpriv --reuid=ejabberd --regid=ejabberd --init-groups env HOME=/var/lib/ejabberd)
    fi
    ERL_MAX_PORTS=32768 "${server_pin[@]}" "${as_ejabberd[@]}" ejabberdctl --config "$dir/ejabberd.yml" \
        --config-dir "$dir" --spool "$dir/spool" --logs "$dir/logs" --node "bench-$name@localhost" \
        foreground >"$dir/out.log" 2>&1 &
    local job=$!
    pids+=("$job")
    # `started` returns once the node has started every module and listener.
    "${as_ejabberd[@]}" ejabberdctl --node "bench-$name@localhost" started
    local pid
    pid="$(pgrep -f "beam.smp.*bench-$name@localhost" | head -1)"
    if [[ "$store" == pgsql ]]; then statements "$name-setup"; fi
    scenarios "$name" "$pid" "$XMPP_GROUP" --target xmpp --xmpp-addr 127.0.0.1:15222 --register
    if [[ "$store" == pgsql ]]; then statements "$name"; fi
    "${as_ejabberd[@]}" ejabberdctl --node "bench-$name@localhost" stop >/dev/null 2>&1 || kill "$pid" || true
    wait "$job" || true
}

run_prosody() { # run_prosody NAME ARCHIVE(true|false)
    local name="$1" archive="$2" dir="$work/$1"
    mkdir -p "$dir/data"
    local mam="" muc_mam=""
    if [[ "$archive" == true ]]; then mam='"mam";'; muc_mam='"muc_mam";'; fi
    sed -e "s|@DIR@|$dir|g; s|@PORT@|15322|; s|@DOMAIN@|localhost|; s|@ARCHIVE@|$archive|" \
        -e "s|@MAM_MODULE@|$mam|; s|@MUC_MAM_MODULE@|$muc_mam|" \
        "$root/bench/prosody.cfg.lua.in" >"$dir/prosody.cfg.lua"
    chmod -R a+rwX "$dir"
    watch=()
    "${server_pin[@]}" prosody --config "$dir/prosody.cfg.lua" -F >"$dir/out.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    wait_for_line "$dir/prosody.log" "Activated service 'c2s'"
    scenarios "$name" "$pid" "$XMPP_GROUP" --target xmpp --xmpp-addr 127.0.0.1:15322 --register
    kill "$pid" 2>/dev/null || true; wait "$pid" || true
}

{
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
    echo "cpu: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "magpie: $("$magpie" --version)"
    echo "ejabberd: $(dpkg-query -W -f='${Version}' ejabberd)"
    echo "prosody: $(dpkg-query -W -f='${Version}' prosody)"
    echo "postgresql: $(dpkg-query -W -f='${Version}' postgresql-15), redis: $(dpkg-query -W -f='${Version}' redis-server)"
    echo "pinning: server on cores '${SERVER_CPUS:-any}', bench on cores '${BENCH_CPUS:-any}'"
} | tee "$out/machine.txt"

for server in $SERVERS; do
    echo "== $server"
    case "$server" in
        magpie) run_magpie magpie 0 ;;
        magpie-pg) run_magpie magpie-pg 1 ;;
        magpie-pg2) run_magpie magpie-pg2 2 ;;
        magpie-pg3) run_magpie magpie-pg3 3 ;;
        ejabberd) run_ejabberd ejabberd false mnesia ;;
        ejabberd-mam) run_ejabberd ejabberd-mam true mnesia ;;
        ejabberd-pg-mam) run_ejabberd ejabberd-pg-mam true pgsql ;;
        prosody) run_prosody prosody false ;;
        prosody-mam) run_prosody prosody-mam true ;;
        *) echo "unknown server $server" >&2; exit 2 ;;
    esac
done

python3 "$root/bench/table.py" "$out/results.jsonl" "$out/machine.txt" | tee "$out/tables.md"
echo "results in $out"
