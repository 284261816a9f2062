#!/usr/bin/env python3
"""Standalone verifier for a driftgate evidence store (Python 3 standard library only).

    python3 verify_evidence.py [STORE_DIR] [--tenant T] [--from YYYY-MM-DD --to YYYY-MM-DD]
                               [--public-key FILE] [--json]

Written into every store by driftgate so that an auditor needs nothing from driftgate to
check the evidence: it recomputes every SHA-256, walks each tenant's hash chain
(<tenant>/chain/<sequence>.json -> manifest -> previous_manifest_sha256), finds sequence
gaps, forks and replays, missing, extra and altered files, checks every manifest's Ed25519
signature (implemented below from RFC 8032), and, given --from/--to, days without a run.
It prints one line per problem and a VERDICT line; the exit code is 0 when the evidence
holds and 1 when it does not (2 for bad usage). For an S3 store, verify a local copy of
the bucket prefix (for example `aws s3 sync`), or use `driftgate evidence verify`, which
also checks object versions.
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import sys

# --- Ed25519 verification (RFC 8032, section 5.1.7) -------------------------------------

P = 2 ** 255 - 19
L = 2 ** 252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def _add(a, b):
    # Extended twisted Edwards coordinates (X, Y, Z, T).
    e1 = (a[1] - a[0]) * (b[1] - b[0]) % P
    e2 = (a[1] + a[0]) * (b[1] + b[0]) % P
    c = 2 * a[3] * b[3] * D % P
    d = 2 * a[2] * b[2] % P
    e, f, g, h = e2 - e1, d - c, d + c, e2 + e1
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, point):
    acc = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            acc = _add(acc, point)
        point = _add(point, point)
        s >>= 1
    return acc


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _decompress(data):
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


_GY = 4 * pow(5, P - 2, P) % P
_GX = _recover_x(_GY, 0)
BASE = (_GX, _GY, 1, _GX * _GY % P)


def ed25519_verify(public, message, signature):
    if len(public) != 32 or len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % L
    return _equal(_mul(s, BASE), _add(r, _mul(h, a)))


# --- Canonical JSON (RFC 8785 ordering; manifests hold only strings, integers, nulls) ----

def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# --- The store --------------------------------------------------------------------------

def check_custody(custody, index, files):
    """A forensic package's chain of custody, against its artifact index and manifest."""
    problems = []
    entries = []
    prev = None
    lines = [l for l in custody.split(b"\n") if l]
    for i, line in enumerate(lines):
        try:
            e = json.loads(line)
        except ValueError:
            problems.append(("custody_chain", "entry %d is not JSON" % (i + 1)))
            return problems
        if e.get("seq") != i + 1:
            problems.append(("custody_chain", "entry %d has seq %s" % (i + 1, e.get("seq"))))
        if e.get("prev_sha256") != prev:
            problems.append(("custody_chain", "entry %d does not link to the entry before it" % (i + 1)))
        prev = sha256(line)
        entries.append(e)
    if not entries or entries[0].get("action") != "opened":
        problems.append(("custody_chain", "the log does not start with `opened`"))
    try:
        artifacts = json.loads(index).get("artifacts") or []
    except ValueError:
        problems.append(("custody_mismatch", "artifacts.json is not JSON"))
        return problems
    last = entries[-1] if entries else {}
    if not (last.get("action") == "sealed" and last.get("artifacts") == len(artifacts)):
        problems.append(("custody_chain", "the log does not end with `sealed` over every artifact"))

    def find(action, name):
        for e in entries:
            if e.get("action") == action and e.get("artifact") == name:
                return e
        return None

    for a in artifacts:
        name = a.get("artifact", "")
        e = find("received", name)
        if e is None or e.get("sha256") != a.get("sha256"):
            problems.append(("custody_mismatch", "%s: no custody record of its receipt with its hash" % name))
        if a.get("encrypted") is True:
            e = find("encrypted", name)
            if e is None or e.get("sha256_plaintext") != a.get("sha256") or e.get("sha256_ciphertext") != a.get("sha256_stored"):
                problems.append(("custody_mismatch", "%s: no custody record of its encryption with both hashes" % name))
        stored = a.get("stored_as", "")
        f = [f for f in files if f["path"] == stored]
        if not f or f[0]["sha256"] != a.get("sha256_stored"):
            problems.append(("custody_mismatch", "%s: the manifest does not list it with the indexed hash" % stored))
    for e in entries:
        if e.get("action") == "received" and not any(a.get("artifact") == e.get("artifact") for a in artifacts):
            problems.append(("custody_mismatch", "%s: received but not in the package" % json.dumps(e.get("artifact"))))
    return problems


def list_keys(root):
    keys = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            keys.append(rel.replace(os.sep, "/"))
    return sorted(keys)


