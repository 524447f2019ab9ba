#!/usr/bin/env bash
# Trains the zstd dictionary that the store compresses resources with (clinical/resource_codec.h).
# Samples are resources of the first BUNDLES Synthea bundles (in name order, so the result is
# reproducible) written as the store writes them: compact, ids from the urn:uuid fullUrls,
# references rewritten to Type/id, meta.versionId and meta.lastUpdated after the id.
# The dictionary gets a fixed id, which every frame compressed with it names: a new dictionary
# needs a new id, and the old file must stay in data/resource-dictionary/ so old rows still read.
#
#   tools/resource-dictionary/train.sh [BUNDLES=80] [ID=32769]   (ids below 32768 are reserved by zstd)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUNDLES=${1:-80}
ID=${2:-32769}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$BUNDLES" "$work" <<'PY'
import glob, gzip, json, os, sys
count, out = int(sys.argv[1]), sys.argv[2]
def rewrite(node, ids):
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str) and ref in ids:
            node["reference"] = ids[ref]
        for value in node.values():
            rewrite(value, ids)
    elif isinstance(node, list):
        for value in node:
            rewrite(value, ids)
n = 0
for path in sorted(glob.glob("../shared/data/synthea/bundles/*.json.gz"))[:count]:
    bundle = json.load(gzip.open(path))
    ids = {}
    for entry in bundle["entry"]:
        url, resource = entry.get("fullUrl", ""), entry["resource"]
        rid = url[9:] if url.startswith("urn:uuid:") else resource.get("id", "")
        ids[url] = resource["resourceType"] + "/" + rid
    for entry in bundle["entry"]:
        resource = entry["resource"]
        url = entry.get("fullUrl", "")
        stored = {}
        for key, value in resource.items():
            if key in ("id", "meta"):
                continue
            stored[key] = value
            if key == "resourceType":
                stored["id"] = url[9:] if url.startswith("urn:uuid:") else resource.get("id", "")
                meta = dict(resource.get("meta", {}))
                meta.update({"versionId": "1", "lastUpdated": "2026-12-06T09:00:00.000000Z"})
                stored["meta"] = meta
        rewrite(stored, ids)
        with open(os.path.join(out, f"{n:06d}.json"), "w") as f:
            json.dump(stored, f, separators=(",", ":"), ensure_ascii=False)
        n += 1
PY
mkdir -p data/resource-dictionary
zstd --train -q -r "$work" --maxdict=112640 --dictID="$ID" \
  -o "data/resource-dictionary/fhir-r4-$ID.zdict"
ls -l "data/resource-dictionary/fhir-r4-$ID.zdict"
