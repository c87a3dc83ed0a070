#!/usr/bin/env bash
# Benchmark: `packetgate check --offline` over 10,000 generated packets.
# Usage: bash bench/run.sh [N_PACKETS]   (RUNS=5 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
cargo build --release --locked --quiet
rm -rf bench/out/packets
python3 bench/gen_packets.py bench/out/packets "$n"
echo "machine: $(nproc) cores, $(uname -m)"
python3 bench/check_offline.py target/release/packetgate bench/out/packets
