"""Runs `driftgate check` and the floor on the generated tenants and prints a Markdown table.

Each measurement is the median of RUNS runs; peak RSS comes from wait4() of that very child.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TARGET = os.environ.get("CARGO_TARGET_DIR", "target")
BIN = TARGET + "/release/driftgate"
FLOOR = TARGET + "/release/examples/floor"


def run(cmd):
    """(wall seconds, stdout, stderr) of one child."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate()
    return time.perf_counter() - t, out.decode(), err.decode()


def run_rss(cmd):
    """(wall seconds, peak RSS bytes) of one child, from wait4() of that child alone."""
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execv(cmd[0], cmd)
    t = time.perf_counter()
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit("failed: %s" % " ".join(cmd))
    return wall, usage.ru_maxrss * 1024


def main():
    out_dir, sizes = sys.argv[1], sys.argv[2:]
    rows = []
    stage_names = []
    for n in sizes:
        snap = "%s/tenant-%s.recollected.json" % (out_dir, n)
        base = "%s/baseline-%s.json" % (out_dir, n)
        size = os.path.getsize(snap)
        check = [BIN, "check", snap, "--baseline", base, "--format", "json", "--out", "%s/out-%s" % (out_dir, n), "--timings"]
        floor_ms = statistics.median(float(run([FLOOR, snap])[1].split()[0]) for _ in range(RUNS))
        walls, rsss, stages = [], [], {}
        for _ in range(RUNS):
            wall, rss = run_rss(check)
            walls.append(wall)
            rsss.append(rss)
            _, _, err = run(check)
            for m in re.finditer(r"timing (.+?)\s+([\d.]+) ms", err):
                name = m.group(1).strip()
                if name.startswith("total"):
                    continue
                if name not in stage_names:
                    stage_names.append(name)
                stages.setdefault(name, []).append(float(m.group(2)))
        wall = statistics.median(walls) * 1000
        rss = max(rsss)
        rows.append((n, size, wall, rss, floor_ms, {k: statistics.median(v) for k, v in stages.items()}))
    print("| users | input | check wall | peak RSS | RSS / input | floor (read+parse+sha256) | check / floor |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n, size, wall, rss, floor, _ in rows:
        print("| %s | %.1f MB | %.0f ms | %.0f MB | %.1f× | %.0f ms | %.1f× |" % (
            n, size / 1e6, wall, rss / 1e6, rss / size, floor, wall / floor))
    print()
    print("| stage (ms) | " + " | ".join(str(r[0]) for r in rows) + " |")
    print("|---|" + "---:|" * len(rows))
    for s in stage_names:
        print("| %s | " % s + " | ".join("%.0f" % r[5].get(s, 0) for r in rows) + " |")
    if len(rows) >= 2:
        print()
        for a, b in zip(rows, rows[1:]):
            print("- %s → %s users: %.1f× the users, %.2f× the time" % (a[0], b[0], int(b[0]) / int(a[0]), b[2] / a[2]))


PEER_SIZES = os.environ.get("BENCH_PEER", "2000").split(",")
# OPA alone takes minutes at 50k users (about 2 min on the bench machine): larger sizes only on request.
OPA_SIZES = os.environ.get("BENCH_OPA", "2000,50000").split(",")
DEPS = "target/bench-deps"
OPA = "target/test-deps/opa"


def peer(out_dir, sizes):
    """The scripted peer (benches/peer.py) and real OPA beside driftgate, on the same tenant,
    baseline and pack: the whole check against the peer's pipeline (sizes in BENCH_PEER, as
    deepdiff is slow), and at every size OPA's evaluation of the whole bundle against
    driftgate's policy stage on one thread (RAYON_NUM_THREADS=1)."""
    rows = []
    for n in sizes:
        snap = "%s/tenant-%s.recollected.json" % (out_dir, n)
        base = "%s/baseline-%s.json" % (out_dir, n)
        dump = "%s/dump-%s" % (out_dir, n)
        check = [BIN, "check", snap, "--baseline", base, "--format", "json", "--out", "%s/out-%s" % (out_dir, n)]
        run(check + ["--dump-input", dump])
        walls = [run_rss(check)[0] for _ in range(RUNS)]
        one = []
        env = dict(os.environ, RAYON_NUM_THREADS="1")
        for _ in range(RUNS):
            p = subprocess.run(check + ["--timings"], capture_output=True, text=True, env=env)
            one.append(float(re.search(r"timing policy evaluation\s+([\d.]+) ms", p.stderr).group(1)))
        full = n in PEER_SIZES
        cmd = ["python3", "benches/peer.py", DEPS, OPA, snap, base, dump] + ([] if full else ["--opa-only"])
        result = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
        rows.append((n, statistics.median(walls) * 1000, statistics.median(one), result, full))
    print()
    print("| users | driftgate check | peer (jsonschema + deepdiff + OPA) | peer / driftgate | "
          "policy stage, 1 thread | OPA eval alone (input hand-off) | OPA / driftgate | findings (driftgate dump = OPA) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, wall, one, r, full in rows:
        peer_ms = r["total_ms"] if full else None
        print("| %s | %.0f ms | %s | %s | %.0f ms | %.0f ms (+%.0f ms) | %.1f× | %s |" % (
            n, wall, "%.0f ms" % peer_ms if full else "—", "%.0f×" % (peer_ms / wall) if full else "—",
            one, r["opa_eval_only_ms"], r["opa_input_handoff_ms"], r["opa_eval_only_ms"] / one, r["findings"]))
        if full:
            print("|  | peer stages: %s |" % ", ".join("%s %.0f ms" % kv for kv in r["stages_ms"].items()))


def heavy(out_dir, sizes):
    """The findings-heavy case: every user of the re-collection granted one more role, so each
    is a drift record and a finding (the pack run the report and renderers must keep up with)."""
    print()
    print("| users, every user changed | check wall | findings | drift records | policy evaluation | report | render+write | report + render share |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        snap = "%s/tenant-%s.heavy.json" % (out_dir, n)
        base = "%s/baseline-%s.json" % (out_dir, n)
        out = "%s/out-heavy-%s" % (out_dir, n)
        check = [BIN, "check", snap, "--baseline", base, "--format", "json", "--out", out, "--timings"]
        walls, stages = [], {}
        for _ in range(RUNS):
            wall, _, err = run(check)
            walls.append(wall * 1000)
            for m in re.finditer(r"timing (.+?)\s+([\d.]+) ms", err):
                stages.setdefault(m.group(1).strip(), []).append(float(m.group(2)))
        with open(out + "/report.json") as f:
            report = json.load(f)
        med = {k: statistics.median(v) for k, v in stages.items()}
        wall = statistics.median(walls)
        tail = med.get("report", 0) + med.get("render+write", 0)
        print("| %s | %.0f ms | %d | %d | %.0f ms | %.0f ms | %.0f ms | %.0f %% |" % (
            n, wall, len(report["findings"]), len(report["drift"]), med.get("policy evaluation", 0),
            med.get("report", 0), med.get("render+write", 0), 100 * tail / wall))


if __name__ == "__main__":
    main()
    heavy(sys.argv[1], [n for n in sys.argv[2:] if n in os.environ.get("BENCH_HEAVY", "50000").split(",")])
    peer(sys.argv[1], [n for n in sys.argv[2:] if n in PEER_SIZES or n in OPA_SIZES])
