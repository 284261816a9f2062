"""Runs `driftgate check` and the floor on the generated tenants and prints a Markdown table.

Each measurement is the median of RUNS runs; peak RSS comes from wait4() of that very child.
"""
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


if __name__ == "__main__":
    main()
