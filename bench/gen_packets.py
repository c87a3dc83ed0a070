#!/usr/bin/env python3
"""Writes N packets (default 10,000) into a folder for the `check --offline` benchmark.

Every packet is one of the repository's example packets (valid and invalid, both kinds,
YAML and Markdown) with its ids and owners varied, so the run exercises every rule kind,
the Markdown prose scans and the failure paths, not one file parsed 10,000 times.
"""
import os
import sys

def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench/out/packets"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")
    templates = []
    for sub in ("valid", "invalid"):
        folder = os.path.join(root, sub)
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                templates.append((name, f.read()))
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        name, text = templates[i % len(templates)]
        stem, ext = os.path.splitext(name)
        text = text.replace("CHG-2026-", f"CHG-{2026 + i % 3}-{i:05d}-")
        text = text.replace("support-platform-team", f"team-{i % 97}")
        sub = os.path.join(out, f"team-{i % 50:02d}")
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"{stem}-{i:05d}{ext}"), "w", encoding="utf-8") as f:
            f.write(text)
    print(f"wrote {n} packets to {out}")

if __name__ == "__main__":
    main()
