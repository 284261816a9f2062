"""Evaluates driftgate's policy bundle with real OPA (the Go engine, through the
opa-golib-python-bindings wheel) and prints what it found, as JSON on stdout.

    python3 opa_eval.py OPA_LIB_DIR POLICIES_DIR findings DUMP_DIR...   whole-bundle findings per dump
    python3 opa_eval.py OPA_LIB_DIR POLICIES_DIR tests DATA_JSON        every test_* rule's result
    python3 opa_eval.py OPA_LIB_DIR - bundle TARBALL DUMP_DIR            findings from a bundle tarball

`findings` loads every Rego module of the bundle except the tests and the dump's data.json
(the bundle's data, the --data files and data.driftgate), evaluates the whole `data`
document with the dump's input.json, and collects the elements of every rule named deny*,
violation* or warn* in every package: {rule, msg, resource, path} each.
"""
import json
import os
import sys

sys.path.insert(0, sys.argv[1])
from opa_bindings import OpaEngine  # noqa: E402
from opa_bindings.engine import OpaUndefinedError  # noqa: E402

POLICIES = sys.argv[2]


def modules(include_tests):
    for dirpath, dirnames, filenames in os.walk(POLICIES):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".rego") and (include_tests or not name.endswith("_test.rego")):
                path = os.path.join(dirpath, name)
                with open(path) as f:
                    yield os.path.relpath(path, POLICIES), f.read()


def engine(data, include_tests):
    e = OpaEngine()
    for path, source in modules(include_tests):
        e.add_policy(path, source)
    e.add_data(data)
    return e


def finding_rules(doc, prefix):
    """(rule path, elements) of every finding-producing rule in the evaluated data document."""
    if not isinstance(doc, dict):
        return
    for key, value in doc.items():
        path = prefix + "." + key
        if key.startswith(("deny", "violation", "warn")) and isinstance(value, list):
            yield path, value
        elif isinstance(value, dict) and key != "driftgate":
            yield from finding_rules(value, path)


def findings(dump_dirs):
    out = []
    for d in dump_dirs:
        with open(os.path.join(d, "data.json")) as f:
            data = json.load(f)
        with open(os.path.join(d, "input.json")) as f:
            inp = json.load(f)
        e = engine(data, False)
        doc = e.eval_document("", input=inp)
        found = []
        for rule, elements in finding_rules(doc, "data"):
            for el in elements:
                res = el.get("resource") if isinstance(el, dict) else None
                found.append({
                    "rule": rule,
                    "msg": el.get("msg") if isinstance(el, dict) else None,
                    "resource": [res.get("type"), res.get("id")] if isinstance(res, dict) else None,
                    "path": el.get("path") if isinstance(el, dict) else None,
                })
        out.append(found)
        e.close()
    return out


def tests(data_json):
    """{"results": {rule: passed}, "not_covered": {file: [line]}, "covered": {file: [line]},
    "covered_lines": n}: every
    test_* rule, and the lines of the non-test modules OPA's coverage leaves uncovered over
    all of them (as `opa test --coverage` counts)."""
    with open(data_json) as f:
        data = json.load(f)
    data.pop("driftgate", None)
    e = engine(data, True)
    results = {}
    covered, uncovered = {}, {}
    for path, source in modules(True):
        if not path.endswith("_test.rego"):
            continue
        package = next(l.split()[1] for l in source.splitlines() if l.startswith("package "))
        for line in source.splitlines():
            if line.startswith("test_"):
                name = line.split()[0].split("(")[0]
                rule = "%s.%s" % (package, name)
                try:
                    ok = e.eval_document(rule, coverage=True) is True
                except OpaUndefinedError:
                    ok = False
                results["data." + rule] = ok
                for f, r in ((e.last_coverage or {}).get("files") or {}).items():
                    for kind, into in (("covered", covered), ("not_covered", uncovered)):
                        for rng in r.get(kind) or []:
                            into.setdefault(f, set()).update(range(rng["start"]["row"], rng["end"]["row"] + 1))
    e.close()
    not_covered = {
        f: sorted(rows - covered.get(f, set()))
        for f, rows in uncovered.items()
        if not f.endswith("_test.rego") and rows - covered.get(f, set())
    }
    n = sum(len(rows) for f, rows in covered.items() if not f.endswith("_test.rego"))
    covered_rows = {f: sorted(rows) for f, rows in covered.items() if not f.endswith("_test.rego")}
    return {"results": results, "not_covered": not_covered, "covered": covered_rows, "covered_lines": n}


def bundle(tarball, dump):
    """Loads an OPA bundle tarball as OPA's bundle loader does (the .rego files; data.json and
    data.yaml at their directory's path) and evaluates it on the dump's input and its
    data.driftgate alone."""
    import tarfile
    e = OpaEngine()
    data = {}
    with tarfile.open(tarball, "r:gz") as t:
        for m in t.getmembers():
            if not m.isfile():
                continue
            name = m.name.lstrip("./")
            text = t.extractfile(m).read().decode("utf-8")
            if name.endswith(".rego") and not name.endswith("_test.rego"):
                e.add_policy(name, text)
            elif name.rsplit("/", 1)[-1] == "data.json":
                node = data
                for seg in [s for s in name.rsplit("/", 1)[0].split("/") if s] if "/" in name else []:
                    node = node.setdefault(seg, {})
                node.update(json.loads(text))
    with open(os.path.join(dump, "data.json")) as f:
        data["driftgate"] = json.load(f)["driftgate"]
    with open(os.path.join(dump, "input.json")) as f:
        inp = json.load(f)
    e.add_data(data)
    doc = e.eval_document("", input=inp)
    found = []
    for rule, elements in finding_rules(doc, "data"):
        for el in elements:
            res = el.get("resource")
            found.append({"rule": rule, "msg": el.get("msg"), "path": el.get("path"),
                          "resource": [res.get("type"), res.get("id")] if isinstance(res, dict) else None})
    e.close()
    return {"findings": found}


if __name__ == "__main__":
    mode = sys.argv[3]
    if mode == "findings":
        print(json.dumps(findings(sys.argv[4:])))
    elif mode == "bundle":
        print(json.dumps(bundle(sys.argv[4], sys.argv[5])))
    else:
        print(json.dumps(tests(sys.argv[4])))
