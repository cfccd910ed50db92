#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""portcullisd --print-catalog, read as JSON, contains every seed port fact.

tests/data/seed-facts.tsv is the hand transcription of the five seed documents (one line per
document, row and port). Each fact must be in its service's ports, optional or remote list.
"""
import json
import subprocess
import sys

daemon, src = sys.argv[1], sys.argv[2]
cfg = f"{src}/conf/examples/router.toml"
out = subprocess.run([daemon, "--print-catalog", "--config", cfg], check=True,
                     capture_output=True, text=True).stdout
catalog = {s["id"]: s for s in json.loads(out)}

FIELDS = ("id", "name", "vendor", "category", "ports", "optional", "remote", "units",
          "packages", "helpers", "source")
for s in catalog.values():
    assert tuple(s.keys()) == FIELDS, f"{s['id']}: fields {tuple(s.keys())}"
    for kind in ("ports", "optional", "remote"):
        for p in s[kind]:
            assert set(p) == {"proto", "first", "last"}, p
            if p["proto"] in ("icmp", "icmpv6"):
                assert p["first"] == p["last"] == 0, p


def parse(spec):
    if spec in ("icmp", "icmpv6"):
        return spec, 0, 0
    nums, proto = spec.split("/")
    first, _, last = nums.partition("-")
    return proto, int(first), int(last or first)


def covered(service, spec):
    proto, first, last = parse(spec)
    for kind in ("ports", "optional", "remote"):
        for p in service[kind]:
            if p["proto"] == proto and p["first"] <= first and last <= p["last"]:
                return True
    return False


missing = []
facts = 0
with open(f"{src}/tests/data/seed-facts.tsv", encoding="utf-8") as f:
    for lineno, line in enumerate(f, 1):
        if not line.strip() or line.startswith("#"):
            continue
        doc, sid, spec, row = line.rstrip("\n").split("\t")[:4]
        facts += 1
        if sid not in catalog or not covered(catalog[sid], spec):
            missing.append(f"seed-facts.tsv:{lineno}: {doc} '{row}' {spec} not in {sid}")

print(f"{len(catalog)} services, {facts} seed facts checked")
if missing:
    print("\n".join(missing))
    sys.exit(1)
if facts < 400:
    print("too few facts: the transcription is incomplete")
    sys.exit(1)
