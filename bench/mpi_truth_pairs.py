#!/usr/bin/env python3
"""Writes the true pairs of a Febrl-generated file (rec-N-org / rec-N-dup-K: one person per N)."""
import collections, gzip, itertools, sys

path, out = sys.argv[1], sys.argv[2]
opener = gzip.open if path.endswith(".gz") else open
groups = collections.defaultdict(list)
with opener(path, "rt") as f:
    next(f)
    for line in f:
        rec_id = line.split(",", 1)[0].strip()
        groups[rec_id.split("-")[1]].append(rec_id)
with open(out, "w") as f:
    f.write("id_a,id_b\n")
    for ids in groups.values():
        for a, b in itertools.combinations(ids, 2):
            f.write(f"{a},{b}\n")
