#!/usr/bin/env python3
"""Times `packetgate check --offline` over a folder of packets: wall time and peak RSS.

Runs the release binary RUNS times (default 5) after one warm-up, reports each run, the
median wall time and the largest peak resident set size (from the kernel's rusage of the
child). Targets for 10,000 packets on the 2-core machine: under 1 s and under 64 MiB.
"""
import json
import os
import statistics
import subprocess
import tempfile
import sys
import time

def run_once(binary, folder):
    """One run, measured by GNU time: a small C parent, so the peak RSS it reports is
    packetgate's own. (Python's rusage of its children would also count this Python
    process, whose memory a spawned child shares until it execs.)"""
    with tempfile.NamedTemporaryFile() as out, tempfile.NamedTemporaryFile(mode="r") as stats:
        argv = ["/usr/bin/time", "-f", "%e %M %U %S", "-o", stats.name,
                binary, "check", "--offline", "--today", "2026-11-20", "--format", "json", folder]
        code = subprocess.run(argv, stdout=out, stderr=subprocess.DEVNULL).returncode
        if code not in (0, 1):
            sys.exit(f"packetgate exited {code}")
        wall, maxrss_kib, user, system = stats.read().split()[-4:]
        out.seek(0)
        report = json.load(out)
    return float(wall), int(maxrss_kib), report["summary"], float(user) + float(system)


def main():
    binary, folder = sys.argv[1], sys.argv[2]
    runs = int(os.environ.get("RUNS", "5"))
    run_once(binary, folder)  # warm the page cache
    walls, rss = [], 0
    for i in range(runs):
        wall, maxrss_kib, summary, cpu = run_once(binary, folder)
        walls.append(wall)
        rss = max(rss, maxrss_kib)
        print(f"run {i + 1}: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms cpu, "
              f"{summary['packets']} packets ({summary['failed']} failed, {summary['errors']} errors)")
    median = statistics.median(walls)
    print(f"median wall: {median * 1000:.0f} ms; peak RSS: {rss / 1024:.1f} MiB "
          f"(targets: < 1000 ms, < 64 MiB)")
    ok = median < 1.0 and rss / 1024 < 64
    print("within targets" if ok else "OVER TARGET")
    sys.exit(0 if ok else 1)

if __name__ == "__main__":
    main()
