#!/usr/bin/env python3
"""Times packetgate's live link phase against lychee on a loopback server (bench/links.sh).

Usage: check_links.py PACKETGATE LYCHEE BASE_URL WORK_DIR
  BASE_URL  the running bench/link_server.py, e.g. http://127.0.0.1:40123
  WORK_DIR  holds a/ and b/ (packets from gen_link_packets.py) and packetgate.yml
Environment: RUNS (default 3) timed runs of each tool, alternating, after one warm-up each;
             CONCURRENCY (default 32), the global and the per-host limit of both tools.

Scenario A: 1,000 unique URLs. Wall time (time.perf_counter around the child; CPU from the
child's own rusage) of `packetgate check --format json` and of lychee over the same files at
the same limits. Checks: every URL `ok` in packetgate's JSON, and the server saw exactly one
request per URL from packetgate. Scenario B: 1,000 citations of 100 URLs (with #fragment
variants): the server must see exactly 100 requests from packetgate.

Prints a summary block for docs/development.md. Exit 1 when a correctness check fails; a ratio over
the 1.0 target prints OVER TARGET but exits 0.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

EXCLUDE = r"^https://(apidoc\.cometapi\.com|www\.finops\.org)/"
TODAY = "2026-11-20"


def server(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return json.load(r)


def timed(argv, cwd):
    """Runs argv; returns (wall seconds, cpu seconds, exit code, stdout bytes, stderr bytes)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return wall, usage.ru_utime + usage.ru_stime, proc.returncode, out.read(), err.read()


def lychee_flags(lychee):
    """This lychee version's per-host concurrency flag and per-host request-interval flag
    (None when it has no such flag)."""
    help_text = subprocess.run([lychee, "--help"], capture_output=True, text=True).stdout
    has = lambda flag: re.search(re.escape(flag) + r"[\s=\[]", help_text) is not None
    host = next((f for f in ("--host-concurrency", "--max-concurrency-per-host") if has(f)), None)
    interval = "--host-request-interval" if has("--host-request-interval") else None
    return host, interval


class Bench:
    def __init__(self, packetgate, lychee, base, work):
        self.pg, self.ly, self.base, self.work = packetgate, lychee, base, work
        self.conc = int(os.environ.get("CONCURRENCY", "32"))
        self.config = os.path.join(work, "packetgate.yml")
        self.host_flag, self.interval_flag = lychee_flags(lychee)
        self.failures = []

    def files(self, scenario):
        folder = os.path.join(self.work, scenario)
        return sorted(os.path.join(folder, f) for f in os.listdir(folder))

    def run_packetgate(self, scenario, config=None):
        server(self.base, "/__reset")
        argv = [self.pg, "check", "--format", "json", "--today", TODAY,
                "--config", config or self.config, os.path.join(self.work, scenario)]
        wall, cpu, code, out, err = timed(argv, self.work)
        if code not in (0, 1):
            sys.exit(f"packetgate exited {code}: {err.decode(errors='replace')[-2000:]}")
        stats = server(self.base, "/__stats")
        return wall, cpu, json.loads(out), stats

    def run_lychee(self, scenario):
        server(self.base, "/__reset")
        # No disk cache, loopback not excluded (lychee's defaults, made explicit).
        argv = [self.ly, "--no-progress", "--format", "json", "--cache=false",
                "--exclude-loopback=false", "--max-concurrency", str(self.conc),
                "--exclude", EXCLUDE]
        if self.host_flag:
            argv += [self.host_flag, str(self.conc)]
        if self.interval_flag:
            # lychee spaces requests to one host >= 50 ms apart by default (20 requests/s
            # here, ~50 s for scenario A); packetgate has no such pacing, so turn it off.
            argv += [self.interval_flag, "0"]
        argv += self.files(scenario)
        wall, cpu, code, out, err = timed(argv, self.work)
        if code not in (0, 2):
            sys.exit(f"lychee exited {code}: {err.decode(errors='replace')[-2000:]}")
        stats = server(self.base, "/__stats")
        try:
            report = json.loads(out)
        except json.JSONDecodeError:
            report = {}
        return wall, cpu, report, stats

    def check(self, ok, what):
        print(("  ok: " if ok else "  FAILED: ") + what)
        if not ok:
            self.failures.append(what)


