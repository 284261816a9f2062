"""The scripted peer: what a team would write from the documentation to do what `driftgate
check` does, on the same tenant, baseline and pack.

    python3 benches/peer.py DEPS_DIR OPA_DIR SNAPSHOT BASELINE DUMP_DIR [--opa-only]

- the gate: every item validated with `jsonschema` (Draft 2020-12, one validator per schema,
  compiled once) against driftgate's own schemas;
- the diff: `deepdiff` per resource type, items keyed by id, `ignore_order=True`, the
  catalog's volatile fields excluded;
- the policies: real OPA (v1.20, the Go engine of the `opa-golib-python-bindings` wheel), the
  whole bundle evaluated on the snapshot with `data` = what `check --dump-input` wrote (the
  bundle's data and `data.driftgate`, so the findings are comparable; the peer does not pay
  for building them).

Prints one JSON object: the wall time of each step, the total, the finding count, and OPA's
evaluation alone (`eval_document` of the whole bundle minus the cost of handing OPA the input:
the same call with a trivial query). `--opa-only` skips the gate and the diff (deepdiff takes
minutes on a large tenant) and times OPA alone.
"""
import json
import os
import re
import sys
import time

DEPS, OPA, SNAPSHOT, BASELINE, DUMP = sys.argv[1:6]
OPA_ONLY = "--opa-only" in sys.argv[6:]
sys.path.insert(0, DEPS)
sys.path.insert(0, OPA)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

import jsonschema  # noqa: E402
from deepdiff import DeepDiff  # noqa: E402
from opa_bindings import OpaEngine  # noqa: E402


def finding_count(doc):
    n = 0
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key.startswith(("deny", "violation", "warn")) and isinstance(value, list):
                n += len(value)
            elif isinstance(value, dict) and key != "driftgate":
                n += finding_count(value)
    return n


def main():
    t = {}
    t0 = time.perf_counter()
    with open(SNAPSHOT) as f:
        snap = json.load(f)
    with open(BASELINE) as f:
        base = json.load(f)
    platform = snap["metadata"]["platform"]
    with open(os.path.join(ROOT, "src/catalog/%s.json" % platform)) as f:
        catalog = json.load(f)
    t["read+parse"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    invalid = 0
    for kind, items in [] if OPA_ONLY else snap["resources"].items():
        path = os.path.join(ROOT, "schemas", platform, kind, "v1.schema.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            validator = jsonschema.Draft202012Validator(json.load(f))
        invalid += sum(1 for item in items if not validator.is_valid(item))
    t["schema gate"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    volatile = catalog.get("volatile", [])
    changes = 0
    for kind, items in [] if OPA_ONLY else snap["resources"].items():
        spec = catalog["resource_types"].get(kind, {})
        fields = volatile + [p.strip("/").split("/")[-1] for p in spec.get("volatile", [])]
        exclude = [r"\['%s'\]" % re.escape(f) for f in fields]
        ident = (spec.get("identity") or ["id"]) if spec.get("identity", ["id"]) else None
        if ident:
            def key(item, ident=ident):
                return "|".join(str(item.get(k)) for k in ident)
            old = {key(i): i for i in base["resources"].get(kind, [])}
            new = {key(i): i for i in items}
        else:
            old, new = {"": base["resources"].get(kind)}, {"": items}
        d = DeepDiff(old, new, ignore_order=True, exclude_regex_paths=exclude)
        changes += sum(len(v) for v in d.values())
    t["diff"] = time.perf_counter() - t2

    t3 = time.perf_counter()
    with open(os.path.join(DUMP, "data.json")) as f:
        data = json.load(f)
    e = OpaEngine()
    for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, "policies")):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".rego") and not name.endswith("_test.rego"):
                p = os.path.join(dirpath, name)
                with open(p) as f:
                    e.add_policy(os.path.relpath(p, ROOT), f.read())
    e.add_data(data)
    t["opa load"] = time.perf_counter() - t3
    # The input the policies see: the snapshot without its quarantined items (the dump's).
    with open(os.path.join(DUMP, "input.json")) as f:
        inp = json.load(f)
    t4 = time.perf_counter()
    doc = e.eval_document("", input=inp)
    t["opa eval"] = time.perf_counter() - t4
    t5 = time.perf_counter()
    e.eval_query("x := 1", input=inp)
    handoff = time.perf_counter() - t5
    e.close()
    # Reading the dumped input is not the peer's work (it holds the snapshot already).
    total = sum(t.values())
    print(json.dumps({
        "stages_ms": {k: round(v * 1000, 1) for k, v in t.items()},
        "total_ms": round(total * 1000, 1),
        "opa_eval_only_ms": round(max(t["opa eval"] - handoff, 0) * 1000, 1),
        "opa_input_handoff_ms": round(handoff * 1000, 1),
        "findings": finding_count(doc),
        "invalid_items": invalid,
        "diff_entries": changes,
    }))


if __name__ == "__main__":
    main()
