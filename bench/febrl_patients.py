#!/usr/bin/env python3
"""Turns a FEBRL-layout person CSV (.csv or .csv.gz) into FHIR Patients for the intake benchmark.

    febrl_patients.py dsgen_1m.csv.gz patients.ndjson.gz queries.ndjson [QUERIES]

Every row becomes a Patient (NDJSON, gzip) with its rec_id as identifier; QUERIES (default
1,000) rows chosen with a fixed seed among the duplicates (`-dup-`) become Patient/$match
Parameters bodies with the SSN left out, as a registrar would type them.
"""
import csv
import datetime
import gzip
import json
import random
import sys


def open_text(path, mode="rt"):
    return gzip.open(path, mode, encoding="utf-8") if path.endswith(".gz") else open(path, mode, encoding="utf-8")


def patient(row):
    resource = {"resourceType": "Patient",
                "identifier": [{"system": "urn:custos:bench:rec_id", "value": row["rec_id"]}],
                "name": [{"use": "official", "family": row["surname"] or "unknown"}]}
    if row["given_name"]:
        resource["name"][0]["given"] = [row["given_name"]]
    if row.get("soc_sec_id"):
        resource["identifier"].append({"system": "http://hl7.org/fhir/sid/us-ssn", "value": row["soc_sec_id"]})
    dob = row.get("date_of_birth", "")
    if len(dob) == 8 and dob.isdigit():
        resource["birthDate"] = f"{dob[:4]}-{dob[4:6]}-{dob[6:]}"
    line = " ".join(part for part in (row.get("street_number", ""), row.get("address_1", "")) if part)
    address = {"line": [part for part in (line, row.get("address_2", "")) if part],
               "city": row.get("suburb", ""), "state": row.get("state", ""),
               "postalCode": row.get("postcode", "")}
    resource["address"] = [{k: v for k, v in address.items() if v}]
    if row.get("phone_number"):
        resource["telecom"] = [{"system": "phone", "value": row["phone_number"]}]
    return resource


def main():
    source, patients_path, queries_path = sys.argv[1:4]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    duplicates = []
    with open_text(source) as f, gzip.open(patients_path, "wt", encoding="utf-8") as out:
        reader = csv.reader(f, skipinitialspace=True)
        header = [name.strip() for name in next(reader)]
        for values in reader:
            row = dict(zip(header, (value.strip() for value in values)))
            resource = patient(row)
            # Synthetic dates such as 19990231 are not dates: leave them to the extension.
            if "birthDate" in resource:
                try:
                    datetime.date.fromisoformat(resource["birthDate"])
                except ValueError:
                    del resource["birthDate"]
            out.write(json.dumps(resource, separators=(",", ":")) + "\n")
            if "-dup-" in row["rec_id"]:
                duplicates.append(resource)
    rng = random.Random(20261125)
    with open(queries_path, "w", encoding="utf-8") as out:
        for resource in rng.sample(duplicates, min(count, len(duplicates))):
            query = dict(resource)
            query["identifier"] = [i for i in resource["identifier"] if "us-ssn" not in i["system"]]
            body = {"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": query}]}
            out.write(json.dumps(body, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
