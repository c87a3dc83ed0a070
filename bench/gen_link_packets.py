#!/usr/bin/env python3
"""Writes the packets for the live link benchmark (bench/links.sh).

Usage: gen_link_packets.py OUT_DIR BASE_URL {a|b} [N_PACKETS=100] [PER_PACKET=10]

Every packet is the repository's valid budget-change YAML example with its change id varied
and its `sources:` rows replaced by PER_PACKET rows citing BASE_URL/p/N. The example's
provider-docs and FinOps links stay (the provider-docs rule wants one); the benchmark
excludes them in both tools, since those hosts cannot be reached from the bench machine.
The loopback links are plain http, so every packet fails the `url-https` rule: that is
expected and does not affect the link phase.

  a: N_PACKETS * PER_PACKET unique URLs, /p/0 … /p/999 for the defaults.
  b: the same number of citations of only N_PACKETS distinct URLs (/p/0 … /p/99): packet i
     cites /p/((i + 10 j) mod N_PACKETS) for row j, so every URL is cited PER_PACKET times,
     and every third citation carries a `#fragment` (which must not make a new request).

Prints the number of citations and of distinct URLs (fragment stripped).
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, "..", "examples", "valid", "budget-change-new-request-class.yaml")


def source_row(url, k):
    return (f"  - area: Benchmark page {k}\n"
            f"    verify: The benchmark page still opens.\n"
            f"    url: {url}\n"
            f"    accessed: 2026-11-16\n")


def main():
    out, base, scenario = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    per = int(sys.argv[5]) if len(sys.argv) > 5 else 10
    with open(TEMPLATE, encoding="utf-8") as f:
        text = f.read()
    head, sep, tail = text.partition("\nsources:\n")
    if not sep:
        sys.exit("template has no sources: block")
    # `tail` is the sources rows, then `notes:`; keep everything from `notes:` on.
    notes = tail[tail.index("\nnotes:"):] if "\nnotes:" in tail else "\n"
    os.makedirs(out, exist_ok=True)
    citations, distinct = 0, set()
    for i in range(n):
        rows = []
        for j in range(per):
            if scenario == "a":
                num = i * per + j
                url = f"{base}/p/{num}"
            elif scenario == "b":
                num = (i + 10 * j) % n
                url = f"{base}/p/{num}"
                if (i + j) % 3 == 0:
                    url += f"#part-{j}"
            else:
                sys.exit(f"unknown scenario {scenario!r}")
            rows.append(source_row(url, j))
            citations += 1
            distinct.add(url.split("#", 1)[0])
        body = head.replace("CHG-2026-0157", f"CHG-2026-{scenario.upper()}{i:04d}")
        body += "\nsources:\n" + "".join(rows) + notes.lstrip("\n")
        with open(os.path.join(out, f"budget-change-{scenario}-{i:04d}.yaml"), "w",
                  encoding="utf-8") as f:
            f.write(body)
    print(f"scenario {scenario}: {n} packets, {citations} citations, {len(distinct)} distinct URLs"
          f" in {out}")


if __name__ == "__main__":
    main()
