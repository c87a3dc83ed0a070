#!/usr/bin/env bash
# Benchmark: the org-wide remote audit, 200 repositories × 500 packets (100,000 packets) on
# the fake GitHub (tests/support/github, served by `serve_bench_org` in tests/audit_bench.rs),
# in 4 shards run one after another, then merged.
#
#   bash bench/audit.sh                 # REPOS=200 PER_REPO=500 SHARDS=4
#   PACKETGATE=target/debug/packetgate bash bench/audit.sh   # use that binary, no release build
#
# Two measurements, each shard under /usr/bin/time (wall time, peak RSS):
# 1. `packetgate audit --repos org:bench --shard I/N --format json --output-file …` and
#    `packetgate audit merge …`, when the binary has the `audit` command;
# 2. the GitHub side alone (list the org, download and unpack every repository of the shard
#    through packetgate::github::repos), `fetch_bench_shard` in tests/audit_bench.rs.
# The fake prints the requests it saw per repository when it stops.
# Targets: under 60 s in all, under 256 MiB per shard, at most 5 requests per repository.
set -euo pipefail
cd "$(dirname "$0")/.."
repos="${REPOS:-200}"
per="${PER_REPO:-500}"
shards="${SHARDS:-4}"
out="bench/out/audit"
# Where the fetch measurement unpacks (a temporary folder, as an audit run would use).
fetch_dir="${FETCH_DIR:-${TMPDIR:-/tmp}/packetgate-audit-bench}"
packets="$out/packets"
n=$((repos * per))
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
mkdir -p "$out"

if [ "$(find "$packets" -type f 2>/dev/null | wc -l)" != "$n" ]; then
  rm -rf "$packets"
  python3 bench/gen_packets.py "$packets" "$n"
fi

if [ -z "${PACKETGATE:-}" ]; then
  cargo build --release --locked --quiet
  PACKETGATE=target/release/packetgate
fi
# The fake and the fetch measurement: one test binary, run directly (not through cargo, so
# /usr/bin/time measures it alone).
bench_bin=$(cargo test --locked --test audit_bench --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "audit_bench":
        print(m["executable"])')
[ -x "$bench_bin" ] || { echo "cannot build tests/audit_bench.rs: run cargo test --test audit_bench --no-run" >&2; exit 1; }

stop="$out/stop"
rm -f "$stop" "$out/fake.log"
PACKETGATE_BENCH_PACKETS="$packets" PACKETGATE_BENCH_REPOS="$repos" PACKETGATE_BENCH_PER_REPO="$per" \
  PACKETGATE_BENCH_STOP="$stop" \
  "$bench_bin" --ignored --exact serve_bench_org --nocapture >"$out/fake.log" 2>&1 &
fake_pid=$!
trap 'touch "$stop"; wait "$fake_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  grep -q '^FAKE_API_URL=' "$out/fake.log" 2>/dev/null && break
  kill -0 "$fake_pid" 2>/dev/null || { cat "$out/fake.log"; exit 1; }
  sleep 0.1
done
url=$(sed -n 's/^FAKE_API_URL=//p' "$out/fake.log")
echo "machine: $(nproc) cores, $(uname -m); fake GitHub at $url; $repos repositories × $per packets, $shards shards"

# Runs a command under /usr/bin/time; its wall seconds and peak RSS (KiB) land in $out/time.
timed() { /usr/bin/time -f '%e %M' -o "$out/time" "$@"; }
# The last line of the measurement (GNU time writes "Command exited …" above it on exit 1).
measured() { tail -n 1 "$out/time"; }

if "$PACKETGATE" audit --help >/dev/null 2>&1; then
  echo "== packetgate audit"
  total=0
  for i in $(seq 1 "$shards"); do
    GITHUB_API_URL="$url" GITHUB_TOKEN=bench timed "$PACKETGATE" audit --repos org:bench \
      --offline --today 2026-11-20 \
      --shard "$i/$shards" --format json --output-file "$out/shard-$i.json" \
      >"$out/shard-$i.log" 2>&1 || { c=$?; [ "$c" = 1 ] || echo "shard $i: exit $c (see $out/shard-$i.log)"; }
    read -r wall rss < <(measured)
    echo "shard $i/$shards: ${wall} s, peak RSS $((rss / 1024)) MiB"
    total=$(python3 -c "print(round($total + $wall, 2))")
  done
  timed "$PACKETGATE" audit merge "$out"/shard-*.json --format json \
    --output-file "$out/merged.json" >"$out/merge.log" 2>&1 || { c=$?; [ "$c" = 1 ] || echo "merge: exit $c (see $out/merge.log)"; }
  read -r wall rss < <(measured)
  echo "merge: ${wall} s, peak RSS $((rss / 1024)) MiB"
  echo "total: $(python3 -c "print(round($total + $wall, 2))") s"
  grep -h '^packetgate: read' "$out"/shard-*.log || true
  # The merged report must be the one an unsharded run writes (timings apart; offline, there
  # are none).
  GITHUB_API_URL="$url" GITHUB_TOKEN=bench timed "$PACKETGATE" audit --repos org:bench \
    --offline --today 2026-11-20 --format json --output-file "$out/whole.json" \
    >"$out/whole.log" 2>&1 || true
  read -r wall rss < <(measured)
  if cmp -s "$out/whole.json" "$out/merged.json"; then same=identical; else same=DIFFERENT; fi
  echo "unsharded run: ${wall} s, peak RSS $((rss / 1024)) MiB; merged report vs unsharded: $same"
else
  echo "== packetgate audit: not in $PACKETGATE yet; measured below is its GitHub side alone"
fi

[ -n "${FETCH_ONLY:-}" ] || ! "$PACKETGATE" audit --help >/dev/null 2>&1 || { touch "$stop"; wait "$fake_pid" || true; trap - EXIT; grep '^fake:\|^  ' "$out/fake.log" || true; exit 0; }
echo "== GitHub side: list, download and unpack (packetgate::github::repos)"
total=0
for i in $(seq 1 "$shards"); do
  line=$(PACKETGATE_BENCH_API="$url" PACKETGATE_BENCH_SHARD="$i/$shards" PACKETGATE_BENCH_OUT="$fetch_dir" \
    timed "$bench_bin" --ignored --exact fetch_bench_shard --nocapture 2>&1 | grep '^shard \|panicked' || true)
  read -r wall rss < <(measured)
  echo "$line"
  echo "  process: ${wall} s, peak RSS $((rss / 1024)) MiB"
  total=$(python3 -c "print(round($total + $wall, 2))")
done
echo "total: ${total} s"
touch "$stop"
wait "$fake_pid" || true
trap - EXIT
grep '^fake:\|^  ' "$out/fake.log" || true
