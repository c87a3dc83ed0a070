#!/usr/bin/env bash
# Cost grows linearly: packets of about 1 MiB, as dense as can be in claims, links (plain, or
# spelled with entities and written in reference definitions), keys marked up in prose, nested
# keys or empty anchored nodes on one line, judged one at a time by the release binary. Prints wall time and peak RSS of each
# (the bar: under 2 s and 256 MiB on a 2-core machine).
# Usage: bash bench/dense.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
cargo build --release --locked --quiet
out=bench/out/dense
rm -rf "$out" && mkdir -p "$out"
python3 - "$out" <<'PY'
import sys
out = sys.argv[1]
cap = 1024 * 1024 - 2048
head = """packet: cost-trace
review_date: 2026-11-14
workload: meeting-notes-summarizer
owner: productivity-apps
source_urls:
  - url: https://apidoc.cometapi.com/
    accessed: 2026-11-14
"""
claim = "The key allows 10,000 RPM and costs $0.40 per 1M tokens with 99.9% uptime, p95 under 300 ms. "
def md(body): return "---\n" + head + "---\n\n" + body + "\n"
files = {
    "claims-in-prose.md": md(claim * (cap // len(claim))),
    "claims-in-one-sentence.md": md(("and 10,000 RPM costs $0.40 per 1M tokens uptime 99.9% " * (cap // 56))),
    "claims-in-one-value.yaml": head + 'notes: "' + claim * ((cap - 400) // len(claim)) + '"\n',
    "claims-wrapped-lines.md": md("\n".join([claim] * (cap // (len(claim) + 1)))),
    "models-and-clauses.md": md(("gpt-4o, which is available, and at p95, in about a second, "
        "May bill: $3,870, Claude Opus 4, is offered, alert when spend passes $400, ") * (cap // 150)),
    "claim-in-non-ascii-text.md": md("uptime 99.9% " + "ß " * ((cap - 20) // 3)),
    "claims-in-flow-keys.yaml": head + "extra: {" + ", ".join(
        f'"k{i} costs $0.40 per 1M tokens": "$0.30 per 1M tokens"' for i in range(17000)) + "}\n",
    "links-on-one-line.md": md("https://x.example/a?utm_source=b " * (cap // 33)),
    "links-one-per-line.md": md("\n".join(["See https://x.example/p?utm_source=b now."] * (cap // 42))),
    "empty-anchors-on-one-line.yaml": head + "x: [" + ",".join(f"&a{i}" for i in range(cap // 9)) + "]\n",
    "nested-keys.yaml": head + "".join(f"k{i}_{'x' * 100}:\n  a:\n    b: $0.40 per 1M tokens\n" for i in range(7000)),
    "keys-marked-up-in-prose.md": md("".join(
        f"Key {i}: sk&#45;proj-{i:08d}Ab**Cd**{i:08d}<b>Ef</b>{i:08d}Gh here.\n" for i in range(14000))),
    "links-by-reference.md": md("".join(f"See [d{i}][{i}] and [again][{i}].\n" for i in range(11500))
        + "\n" + "".join(f"[{i}]: http&#58;//x.example/p{i}?utm&#95;source=b\n" for i in range(11499, -1, -1))),
}
for name, text in files.items():
    open(f"{out}/{name}", "w").write(text)
PY
echo "machine: $(nproc) cores, $(uname -m)"
printf '%-28s %8s %10s %9s\n' file size wall "peak RSS"
for f in "$out"/*; do
  size=$(stat -c %s "$f")
  /usr/bin/time -f "%e %M" -o "$out/.t" target/release/packetgate check --offline \
    --today 2026-11-20 --format json "$f" > /dev/null || true
  read -r wall rss < <(tail -n 1 "$out/.t")
  printf '%-28s %7dK %9ss %7dMiB\n' "$(basename "$f")" $((size / 1024)) "$wall" $((rss / 1024))
done
