#!/usr/bin/env python3
"""The LDAP directory benchmark's client (bench/ldap.sh runs it; BENCHMARKS.md, "Directory sync").

   ldap.py seed   --url LDAP --bind-dn DN --password PW --base BASE --people N --groups G
   ldap.py measure --server URL --token T --ldap-url … --pid PID --base BASE --out FILE

`seed` writes one LDIF (nested OUs, people with managers, groups of names) and adds it with one
`ldapadd`. `measure` points the server's domain at it, times a full sync and a second one (wall
time and the server's CPU from /proc/PID/stat), then the directory browse (the tree, a
department's members) and people search, each request after the last, and prints their p50/p99.
"""
import argparse
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse

TOP_OUS = 10
SUB_OUS = 10
GROUPS_PER_PERSON = 2


def ou_of(i):
    top, sub = i % TOP_OUS, (i // TOP_OUS) % SUB_OUS
    return [f"Division {top:02d}", f"Team {top:02d}-{sub:02d}"]


def dn(base, rdn, path):
    for name in path:
        base = f"ou={name},{base}"
    return f"{rdn},{base}"


def seed(a):
    lines = [f"dn: {a.base}\nobjectClass: organizationalUnit\nou: {a.base.split(',')[0][3:]}\n"]
    for top in range(TOP_OUS):
        lines.append(f"dn: {dn(a.base, f'ou=Division {top:02d}', [])}\nobjectClass: organizationalUnit\nou: Division {top:02d}\n")
        for sub in range(SUB_OUS):
            path = [f"Division {top:02d}"]
            lines.append(f"dn: {dn(a.base, f'ou=Team {top:02d}-{sub:02d}', path)}\nobjectClass: organizationalUnit\nou: Team {top:02d}-{sub:02d}\n")
    lines.append(f"dn: {dn(a.base, 'ou=Groups', [])}\nobjectClass: organizationalUnit\nou: Groups\n")
    person_dn = lambda i: dn(a.base, f"uid=u{i:05d}", ou_of(i))
    for i in range(a.people):
        entry = (f"dn: {person_dn(i)}\nobjectClass: inetOrgPerson\nuid: u{i:05d}\ncn: Person {i}\nsn: P{i}\n"
                 f"mail: u{i:05d}@bench.example\ntelephoneNumber: +1 555 {i:05d}\ntitle: Engineer\n")
        if i % 10:
            entry += f"manager: {person_dn(i // 10 * 10)}\n"
        lines.append(entry)
    members = [[] for _ in range(a.groups)]
    for i in range(a.people):
        for k in range(GROUPS_PER_PERSON):
            members[(i * GROUPS_PER_PERSON + k) % a.groups].append(person_dn(i))
    for g in range(a.groups):
        entry = f"dn: {dn(a.base, f'cn=group-{g:04d}', ['Groups'])}\nobjectClass: groupOfNames\ncn: group-{g:04d}\n"
        entry += "".join(f"member: {m}\n" for m in members[g])
        lines.append(entry)
    ldif = "\n".join(lines)
    started = time.monotonic()
    subprocess.run(["ldapadd", "-x", "-H", a.url, "-D", a.bind_dn, "-w", a.password],
                   input=ldif.encode(), check=True, stdout=subprocess.DEVNULL)
    print(json.dumps({"seeded_people": a.people, "seeded_groups": a.groups,
                      "ldapadd_s": round(time.monotonic() - started, 1)}))


class Api:
    def __init__(self, url, token):
        u = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=3600)
        self.token = token

    def call(self, method, path, body=None):
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        r = self.conn.getresponse()
        text = r.read()
        if r.status >= 300:
            raise RuntimeError(f"{method} {path}: {r.status} {text[:300]!r}")
        return json.loads(text) if text else None


