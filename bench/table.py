#!/usr/bin/env python3
"""Turns compare.sh's results.jsonl into the Markdown tables that BENCHMARKS.md keeps."""

import json
import sys


def load(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def by(rows, scenario):
    return [r for r in rows if r.get("scenario") == scenario]


def fmt(value, digits=0):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def watched(r, name):
    """CPU-s per million deliveries of a process the bench watched (PostgreSQL, Redis)."""
    for w in r.get("watched") or []:
        if w["name"] == name:
            return w.get("cpu_secs_per_million_deliveries")
    return None


def per_node(r):
    """Each node's CPU-s per million deliveries, for a server of several nodes."""
    nodes = r.get("nodes") or []
    return " + ".join(fmt(n.get("cpu_secs_per_million_deliveries"), 1) for n in nodes) if nodes else "–"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


def main():
    rows = load(sys.argv[1])
    if len(sys.argv) > 2:
        with open(sys.argv[2], encoding="utf-8") as f:
            print("```\n" + f.read().strip() + "\n```\n")

    print("### connect: idle authenticated connections\n")
    print(table(
        ["server", "connections", "open in (s)", "server RSS after (MiB)", "bytes per connection"],
        [[r["server"], fmt(r["connections"]), fmt(r["open_secs"], 1),
          fmt((r["server_rss_after_bytes"] or 0) / 1048576, 0) if r.get("server_rss_after_bytes") else "–",
          fmt(r.get("server_bytes_per_connection"))] for r in by(rows, "connect")]))

    print("\n### direct: 1:1 messages at a fixed rate\n")
    print(table(
        ["server", "users", "rate", "delivered/s", "lost", "dup", "ack p50/p99/p99.9 (ms)",
         "delivery p50/p99/p99.9 (ms)", "CPU-s per M deliveries"],
        [[r["server"], fmt(r["users"]), fmt(r["target_rate"]), fmt(r["throughput"]), fmt(r["lost"]),
          fmt(r["duplicated"]),
          "/".join(fmt(r["send_to_ack"][k], 1) for k in ("p50_ms", "p99_ms", "p999_ms")),
          "/".join(fmt(r["send_to_delivery"][k], 1) for k in ("p50_ms", "p99_ms", "p999_ms")),
          fmt(r.get("server_cpu_secs_per_million_deliveries"), 1)] for r in by(rows, "direct")]))

    costs = [r for r in by(rows, "direct") if r.get("watched")]
    if costs:
        print("\n### direct: CPU-s per million deliveries of each process, on PostgreSQL and Redis\n")
        print(table(
            ["server", "rate", "nodes together", "each node", "PostgreSQL", "Redis", "all"],
            [[r["server"], fmt(r["target_rate"]), fmt(r.get("server_cpu_secs_per_million_deliveries"), 1),
              per_node(r), fmt(watched(r, "postgres"), 1), fmt(watched(r, "redis"), 1),
              fmt(sum(v for v in (r.get("server_cpu_secs_per_million_deliveries"), watched(r, "postgres"),
                                  watched(r, "redis")) if v is not None), 1)] for r in costs]))

    ramps = by(rows, "ramp")
    print("\n### ramp: the highest sustainable `direct` rate (no loss, p99 ≤ 100 ms, keeps up)\n")
    print(table(
        ["server", "sustainable msg/s", "steps (rate: p99 ms)"],
        [[r["server"], fmt(r.get("sustainable_rate")),
          ", ".join(f'{s["target_rate"]}: {s["send_to_delivery"]["p99_ms"]:.0f}' for s in r["steps"])]
         for r in ramps]))

    # The last attempt at the sustainable rate is the one that held (`--tries`).
    held = [(r, [s for s in r["steps"] if s["target_rate"] == r.get("sustainable_rate")][-1])
            for r in ramps if r.get("sustainable_rate")]
    if held:
        print("\n### ramp: CPU-s per million deliveries at the highest sustainable step\n")
        print(table(
            ["server", "rate", "server (nodes together)", "each node", "PostgreSQL", "Redis"],
            [[r["server"], fmt(s["target_rate"]), fmt(s.get("server_cpu_secs_per_million_deliveries"), 1),
              per_node(s), fmt(watched(s, "postgres"), 1), fmt(watched(s, "redis"), 1)] for r, s in held]))

    print("\n### group: one member posts to a group with everyone online\n")
    print(table(
        ["server", "members", "messages", "lost", "all members have it p50/p99 (ms)", "deliveries/s",
         "CPU-s per M deliveries"],
        [[r["server"], fmt(r["members"]), fmt(r["messages"]), fmt(r["lost"]),
          f'{r["fan_out"]["p50_ms"]:.1f}/{r["fan_out"]["p99_ms"]:.1f}', fmt(r["deliveries_per_sec"]),
          fmt(r.get("server_cpu_secs_per_million_deliveries"), 1)] for r in by(rows, "group")]))

    print("\n### sync: clients come back to a backlog\n")
    print(table(
        ["server", "clients", "messages each", "all caught up (s)", "entries/s", "no gap, no duplicate"],
        [[r["server"], fmt(r["clients"]), fmt(r["messages_each"]), fmt(r["caught_up_secs"], 2),
          fmt(r["entries_per_sec"]), "yes" if r["gap_free"] else "NO"] for r in by(rows, "sync")]))

    rates = {r["server"]: r.get("sustainable_rate") for r in ramps}
    lines = []
    for ours in ("magpie", "magpie-pg", "magpie-pg2", "magpie-pg3"):
        for other in ("ejabberd-pg-mam", "ejabberd-mam", "ejabberd", "prosody-mam", "prosody"):
            if rates.get(ours) and rates.get(other):
                lines.append([f"{ours} / {other}", f"{rates[ours] / rates[other]:.2f}×"])
    if lines:
        print("\n### ratios of sustainable `direct` rates, from this run\n")
        print(table(["", "ratio"], lines))


if __name__ == "__main__":
    main()
