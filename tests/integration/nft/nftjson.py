#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reads `nft -j list table ...` on stdin and answers one question about it.

  nftjson.py elements SET   the set's elements, normalised, comma separated ("22,5000-5001")
  nftjson.py sets           the named sets, comma separated, sorted
  nftjson.py rules          how many rules the chain "input" has
  nftjson.py last-verdict   the verdict of the chain's last rule (accept/drop)
  nftjson.py handle         the table's handle (changes only when the table is re-created)
  nftjson.py counter        packets of the named counter "dropped"
  nftjson.py helper         "TYPE PROTOCOL L3PROTO" of the ct helper "ftp"
  nftjson.py canon          the table without handles and counter values, every list sorted:
                            two tables with the same meaning print the same text
"""
import json
import sys


def items(doc, kind):
    return [i[kind] for i in doc["nftables"] if kind in i]


def elem_text(e):
    if isinstance(e, dict):
        if "range" in e:
            return f"{e['range'][0]}-{e['range'][1]}"
        if "prefix" in e:
            return f"{e['prefix']['addr']}/{e['prefix']['len']}"
        if "elem" in e:
            return elem_text(e["elem"]["val"])
        return json.dumps(e, sort_keys=True)
    return str(e)


def strip(obj):
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items()
                if k not in ("handle", "packets", "bytes", "metainfo")}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    return obj


def canon(doc):
    out = []
    for item in doc["nftables"]:
        if "metainfo" in item:
            continue
        item = strip(item)
        if "set" in item and "elem" in item["set"]:
            item["set"]["elem"] = sorted(elem_text(e) for e in item["set"]["elem"])
        out.append(item)
    # Rules keep their order; everything else is sorted by its text.
    rules = [json.dumps(i, sort_keys=True) for i in out if "rule" in i]
    rest = sorted(json.dumps(i, sort_keys=True) for i in out if "rule" not in i)
    return "\n".join(rest + rules)


def main(argv):
    doc = json.load(sys.stdin)
    q = argv[1]
    if q == "elements":
        for s in items(doc, "set"):
            if s["name"] == argv[2]:
                print(",".join(elem_text(e) for e in s.get("elem", [])))
                return 0
        print(f"no set {argv[2]}", file=sys.stderr)
        return 1
    if q == "sets":
        print(",".join(sorted(s["name"] for s in items(doc, "set"))))
        return 0
    if q == "rules":
        print(len([r for r in items(doc, "rule") if r["chain"] == "input"]))
        return 0
    if q == "last-verdict":
        rules = [r for r in items(doc, "rule") if r["chain"] == "input"]
        last = rules[-1]["expr"][-1]
        print(next(iter(last)))
        return 0
    if q == "handle":
        print(items(doc, "table")[0]["handle"])
        return 0
    if q == "counter":
        for c in items(doc, "counter"):
            if c["name"] == "dropped":
                print(c["packets"])
                return 0
        return 1
    if q == "helper":
        for h in items(doc, "ct helper"):
            if h["name"] == "ftp":
                print(h["type"], h["protocol"], h["l3proto"])
                return 0
        return 1
    if q == "canon":
        print(canon(doc))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
