#!/usr/bin/env bash
# A one-node PostgreSQL run for profiling: services durable on core 0, one node on core 0, bench on core 1.
set -euo pipefail
root=/work/wt-bench
magpie=$root/target/release/magpie
export MAGPIE_LOG=warn MAGPIE_ARGON2_MEMORY_KIB=256 MAGPIE_ARGON2_ITERATIONS=1 \
    MAGPIE_REQUESTS_PER_IP_PER_SEC_MAX=0 MAGPIE_REQUESTS_PER_SESSION_PER_SEC_MAX=0 \
    MAGPIE_LOGIN_FAILURES_PER_IP_PER_HOUR_MAX=100000000 MAGPIE_WS_FRAMES_PER_SEC_MAX=100000 \
    MAGPIE_WS_CONNECTIONS_PER_IP_MAX=0 MAGPIE_HTTP_CONNECTIONS_PER_IP_MAX=0
services=$(cd $root && MAGPIE_SERVICES_DURABLE=1 MAGPIE_SERVICES_PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements" taskset -c 0 scripts/services up)
echo "$services" > /tmp/prof/services
source $services/env
psql -q "$MAGPIE_TEST_POSTGRES_URL" -c "CREATE DATABASE prof" -c "CREATE EXTENSION pg_stat_statements"
export MAGPIE_DATABASE=${MAGPIE_TEST_POSTGRES_URL%/*}/prof MAGPIE_BUS=$MAGPIE_TEST_REDIS_URL MAGPIE_BUS_PREFIX=prof
dir=/tmp/prof/data; rm -rf $dir; mkdir -p $dir
printf 'bench-admin-password\n' | $magpie --data-dir $dir admin user add benchadmin --admin --password-stdin >/dev/null
taskset -c 0 $magpie --data-dir $dir serve --listen 127.0.0.1:18990 > $dir/out.log 2>&1 &
echo $! > /tmp/prof/node.pid
sleep 2
