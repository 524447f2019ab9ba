#!/usr/bin/env python3
"""Writes copies 1..N-1 of a folder of Synthea bundles with every UUID replaced by a new one
(uuid5 of the copy number and the old UUID), so that the folder plus its copies is the same data
set N times over as different patients and resources: the "loaded 10 times over" data set of the
search benchmark.

usage: synthea_copies.py SOURCE_DIR OUT_DIR N
"""
import gzip
import os
import re
import sys
import uuid
from concurrent.futures import ProcessPoolExecutor

UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NAMESPACE = uuid.UUID("6f1c1d2e-2b9a-4c61-9a55-6b8f1f3c0a10")


def copy(job):
    source, out_dir, k = job
    with gzip.open(source, "rb") if source.endswith(".gz") else open(source, "rb") as f:
        text = f.read()
    renamed = UUID.sub(lambda m: str(uuid.uuid5(NAMESPACE, f"{k}:{m.group(0).decode()}")).encode(), text)
    name = os.path.basename(source)
    if not name.endswith(".gz"):
        name += ".gz"
    with gzip.open(os.path.join(out_dir, f"copy{k}-{name}"), "wb", compresslevel=1) as f:
        f.write(renamed)


def main():
    source_dir, out_dir, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.makedirs(out_dir, exist_ok=True)
    # Organisation and practitioner files first, as in the original folder's import order.
    files = sorted(os.path.join(source_dir, f) for f in os.listdir(source_dir) if ".json" in f)
    jobs = [(f, out_dir, k) for k in range(1, n) for f in files]
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        list(pool.map(copy, jobs, chunksize=8))


if __name__ == "__main__":
    main()
