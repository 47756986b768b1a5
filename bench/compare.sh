#!/usr/bin/env bash
# Runs `magpie bench` against Magpie, ejabberd and Prosody in turn, on this machine, with the
# same scenarios, and writes the results (JSON lines and a Markdown table) under bench/results/.
# ejabberd and Prosody come from Debian's packages and run with the configs in this folder:
# plain c2s on loopback, no shapers, in-band registration, each once with its message archive
# (MAM) on and once with it off.
#
#   bench/compare.sh            the full run whose tables BENCHMARKS.md keeps (about 40 min)
#   bench/compare.sh --quick    every scenario at small scale (about 3 min)
#
# Knobs (environment): SERVER_CPUS and BENCH_CPUS pin the server and the load generator to
# cores with taskset ("0" and "1" by default: each gets one of the two cores; set both empty
# to let them share); SERVERS (default "magpie ejabberd ejabberd-mam prosody prosody-mam");
# MAX_SECS bounds each scenario (600 s by default); the sizes are below.
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
# A scenario still running after this long (setup included) is stopped; its row shows a dash.
MAX_SECS=${MAX_SECS:-600}
SERVER_CPUS=${SERVER_CPUS-0}
BENCH_CPUS=${BENCH_CPUS-1}

out="$root/bench/results/$(date -u +%Y%m%dT%H%M%SZ)$( (( quick )) && echo -quick || true)"
mkdir -p "$out"
work="$(mktemp -d /tmp/magpie-compare.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    pkill -f "$work" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Command prefixes that pin to cores; taskset execs the program, so `$!` is the server's pid.
server_pin=(); bench_pin=()
if [[ -n "$SERVER_CPUS" ]]; then server_pin=(taskset -c "$SERVER_CPUS"); fi
if [[ -n "$BENCH_CPUS" ]]; then bench_pin=(taskset -c "$BENCH_CPUS"); fi

echo "== installing ejabberd and Prosody (Debian packages) if missing"
if ! command -v ejabberdctl >/dev/null || ! command -v prosody >/dev/null; then
    sudo=""; if [[ "$(id -u)" != 0 ]]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends ejabberd prosody >/dev/null
fi
# The packages start system services on some machines; the comparison runs its own.
(service ejabberd stop || true; service prosody stop || true) >/dev/null 2>&1

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

bench() { # bench SERVER-NAME PID ARGS...: one scenario, its JSON appended to the results
    local name="$1" pid="$2"; shift 2
    echo "-- $name: $*"
    "${bench_pin[@]}" "$magpie" bench --server-pid "$pid" --max-secs "$MAX_SECS" --json "$@" \
        | sed "s/^{/{\"server\":\"$name\",/" | tee -a "$out/results.jsonl" | cut -c1-300
}

scenarios() { # scenarios NAME PID GROUP-SIZES TARGET-ARGS...
    local name="$1" pid="$2" groups="$3"; shift 3
    bench "$name" "$pid" "$@" connect --connections "$CONNECTIONS" --rate 1000 --hold 5 || true
    bench "$name" "$pid" "$@" direct --users "$USERS" --rate "$DIRECT_RATE" --duration "$DURATION" || true
    bench "$name" "$pid" "$@" ramp --users "$USERS" --start "$RAMP_START" --step "$RAMP_STEP" \
        --step-secs "$STEP_SECS" --max-rate 200000 || true
    for members in $groups; do
        bench "$name" "$pid" "$@" group --members "$members" --messages "$GROUP_MESSAGES" --rate "$GROUP_RATE" || true
    done
    bench "$name" "$pid" "$@" sync --clients "$SYNC_CLIENTS" --messages "$SYNC_MESSAGES" || true
}

run_magpie() {
    local dir="$work/magpie"
    mkdir -p "$dir"
    # The bench's own limits off: it measures the server, not its abuse guards (every bench
    # client comes from 127.0.0.1, so the bounds per address go too). Cheap password hashing,
    # so that 19,000 logins take seconds (hashing is not what is measured).
    export MAGPIE_LOG=warn MAGPIE_ARGON2_MEMORY_KIB=256 MAGPIE_ARGON2_ITERATIONS=1 \
        MAGPIE_REQUESTS_PER_IP_PER_SEC_MAX=0 MAGPIE_REQUESTS_PER_SESSION_PER_SEC_MAX=0 \
        MAGPIE_LOGIN_FAILURES_PER_IP_PER_HOUR_MAX=100000000 MAGPIE_WS_FRAMES_PER_SEC_MAX=100000 \
        MAGPIE_WS_CONNECTIONS_MAX=19500 MAGPIE_GROUP_MEMBERS_MAX=10000 \
        MAGPIE_WS_CONNECTIONS_PER_IP_MAX=0 MAGPIE_HTTP_CONNECTIONS_PER_IP_MAX=0
    printf 'bench-admin-password\n' | "$magpie" --data-dir "$dir" admin user add benchadmin --admin --password-stdin >/dev/null
    "${server_pin[@]}" "$magpie" --data-dir "$dir" serve --listen 127.0.0.1:18979 >"$dir/stdout.log" 2>"$dir/stderr.log" &
    local pid=$!
    pids+=("$pid")
    wait_for_line "$dir/stdout.log" "magpie listening on"
    scenarios magpie "$pid" "$(printf '%s\n' "$XMPP_GROUP" "$GROUP" | sort -nu | tr '\n' ' ')" --url http://127.0.0.1:18979 --admin benchadmin@localhost:bench-admin-password
    kill "$pid" 2>/dev/null || true; wait "$pid" || true
}

run_ejabberd() { # run_ejabberd NAME ARCHIVE(true|false)
    local name="$1" archive="$2" dir="$work/$1"
    mkdir -p "$dir/spool" "$dir/logs"
    local mam=""
    if [[ "$archive" == true ]]; then
        mam=$'  mod_mam:\n    default: always\n    assume_mam_usage: true'
    fi
    sed -e "s|@PORT@|15222|; s|@DOMAIN@|localhost|; s|@ARCHIVE@|$archive|" \
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
    scenarios "$name" "$pid" "$XMPP_GROUP" --target xmpp --xmpp-addr 127.0.0.1:15222 --register
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
    echo "pinning: server on cores '${SERVER_CPUS:-any}', bench on cores '${BENCH_CPUS:-any}'"
} | tee "$out/machine.txt"

for server in $SERVERS; do
    echo "== $server"
    case "$server" in
        magpie) run_magpie ;;
        ejabberd) run_ejabberd ejabberd false ;;
        ejabberd-mam) run_ejabberd ejabberd-mam true ;;
        prosody) run_prosody prosody false ;;
        prosody-mam) run_prosody prosody-mam true ;;
        *) echo "unknown server $server" >&2; exit 2 ;;
    esac
done

python3 "$root/bench/table.py" "$out/results.jsonl" "$out/machine.txt" | tee "$out/tables.md"
echo "results in $out"