def loopback(results):
    return [r for r in results if r["url"].startswith("http://127.0.0.1")]


def main():
    packetgate, lychee, base, work = sys.argv[1:5]
    runs = int(os.environ.get("RUNS", "3"))
    b = Bench(packetgate, lychee, base, work)
    version = subprocess.run([lychee, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"lychee: {version}; per-host flag: {b.host_flag or '(none in this version)'}; "
          f"per-host interval flag: {b.interval_flag or '(none)'} (set to 0)")
    print(f"limits: concurrency {b.conc}, per host {b.conc}; server latency 50 ms per request")

    # ---- Scenario A ----
    print("\nscenario A: 1,000 unique URLs in 100 packets")
    b.run_packetgate("a")  # warm-up: page cache, loader
    b.run_lychee("a")
    pg_walls, ly_walls, pg_cpu, ly_cpu, pg_phase = [], [], [], [], []
    pg_last = pg_stats = ly_last = ly_stats = None
    for i in range(runs):
        wall, cpu, report, stats = b.run_packetgate("a")
        pg_walls.append(wall)
        pg_cpu.append(cpu)
        pg_last, pg_stats = report, stats
        s = report["links"]["summary"]
        pg_phase.append(s["seconds"])
        print(f"  run {i + 1} packetgate: {wall * 1000:6.0f} ms wall, {cpu * 1000:4.0f} ms cpu, "
              f"{stats['total']} requests on {stats['connections']} connections, "
              f"max {stats['max_in_flight']} in flight; link phase {s['seconds']:.2f} s")
        wall, cpu, report, stats = b.run_lychee("a")
        ly_walls.append(wall)
        ly_cpu.append(cpu)
        ly_last, ly_stats = report, stats
        print(f"  run {i + 1} lychee:     {wall * 1000:6.0f} ms wall, {cpu * 1000:4.0f} ms cpu, "
              f"{stats['total']} requests on {stats['connections']} connections, "
              f"max {stats['max_in_flight']} in flight; "
              f"{report.get('successful', '?')} successful of {report.get('total', '?')}")

    links = pg_last["links"]
    local = loopback(links["results"])
    statuses = {}
    for r in local:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    b.check(links.get("opened") is True, "packetgate opened links (links.opened = true)")
    b.check(len(local) == 1000 and statuses == {"ok": 1000},
            f"packetgate: all 1,000 loopback URLs ok (got {len(local)}: {statuses})")
    b.check(pg_stats["total"] == 1000 and len(pg_stats["paths"]) == 1000
            and set(pg_stats["paths"].values()) == {1},
            f"server: packetgate sent exactly 1,000 requests, one per URL "
            f"(got {pg_stats['total']} on {len(pg_stats['paths'])} paths)")
    b.check(ly_last.get("successful") == 1000 and ly_stats["total"] >= 1000,
            f"lychee checked the same 1,000 URLs (successful {ly_last.get('successful')}, "
            f"{ly_stats['total']} requests) -- else the comparison is void")
    ms = sorted(r["ms"] for r in local)
    attempts = sum(r["attempts"] for r in local)
    pct = lambda p: ms[min(len(ms) - 1, int(p * len(ms)))]
    print(f"  packetgate per-URL `ms` (from the start of the link phase, queueing included): "
          f"p50 {pct(0.5)}, p90 {pct(0.9)}, p99 {pct(0.99)}, max {ms[-1]}; attempts {attempts}")
    # The part of packetgate's run that is not the link phase: the same packets, --offline.
    offline = []
    for _ in range(runs):
        argv = [b.pg, "check", "--offline", "--format", "json", "--today", TODAY,
                "--config", b.config, os.path.join(work, "a")]
        offline.append(timed(argv, work)[0])
    print(f"  packetgate --offline over the same packets (startup, policies, evaluation, report): "
          f"median {statistics.median(offline) * 1000:.0f} ms")

    # ---- Scenario B ----
    print("\nscenario B: 1,000 citations of 100 distinct URLs (some with #fragments)")
    wall_b, _, report_b, stats_b = b.run_packetgate("b")
    local_b = loopback(report_b["links"]["results"])
    cited = sum(r["cited"] for r in local_b)
    print(f"  packetgate: {wall_b * 1000:.0f} ms wall, {stats_b['total']} requests, "
          f"{len(local_b)} distinct URLs reported, cited {cited} times")
    b.check(stats_b["total"] == 100 and set(stats_b["paths"].values()) == {1},
            f"server: packetgate sent exactly 100 requests for 1,000 citations "
            f"(got {stats_b['total']})")
    b.check(len(local_b) == 100 and all(r["status"] == "ok" for r in local_b) and cited == 1000,
            f"packetgate: 100 URLs, all ok, 1,000 citations counted (got {len(local_b)}, {cited})")
    wall_lb, _, report_lb, stats_lb = b.run_lychee("b")
    print(f"  lychee (for reference): {wall_lb * 1000:.0f} ms wall, {stats_lb['total']} requests")

    # ---- Summary ----
    pg_med, ly_med = statistics.median(pg_walls), statistics.median(ly_walls)
    ratio = pg_med / ly_med
    floor = -(-1000 // b.conc) * 0.050  # full and partial waves of 50 ms
    print("\n==== summary (for docs/development.md) ====")
    print(f"machine: {os.cpu_count()} cores, {os.uname().machine}; lychee {version.split()[-1]}; "
          f"server: loopback, 50 ms per request; limits: {b.conc} global, {b.conc} per host; "
          f"{runs} runs each, alternating")
    print(f"scenario A (1,000 unique URLs, 100 packets): floor ceil(1000/{b.conc}) x 50 ms = "
          f"{floor:.2f} s")
    print(f"  packetgate median wall: {pg_med:.2f} s  (runs: "
          f"{', '.join(f'{w:.2f}' for w in pg_walls)}; median cpu {statistics.median(pg_cpu):.2f} s)")
    print(f"    of which link phase {statistics.median(pg_phase):.2f} s (JSON links.summary.seconds); "
          f"--offline run of the same packets {statistics.median(offline):.2f} s")
    print(f"  lychee     median wall: {ly_med:.2f} s  (runs: "
          f"{', '.join(f'{w:.2f}' for w in ly_walls)}; median cpu {statistics.median(ly_cpu):.2f} s)")
    print(f"  ratio packetgate/lychee: {ratio:.2f}  (target <= 1.00)"
          + ("" if ratio <= 1.0 else "  OVER TARGET"))
    print(f"  requests: packetgate {pg_stats['total']} (expected 1000), "
          f"lychee {ly_stats['total']}; all ok: {statuses.get('ok', 0)}/1000")
    print(f"scenario B (1,000 citations of 100 URLs): packetgate requests {stats_b['total']} "
          f"(expected 100); lychee {stats_lb['total']}")
    print(f"| URLs | packetgate | lychee {version.split()[-1]} | ratio | target | requests (A / B) |")
    print("|---|---|---|---|---|---|")
    print(f"| 1,000 unique, {b.conc} in flight, 50 ms each | {pg_med:.2f} s | {ly_med:.2f} s | "
          f"{ratio:.2f} | <= 1.00 | {pg_stats['total']} / {stats_b['total']} |")
    if b.failures:
        print(f"CORRECTNESS FAILED: {len(b.failures)} check(s): " + "; ".join(b.failures))
        sys.exit(1)
    print("correctness: all checks passed")


if __name__ == "__main__":
    main()
