#!/usr/bin/env bash
# During an overloaded direct run on one PostgreSQL node: how often the fan-out follower reads
# the tail (and how much each read brings) against how many entries commit, and its lag.
set -euo pipefail
cd /tmp/prof
source $(cat services)/env
B=$(cat bench.cmd)
snap() {
  psql -At "$MAGPIE_TEST_POSTGRES_URL" -c "select (select coalesce(sum(calls),0) from pg_stat_statements where query like 'SELECT e.xid, e.position%'), (select coalesce(sum(rows),0) from pg_stat_statements where query like 'SELECT e.xid, e.position%'), (select coalesce(sum(calls),0) from pg_stat_statements where query like 'INSERT INTO entries%')" | tr '\n' ' '
  curl -s http://127.0.0.1:18990/metrics | grep -E '^magpie_log_follower_lag' || true | tr '\n' ' '
  echo
}
($B direct --users 1000 --rate ${RATE:-2000} --duration 15 > starve.out 2>&1 &)
# Setup (logins, chats) first: wait for the send phase.
for i in $(seq 1 60); do sleep 1; n=$(psql -At "$MAGPIE_TEST_POSTGRES_URL" -c "select coalesce(sum(calls),0) from pg_stat_statements where query like 'INSERT INTO entries%'"); if (( n > 2000 )); then break; fi; done
for t in 0 3 6 9 12; do echo -n "t+$t: "; snap; sleep 3; done
sleep 20; tail -9 starve.out
