#!/usr/bin/env python3
"""Validates JSON documents against a JSON Schema (draft 2020-12).

    validate_json_schema.py SCHEMA FILE...

Each FILE holds one JSON document, or one per line when it ends in
.jsonl. Prints every violation as FILE[:LINE]: PATH: MESSAGE and exits 1
if there is any, 2 if the schema itself is not valid.
"""
import json
import sys

import jsonschema


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        schema = json.load(f)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as e:
        print(f"{argv[1]}: the schema is not valid: {e.message}", file=sys.stderr)
        return 2
    validator = jsonschema.Draft202012Validator(schema)
    failures = 0
    checked = 0
    for path in argv[2:]:
        with open(path) as f:
            if path.endswith(".jsonl"):
                docs = [(i + 1, line) for i, line in enumerate(f) if line.strip()]
            else:
                docs = [(None, f.read())]
        for line, text in docs:
            where = path if line is None else f"{path}:{line}"
            try:
                doc = json.loads(text)
            except ValueError as e:
                print(f"{where}: not JSON: {e}")
                failures += 1
                continue
            checked += 1
            for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
                loc = "/" + "/".join(str(p) for p in err.path)
                print(f"{where}: {loc}: {err.message}")
                failures += 1
    print(f"{checked} documents checked, {failures} violations")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
