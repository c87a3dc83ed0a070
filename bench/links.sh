#!/usr/bin/env bash
# Benchmark: packetgate's live link checking against lychee, on a loopback server with 50 ms
# of latency per request. Scenario A: 1,000 unique URLs in 100 packets, timed (RUNS=3 each,
# alternating). Scenario B: 1,000 citations of 100 URLs, checked for one request per URL.
# Usage: bash bench/links.sh        (RUNS=3, CONCURRENCY=32 by default)
# Exit 1 when a correctness check fails; a ratio over target prints OVER TARGET, exit 0.
set -euo pipefail
cd "$(dirname "$0")/.."
LYCHEE_VERSION=0.24.2
export CONCURRENCY="${CONCURRENCY:-32}"

cargo build --release --locked --quiet

lychee=bench/.tools/bin/lychee
if [[ ! -x $lychee ]]; then
  echo "installing lychee $LYCHEE_VERSION into bench/.tools (takes a while)…" >&2
  nice -n 19 cargo install lychee --version "$LYCHEE_VERSION" --locked --root bench/.tools --quiet
fi

work=bench/out/links
rm -rf "$work"
mkdir -p "$work"

python3 bench/link_server.py --port 0 --port-file "$work/port" >"$work/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.05; done
[[ -s $work/port ]] || { echo "link server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
base="http://127.0.0.1:$(cat "$work/port")"

python3 bench/gen_link_packets.py "$work/a" "$base" a
python3 bench/gen_link_packets.py "$work/b" "$base" b
cat >"$work/packetgate.yml" <<YAML
links:
  allow_private: [127.0.0.1]
  concurrency: $CONCURRENCY
  per_host: $CONCURRENCY
  exclude: ['^https://(apidoc\.cometapi\.com|www\.finops\.org)/']
YAML

echo "machine: $(nproc) cores, $(uname -m)"
python3 bench/check_links.py "$PWD/target/release/packetgate" "$PWD/$lychee" "$base" "$PWD/$work"
