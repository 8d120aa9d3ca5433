#!/usr/bin/env python3
"""Picks the pinned rows from the shared notation corpus: for every
(family, 1.4.6 verdict, 2.3 verdict) the first two rows, plus every row
whose error text is the only one of its kind, capped at 48 rows.
Run from the crate root: python3 tests/notation/pin.py"""
import json, collections, pathlib

src = pathlib.Path("../shared/producer-pal/notation-corpus.jsonl")
rows = [json.loads(l) for l in src.read_text().split("\n") if l.strip()]

def verdict(o):
    return "ok" if o["ok"] else o["kind"]

picked, seen, messages = [], collections.Counter(), set()
for r in rows:
    o1, o2 = r["oracle"]["1.4.6"], r["oracle"]["2.3"]
    key = (r["family"], verdict(o1), verdict(o2))
    texts = {(o["error"] or "")[:40] for o in (o1, o2)} - messages
    if seen[key] < 2 or texts:
        seen[key] += 1
        messages |= texts
        picked.append(r)
picked = picked[:48]
out = pathlib.Path("tests/notation/pinned.jsonl")
out.write_text("".join(json.dumps(r, ensure_ascii=True) + "\n" for r in picked))
print(f"{len(picked)} rows written to {out}")
