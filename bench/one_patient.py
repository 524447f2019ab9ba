#!/usr/bin/env python3
"""Rewrites a folder of Synthea bundles so that every record belongs to one patient (the first
bundle's): the other Patient entries are dropped and references to them point at that patient.
For measuring Patient/$everything on a very large record.

usage: one_patient.py SOURCE_DIR OUT_DIR
"""
import gzip
import json
import os
import sys


def main():
    source_dir, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    the_patient = None
    for name in sorted(os.listdir(source_dir)):
        if ".json" not in name:
            continue
        path = os.path.join(source_dir, name)
        bundle = json.load(gzip.open(path) if name.endswith(".gz") else open(path))
        patients = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
        text = json.dumps(bundle)
        if patients:
            if the_patient is None:
                the_patient = patients[0]["fullUrl"]
            else:
                own = patients[0]["fullUrl"]
                bundle["entry"] = [e for e in bundle["entry"] if e["fullUrl"] != own]
                # References across bundles must name the resource, not the other bundle's urn.
                text = json.dumps(bundle).replace(own, "Patient/" + the_patient.removeprefix("urn:uuid:"))
        with gzip.open(os.path.join(out_dir, name if name.endswith(".gz") else name + ".gz"), "wt", compresslevel=1) as f:
            f.write(text)


if __name__ == "__main__":
    main()
