#!/usr/bin/env bash
# The labelled claims corpus, scored: recall and false positives per claim family for the
# four corpus parts (tests/claims/*.tsv), each row judged as a real packet by
# the real binary. The same tables are what `cargo test --test claims` asserts (97 % recall,
# at most 1 % false positives per family).
# Usage: bash bench/claims.sh          (SHOW_MISSES=1 also lists the rows it got wrong)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked --quiet --test claims -- --nocapture --test-threads 1 2>&1 \
  | grep -E '^(\||dev|second|fresh|unseen|MISS|FP|test result)'