def read(root, key):
    try:
        with open(os.path.join(root, *key.split("/")), "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def parse_public_key(text):
    text = text.strip()
    if not text.startswith("ed25519:"):
        return None
    try:
        raw = base64.b64decode(text[len("ed25519:"):], validate=True)
    except ValueError:
        return None
    # A key that is not a point on the curve is no key at all.
    return raw if len(raw) == 32 and _decompress(raw) is not None else None


class Verifier:
    def __init__(self, root, public_key):
        self.root = root
        self.key = public_key
        self.problems = []
        self.tenants = []

    def error(self, code, tenant, subject, detail):
        self.problems.append(("error", code, tenant, subject, detail))

    def warning(self, code, tenant, subject, detail):
        self.problems.append(("warning", code, tenant, subject, detail))

    def signature_ok(self, manifest):
        unsigned = dict(manifest)
        signature = unsigned.pop("signature", "")
        try:
            sig = base64.b64decode(signature, validate=True)
        except ValueError:
            return False
        return ed25519_verify(self.key, canonical(unsigned), sig)

    def classify_unchained(self, tenant, k, head, chained_shas):
        # A copy of a chained manifest is a replay; a validly signed manifest whose sequence
        # another run committed lost the race (warning); anything else is an error.
        data = read(self.root, k) or b""
        if sha256(data) in chained_shas:
            self.error("replayed_manifest", tenant, k, "a copy of a manifest that is already in the chain")
            return
        try:
            m = json.loads(data)
            lost_race = (isinstance(m.get("sequence"), int) and m["sequence"] <= head and self.key is not None
                         and m.get("signing_key_fingerprint") == sha256(self.key) and self.signature_ok(m))
        except (ValueError, AttributeError):
            lost_race = False
        if lost_race:
            self.warning("lost_race", tenant, k, "a run that lost the race for its sequence to another run; not part of the chain")
        else:
            self.error("unchained_manifest", tenant, k, "a manifest no chain entry refers to (fork, replay, or tampering)")

    def verify_tenant(self, tenant, keys, date_from, date_to):
        chain_prefix = tenant + "/chain/"
        entries = {}
        for k in keys:
            if not k.startswith(chain_prefix):
                continue
            name = k[len(chain_prefix):]
            seq = int(name[:-5]) if name.endswith(".json") and name[:-5].isdigit() else None
            try:
                entry = json.loads(read(self.root, k))
                entry_seq = entry["sequence"]
                for field in ("manifest", "manifest_sha256"):
                    entry[field]
            except (ValueError, TypeError, KeyError):
                entry = None
            if seq is not None and entry is not None and entry_seq == seq:
                entries[seq] = entry
            elif seq is not None and entry is not None:
                self.error("sequence_mismatch", tenant, "seq %d" % seq, "chain entry %s says sequence %s" % (k, entry_seq))
            else:
                self.error("bad_chain_entry", tenant, k, "not a chain entry")
        head = max(entries) if entries else 0
        for s in range(1, head + 1):
            if s not in entries:
                self.error("gap", tenant, "seq %d" % s, "chain entry missing: a run was deleted or never committed")
        previous = None
        chained = set()
        chained_shas = set()
        days = set()
        key_set = set(keys)
        for seq in sorted(entries):
            entry = entries[seq]
            chained.add(entry["manifest"])
            subject = "seq %d" % seq
            data = read(self.root, entry["manifest"])
            if data is None:
                self.error("missing_manifest", tenant, subject, "%s is missing" % entry["manifest"])
                previous = None
                continue
            digest = sha256(data)
            chained_shas.add(digest)
            if digest != entry["manifest_sha256"]:
                self.error("manifest_hash", tenant, subject, "%s does not match its chain entry" % entry["manifest"])
            try:
                m = json.loads(data)
                files = m["files"]
                m_seq, m_tenant, created = m["sequence"], m["tenant"], m["created_at"]
            except (ValueError, TypeError, KeyError):
                self.error("bad_manifest", tenant, subject, "%s is not a manifest" % entry["manifest"])
                previous = None
                continue
            if m_seq != seq:
                self.error("sequence_mismatch", tenant, subject, "manifest says sequence %s (replayed or moved?)" % m_seq)
            if m_tenant != tenant:
                self.error("tenant_mismatch", tenant, subject, "manifest is for tenant %s" % m_tenant)
            if previous is not None and previous[0] + 1 == seq:
                expected, judge = previous[1], True
            elif previous is None and seq == 1:
                expected, judge = None, True
            else:
                expected, judge = None, False
            if judge and m.get("previous_manifest_sha256") != expected:
                self.error("chain_link", tenant, subject, "previous_manifest_sha256 does not match the previous manifest")
            if self.key is not None:
                if m.get("signing_key_fingerprint") != sha256(self.key):
                    self.error("bad_signature", tenant, subject, "signed by another key")
                elif not self.signature_ok(m):
                    self.error("bad_signature", tenant, subject, "signature does not verify")
            if previous is not None and created < previous[2]:
                self.error("time_order", tenant, subject, "created %s before the previous link (%s)" % (created, previous[2]))
            script = read(self.root, "verify_evidence.py")
            if script is None or sha256(script) != m.get("verifier_sha256"):
                self.error("verifier_changed", tenant, subject, "verify_evidence.py at the store root is not the one this manifest records")
            days.add(created[:10])
            directory = entry["manifest"][: -len("manifest.json")]
            listed = set()
            for f in files:
                k = directory + f["path"]
                listed.add(k)
                content = read(self.root, k)
                if content is None:
                    self.error("missing_file", tenant, k, "listed in the manifest but not stored")
                elif len(content) != f["bytes"]:
                    self.error("file_size", tenant, k, "%d bytes, the manifest says %d" % (len(content), f["bytes"]))
                elif sha256(content) != f["sha256"]:
                    self.error("file_hash", tenant, k, "content does not match the manifest")
            for k in keys:
                if k.startswith(directory) and k not in listed and k != entry["manifest"]:
                    self.error("extra_file", tenant, k, "stored in the package but not listed in its manifest")
            if any(f["path"] == "custody.jsonl" for f in files):
                custody = read(self.root, directory + "custody.jsonl") or b""
                index = read(self.root, directory + "artifacts.json") or b""
                for code, detail in check_custody(custody, index, files):
                    self.error(code, tenant, directory + "custody.jsonl", detail)
            previous = (seq, digest, created)
        for k in keys:
            if k.endswith("/manifest.json") and not k.startswith(chain_prefix) and k not in chained:
                self.classify_unchained(tenant, k, head, chained_shas)
        dirs = set()
        for k in keys:
            parts = k.split("/")
            if not k.startswith(chain_prefix) and len(parts) >= 6:
                dirs.add("/".join(parts[:5]))
        for d in sorted(dirs):
            if d + "/manifest.json" not in key_set:
                self.warning("incomplete_package", tenant, d, "files without a manifest: a run that stopped before it finished (not evidence)")
        if date_from and date_to:
            day = date_from
            while day <= date_to:
                if day.isoformat() not in days:
                    self.error("missing_day", tenant, "day " + day.isoformat(), "no run on this day")
                day += datetime.timedelta(days=1)
        self.tenants.append((tenant, len(entries), head))

    def run(self, only_tenant, date_from, date_to):
        keys = list_keys(self.root)
        tenants = sorted({k.split("/", 1)[0] for k in keys if "/" in k})
        if only_tenant:
            tenants = [t for t in tenants if t == only_tenant]
        if self.key is None:
            self.error("no_public_key", "-", "driftgate.pub", "no public key to check signatures with (give --public-key)")
        for t in tenants:
            self.verify_tenant(t, [k for k in keys if k.startswith(t + "/")], date_from, date_to)
        if only_tenant and not tenants:
            self.error("gap", only_tenant, "seq 1", "the store has no evidence for this tenant")
        self.problems.sort()


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Verify a driftgate evidence store.")
    ap.add_argument("root", nargs="?", default=here)
    ap.add_argument("--tenant")
    ap.add_argument("--from", dest="date_from")
    ap.add_argument("--to", dest="date_to")
    ap.add_argument("--public-key")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    try:
        date_from = datetime.date.fromisoformat(args.date_from) if args.date_from else None
        date_to = datetime.date.fromisoformat(args.date_to) if args.date_to else None
    except ValueError as e:
        print("bad date: %s" % e, file=sys.stderr)
        return 2
    if (date_from is None) != (date_to is None):
        print("--from and --to go together", file=sys.stderr)
        return 2
    key_path = args.public_key or os.path.join(args.root, "driftgate.pub")
    key = None
    if os.path.exists(key_path):
        with open(key_path) as f:
            key = parse_public_key(f.read())
        if key is None and args.public_key:
            print("%s is not a driftgate public key" % key_path, file=sys.stderr)
            return 2
    v = Verifier(args.root, key)
    v.run(args.tenant, date_from, date_to)
    errors = [p for p in v.problems if p[0] == "error"]
    if args.json:
        print(json.dumps({
            "tenants": [{"tenant": t, "packages": n, "head": h} for t, n, h in v.tenants],
            "problems": [dict(zip(("severity", "code", "tenant", "subject", "detail"), p)) for p in v.problems],
            "ok": not errors,
        }, indent=2))
    else:
        print("driftgate evidence verify: %s (public key sha256 %s)" % (args.root, sha256(key) if key else "none"))
        for t, n, h in v.tenants:
            print("tenant %s: %d package(s), head %d" % (t, n, h))
        for severity, code, tenant, subject, detail in v.problems:
            print("%s %s %s %s: %s" % (severity.upper(), code, tenant, subject, detail))
        if errors:
            print("VERDICT: FAIL (%d problem(s))" % len(errors))
        else:
            print("VERDICT: OK (%d package(s) in %d tenant(s) verified)" % (sum(n for _, n, _ in v.tenants), len(v.tenants)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