def cpu_secs(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(samples):
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]
    return {"n": len(s), "p50_ms": round(pick(0.50) * 1000, 2), "p99_ms": round(pick(0.99) * 1000, 2),
            "max_ms": round(s[-1] * 1000, 2)}


def timed(api, paths):
    samples = []
    for path in paths:
        started = time.perf_counter()
        api.call("GET", path)
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def measure(a):
    api = Api(a.server, a.token)
    source = {"url": a.ldap_url, "bind_dn": a.bind_dn, "bind_password": a.password, "base_dns": [a.base],
              "groups": {"base_dns": [dn(a.base, "ou=Groups", [])]}}
    api.call("PUT", f"/v1/admin/domains/{a.domain}/ldap", source)
    results = {}
    def sync(name, query=""):
        cpu0, t0 = cpu_secs(a.pid), time.monotonic()
        report = api.call("POST", f"/v1/admin/domains/{a.domain}/ldap/sync{query}")
        wall, cpu = time.monotonic() - t0, cpu_secs(a.pid) - cpu0
        counts = {k: v for k, v in report.items() if isinstance(v, int) and not isinstance(v, bool) and v}
        results[name] = {"wall_s": round(wall, 2), "server_cpu_s": round(cpu, 2), "counts": counts}
        print(json.dumps({name: results[name]}), flush=True)

    sync("first_sync")
    sync("second_sync")
    # One person in a hundred renamed: an incremental sync reads those, a full one everyone.
    changes = "".join(
        f"dn: {dn(a.base, f'uid=u{i:05d}', ou_of(i))}\nchangetype: modify\nreplace: cn\ncn: Renamed {i}\n\n"
        for i in range(0, a.people, 100))
    subprocess.run(["ldapmodify", "-x", "-H", a.ldap_url, "-D", a.bind_dn, "-w", a.password],
                   input=changes.encode(), check=True, stdout=subprocess.DEVNULL)
    sync("incremental_sync_after_1pc_renamed", "?incremental=true")
    sync("full_sync_after_that")
    tree = api.call("GET", "/v1/org/departments")["departments"]
    leaf = next(d for d in tree if d["name"] == "Team 03-07")
    results["departments"] = len(tree)
    results["browse_tree"] = timed(api, ["/v1/org/departments"] * a.repeats)
    results["browse_members_leaf"] = timed(api, [f"/v1/org/departments/{leaf['id']}/members?limit=50"] * a.repeats)
    cards = [f"/v1/org/people/u{i * 37 % a.people:05d}%40{a.domain}" for i in range(a.repeats)]
    results["person_card"] = timed(api, cards)
    queries = [f"Person {i * 7919 % a.people}" for i in range(a.repeats // 2)]
    queries += [f"u{i * 13 % 1000:03d}" for i in range(a.repeats - len(queries))]
    results["people_search"] = timed(api, [f"/v1/search/people?q={urllib.parse.quote(q)}&limit=20" for q in queries])
    print(json.dumps({k: v for k, v in results.items() if "sync" not in k}), flush=True)
    with open(a.out, "w") as f:
        json.dump(results, f, indent=1)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seed")
    m = sub.add_parser("measure")
    for x in (s, m):
        x.add_argument("--ldap-url", dest="url" if x is s else "ldap_url", required=True)
        x.add_argument("--bind-dn", required=True)
        x.add_argument("--password", required=True)
        x.add_argument("--base", required=True)
    s.add_argument("--people", type=int, default=10000)
    s.add_argument("--groups", type=int, default=500)
    m.add_argument("--server", required=True)
    m.add_argument("--token", required=True)
    m.add_argument("--pid", type=int, required=True)
    m.add_argument("--people", type=int, default=10000)
    m.add_argument("--domain", default="localhost")
    m.add_argument("--repeats", type=int, default=1000)
    m.add_argument("--out", required=True)
    a = p.parse_args()
    seed(a) if a.cmd == "seed" else measure(a)


if __name__ == "__main__":
    sys.exit(main())
