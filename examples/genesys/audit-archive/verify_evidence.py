#!/usr/bin/env python3
"""Standalone verifier for a driftgate evidence store (Python 3 standard library only).

    python3 verify_evidence.py [STORE_DIR] [--tenant T] [--from YYYY-MM-DD --to YYYY-MM-DD]
                               [--public-key FILE | --key-fingerprint SHA256:HEX]
                               [--witness FILE] [--json]

Written into every store by driftgate so that an auditor needs nothing from driftgate to
check the evidence: it recomputes every SHA-256, walks each stream's hash chain
(<stream>/chain/<sequence>.json -> manifest -> previous_manifest_sha256), finds sequence
gaps, forks and replays, missing, extra, moved and altered files and symbolic links, checks
every manifest's Ed25519 signature (implemented below from RFC 8032) over its RFC 8785
canonical JSON, checks the chain heads a witness recorded outside the store (--witness),
and, given --from/--to, days without a run. It prints one line per problem and a VERDICT
line; the exit code is 0 when the evidence holds, 1 when it does not, 2 for bad usage or a
store it cannot read. Its verdicts and problem codes are those of `driftgate evidence
verify`. For an S3 store, verify a local copy of the bucket prefix (for example `aws s3
sync`), or use `driftgate evidence verify`, which also checks object versions.

Pin the key: without --public-key or --key-fingerprint the key is the store's own
driftgate.pub, which whoever can rewrite the store can replace.
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import re
import stat
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


def strict_b64(text, length):
    """Canonical base64 (padding and trailing bits as an encoder writes them) of `length` bytes."""
    if not isinstance(text, str):
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    if len(raw) != length or base64.b64encode(raw).decode("ascii") != text:
        return None
    return raw


# --- Strict JSON: what driftgate accepts, nothing more -----------------------------------

class Refused(ValueError):
    pass


EXACT_LIMIT = 2 ** 64


def _pairs(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise Refused("duplicate key")
        out[k] = v
    return out


def _constant(name):
    raise Refused("not a JSON number: %s" % name)


def _float(text):
    v = float(text)
    if v != v or v in (float("inf"), float("-inf")) or abs(v) >= EXACT_LIMIT:
        raise Refused("a number that cannot be kept exactly")
    return v


def _int(text):
    v = int(text)
    if -2 ** 63 <= v < 2 ** 64:
        return v
    # Beyond 64 bits driftgate reads a double: refused from 2^64 on, rounded below it.
    return _float(text)


def _sound(v, depth=0):
    if depth > 127:
        raise Refused("nested too deeply")
    if isinstance(v, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in v):
            raise Refused("a lone surrogate")
    elif isinstance(v, list):
        for x in v:
            _sound(x, depth + 1)
    elif isinstance(v, dict):
        for k, x in v.items():
            _sound(k, depth + 1)
            _sound(x, depth + 1)


def strict_json(data):
    """The document in `data` (bytes), or None: UTF-8, no repeated key, no NaN or infinity, no
    lone surrogate, no number of magnitude 2^64 or more."""
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
        v = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float, parse_int=_int)
        _sound(v)
        return v
    except (ValueError, RecursionError):
        return None


def is_u64(v):
    return type(v) is int and 0 <= v < 2 ** 64


def same(a, b):
    """JSON equality (a boolean is not a number, an integer is not a float)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def field(v, k):
    return v.get(k) if isinstance(v, dict) else None


# --- Canonical JSON (RFC 8785: keys by UTF-16 code units, ECMAScript numbers) -------------

def es_number(x):
    """A double as ECMAScript's Number.prototype.toString writes it (RFC 8785 section 3.2.2.3)."""
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    r = repr(abs(x))
    mantissa, _, exp = r.partition("e")
    whole, _, frac = mantissa.partition(".")
    if frac == "0":
        frac = ""
    digits = (whole + frac).lstrip("0")
    e10 = (int(exp) if exp else 0) - len(frac)
    stripped = digits.rstrip("0")
    e10 += len(digits) - len(stripped)
    digits = stripped
    k = len(digits)
    n = e10 + k
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        head = digits[0] + ("." + digits[1:] if k > 1 else "")
        out = head + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + out


def _key_order(k):
    return k.encode("utf-16-be")


def _write(v, out, indent, depth):
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif type(v) is int:
        out.append(str(v))
    elif type(v) is float:
        out.append(es_number(v))
    elif isinstance(v, str):
        out.append(json.dumps(v, ensure_ascii=False))
    elif isinstance(v, list):
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(",")
            if indent:
                out.append("\n" + " " * (indent * (depth + 1)))
            _write(x, out, indent, depth + 1)
        if v and indent:
            out.append("\n" + " " * (indent * depth))
        out.append("]")
    elif isinstance(v, dict):
        out.append("{")
        for i, k in enumerate(sorted(v, key=_key_order)):
            if i:
                out.append(",")
            if indent:
                out.append("\n" + " " * (indent * (depth + 1)))
            out.append(json.dumps(k, ensure_ascii=False))
            out.append(": " if indent else ":")
            _write(v[k], out, indent, depth + 1)
        if v and indent:
            out.append("\n" + " " * (indent * depth))
        out.append("}")
    else:
        raise TypeError("not JSON: %r" % (v,))


def canonical(value):
    out = []
    _write(value, out, 0, 0)
    return "".join(out).encode("utf-8")


def canonical_pretty(value):
    out = []
    _write(value, out, 2, 0)
    return ("".join(out) + "\n").encode("utf-8")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# --- The store's layout ------------------------------------------------------------------

ROOT_FILES = ("driftgate.pub", "verify_evidence.py")
TEMPORARY = "a temporary file of a writer that stopped before it finished (not evidence)"
COMPONENT = re.compile(r"[A-Za-z0-9._-]{1,128}\Z")
SHA256_HEX = re.compile(r"[0-9a-f]{64}\Z")
UTC_SECOND = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")
DIGITS = re.compile(r"[0-9]+\Z")


def valid_component(s):
    return isinstance(s, str) and COMPONENT.match(s) is not None and not s.startswith(".")


def is_temporary(key):
    name = key.rsplit("/", 1)[-1]
    return name.startswith(".") and name.endswith(".tmp")


def safe_key(key):
    return (isinstance(key, str) and key != "" and "\\" not in key
            and all(s not in ("", ".", "..") for s in key.split("/")))


def is_sha256(v):
    return isinstance(v, str) and SHA256_HEX.match(v) is not None


def chain_sequence(name):
    if not name.endswith(".json"):
        return None
    digits = name[:-5]
    if len(digits) != 10 or not DIGITS.match(digits):
        return None
    n = int(digits)
    return n if n >= 1 else None


def is_day(y, m, d):
    if not (len(y) == 4 and DIGITS.match(y) and len(m) == 2 and DIGITS.match(m) and len(d) == 2 and DIGITS.match(d)):
        return False
    try:
        datetime.date(int(y), int(m), int(d))
        return True
    except ValueError:
        return False


def place(stream, key):
    """('lock'|'temporary'|'chain'|'log'|'package'|'extra', detail) of a key of a stream."""
    rel = key[len(stream) + 1:]
    if is_temporary(rel):
        return ("temporary", None)
    parts = rel.split("/")
    if parts == [".lock"] or (parts == ["pull", ".lock"] and stream.endswith(".audit")):
        return ("lock", None)
    if parts[0] == "chain":
        return ("chain", chain_sequence(parts[1]) if len(parts) == 2 else None)
    if len(parts) == 2 and parts[0] == "alerts" and parts[1].endswith(".json") and not parts[1].startswith("."):
        return ("log", None)
    if len(parts) == 2 and parts[0] == "checkpoints" and stream.endswith(".audit") and chain_sequence(parts[1]):
        return ("log", None)
    if len(parts) >= 5 and is_day(parts[0], parts[1], parts[2]) and valid_component(parts[3]):
        return ("package", "/".join([stream] + parts[:4]))
    return ("extra", None)


class Unreadable(Exception):
    pass


def _lossy(name):
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def walk(root):
    """(regular file keys, [(key, 'symlink'|'not_a_file')]); links are never followed."""
    keys, irregular = [], []
    def fail(e):
        raise Unreadable("cannot read %s: %s" % (e.filename, e.strerror))

    for dirpath, dirnames, filenames in os.walk(root, onerror=fail):
        rel_dir = os.path.relpath(dirpath, root)
        prefix = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        for d in list(dirnames):
            if os.path.islink(os.path.join(dirpath, d)):
                irregular.append((_lossy(prefix + d), "symlink"))
                dirnames.remove(d)
        for name in filenames:
            key = _lossy(prefix + name)
            mode = os.lstat(os.path.join(dirpath, name)).st_mode
            if stat.S_ISLNK(mode):
                irregular.append((key, "symlink"))
            elif not stat.S_ISREG(mode):
                irregular.append((key, "not_a_file"))
            else:
                keys.append(key)
    return sorted(keys), sorted(irregular)


def read(root, key):
    path = os.path.join(root, *key.split("/"))
    try:
        if os.path.isdir(path):
            return None
        with open(path, "rb") as f:
            return f.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    except OSError as e:
        raise Unreadable("cannot read %s: %s" % (path, e))


# --- Documents ---------------------------------------------------------------------------

def parse_chain_entry(data):
    v = strict_json(data)
    if not isinstance(v, dict) or len(v) != 4:
        return None
    ok = (is_u64(v.get("sequence")) and v["sequence"] >= 1 and isinstance(v.get("run_id"), str)
          and safe_key(v.get("manifest")) and is_sha256(v.get("manifest_sha256")))
    if not ok or canonical_pretty(v) != data:
        return None
    return v


def files_ok(v):
    return isinstance(v, list) and all(
        isinstance(f, dict) and len(f) == 3 and safe_key(f.get("path")) and isinstance(f.get("sha256"), str)
        and is_u64(f.get("bytes")) for f in v)


def abandoned_ok(v):
    return isinstance(v, list) and all(
        isinstance(d, dict) and len(d) == 2 and safe_key(d.get("dir")) and files_ok(d.get("files")) for d in v)


MANIFEST_FIELDS = (
    "manifest_version", "collection_id", "run_id", "tenant", "platform", "sequence", "created_at", "files",
    "previous_manifest_sha256", "collector", "tool", "endpoints", "record_counts", "snapshot_sha256",
    "policy_bundle_sha256", "policy_bundle_revision", "baseline_sha256", "retention_until", "storage", "verifier_sha256", "forensic",
    "abandoned", "signing_key_fingerprint", "signature",
)


def parse_manifest(data):
    m = strict_json(data)
    if not isinstance(m, dict):
        return None
    strings = ("collection_id", "run_id", "tenant", "platform", "snapshot_sha256", "policy_bundle_sha256",
               "retention_until", "verifier_sha256", "signing_key_fingerprint", "signature")
    storage = m.get("storage")
    counts = m.get("record_counts")
    ok = (is_u64(m.get("manifest_version")) and m["manifest_version"] == 1
          and all(isinstance(m.get(k), str) for k in strings)
          and is_u64(m.get("sequence")) and m["sequence"] >= 1
          and isinstance(m.get("created_at"), str) and UTC_SECOND.match(m["created_at"]) is not None
          and files_ok(m.get("files"))
          and all(k in m and (m[k] is None or isinstance(m[k], str)) for k in ("previous_manifest_sha256", "baseline_sha256"))
          and all(k in m for k in ("collector", "tool", "endpoints"))
          and isinstance(counts, dict) and all(is_u64(c) for c in counts.values())
          and isinstance(storage, dict) and len(storage) == 3 and isinstance(storage.get("kind"), str)
          and isinstance(storage.get("lock_mode"), str) and type(storage.get("legal_hold")) is bool
          and ("abandoned" not in m or abandoned_ok(m["abandoned"]))
          and ("policy_bundle_revision" not in m or isinstance(m["policy_bundle_revision"], str))
          and all(k in MANIFEST_FIELDS for k in m))
    return m if ok else None


def in_place(stream, manifest_key, m):
    c = m["created_at"]
    day = "%s/%s/%s/%s/" % (stream, c[0:4], c[5:7], c[8:10])
    if not (manifest_key.startswith(day) and manifest_key.endswith("/manifest.json")):
        return False
    name = manifest_key[len(day):-len("/manifest.json")]
    cid = m["collection_id"]
    if not valid_component(cid):
        return False
    if name == cid:
        return True
    if not name.startswith(cid + "."):
        return False
    n = name[len(cid) + 1:]
    return DIGITS.match(n) is not None and not n.startswith("0") and 2 <= int(n) < 2 ** 32


def parse_witness_line(line):
    v = strict_json(line)
    if not isinstance(v, dict) or len(v) != 5:
        return None
    ok = (valid_component(v.get("stream")) and is_u64(v.get("sequence")) and v["sequence"] >= 1
          and is_sha256(v.get("manifest_sha256")) and isinstance(v.get("created_at"), str)
          and isinstance(v.get("signature"), str))
    return v if ok else None


def check_custody(custody, index, files):
    """A forensic package's chain of custody, against its artifact index and manifest."""
    problems = []
    entries = []
    prev = None
    lines = [l for l in custody.split(b"\n") if l]
    for i, line in enumerate(lines):
        e = strict_json(line)
        if e is None:
            problems.append(("custody_chain", "entry %d is not JSON" % (i + 1)))
            return problems
        if not (is_u64(field(e, "seq")) and field(e, "seq") == i + 1):
            problems.append(("custody_chain", "entry %d has seq %s" % (i + 1, field(e, "seq"))))
        if not same(field(e, "prev_sha256"), prev):
            problems.append(("custody_chain", "entry %d does not link to the entry before it" % (i + 1)))
        prev = sha256(line)
        entries.append(e)
    if not entries or not same(field(entries[0], "action"), "opened"):
        problems.append(("custody_chain", "the log does not start with `opened`"))
    idx = strict_json(index)
    if idx is None:
        problems.append(("custody_mismatch", "artifacts.json is not JSON"))
        return problems
    artifacts = field(idx, "artifacts")
    artifacts = artifacts if isinstance(artifacts, list) else []
    last = entries[-1] if entries else None
    n = field(last, "artifacts")
    if not (same(field(last, "action"), "sealed") and is_u64(n) and n == len(artifacts)):
        problems.append(("custody_chain", "the log does not end with `sealed` over every artifact"))

    def find(action, name):
        for e in entries:
            if same(field(e, "action"), action) and same(field(e, "artifact"), name):
                return e
        return None

    for a in artifacts:
        name = field(a, "artifact") if isinstance(field(a, "artifact"), str) else ""
        e = find("received", name)
        if e is None or not same(field(e, "sha256"), field(a, "sha256")):
            problems.append(("custody_mismatch", "%s: no custody record of its receipt with its hash" % name))
        if field(a, "encrypted") is True:
            e = find("encrypted", name)
            if (e is None or not same(field(e, "sha256_plaintext"), field(a, "sha256"))
                    or not same(field(e, "sha256_ciphertext"), field(a, "sha256_stored"))):
                problems.append(("custody_mismatch", "%s: no custody record of its encryption with both hashes" % name))
        stored = field(a, "stored_as") if isinstance(field(a, "stored_as"), str) else ""
        f = [f for f in files if f["path"] == stored]
        if not f or not same(field(a, "sha256_stored"), f[0]["sha256"]):
            problems.append(("custody_mismatch", "%s: the manifest does not list it with the indexed hash" % stored))
    for e in entries:
        if same(field(e, "action"), "received") and not any(same(field(a, "artifact"), field(e, "artifact")) for a in artifacts):
            problems.append(("custody_mismatch", "%s: received but not in the package" % json.dumps(field(e, "artifact"))))
    return problems


def parse_public_key(text):
    text = text.strip()
    if not text.startswith("ed25519:"):
        return None
    raw = strict_b64(text[len("ed25519:"):], 32)
    # A key that is not a point on the curve is no key at all.
    return raw if raw is not None and _decompress(raw) is not None else None


# --- Verification ------------------------------------------------------------------------

class Verifier:
    def __init__(self, root):
        self.root = root
        self.key = None
        self.pinned = False
        self.problems = []
        self.tenants = []
        self.chains = {}
        self.witness_heads = None

    def error(self, code, tenant, subject, detail):
        self.problems.append(("error", code, tenant, subject, detail))

    def warning(self, code, tenant, subject, detail):
        self.problems.append(("warning", code, tenant, subject, detail))

    def signature_ok(self, manifest):
        if self.key is None or manifest.get("signing_key_fingerprint") != sha256(self.key):
            return False
        sig = strict_b64(manifest.get("signature"), 64)
        if sig is None:
            return False
        unsigned = {k: v for k, v in manifest.items() if k != "signature"}
        return ed25519_verify(self.key, canonical(unsigned), sig)

    def record_signature_ok(self, record):
        sig = strict_b64(record.get("signature"), 64)
        if sig is None:
            return False
        unsigned = {k: v for k, v in record.items() if k != "signature"}
        return ed25519_verify(self.key, canonical(unsigned), sig)

    def trust(self, pinned_key, fingerprint):
        published = read(self.root, "driftgate.pub")
        stored = None
        if published is not None:
            try:
                stored = parse_public_key(published.decode("utf-8"))
            except UnicodeDecodeError:
                stored = None
        if pinned_key is not None:
            self.key, self.pinned = pinned_key, True
            if published is not None and stored != pinned_key:
                self.error("key_mismatch", "-", "driftgate.pub", "the store publishes another key than the pinned one")
            return
        if fingerprint is not None:
            self.pinned = True
            if stored is not None and sha256(stored) == fingerprint:
                self.key = stored
            elif published is not None:
                self.error("key_mismatch", "-", "driftgate.pub", "the store's key does not have the pinned fingerprint")
            else:
                self.error("no_public_key", "-", "driftgate.pub", "no public key to check signatures with (give --public-key)")
            return
        self.key = stored
        if stored is None:
            self.error("no_public_key", "-", "driftgate.pub", "no public key to check signatures with (give --public-key)")

    def classify_unchained(self, tenant, k, head, chained_shas):
        # A copy of a chained manifest is a replay; a validly signed manifest whose sequence
        # another run committed lost the race (warning); anything else is an error.
        data = read(self.root, k) or b""
        if sha256(data) in chained_shas:
            self.error("replayed_manifest", tenant, k, "a copy of a manifest that is already in the chain")
            return
        m = parse_manifest(data)
        if m is not None and m["sequence"] <= head and self.signature_ok(m):
            self.warning("lost_race", tenant, k, "a run that lost the race for its sequence to another run; not part of the chain")
        else:
            self.error("unchained_manifest", tenant, k, "a manifest no chain entry refers to (fork, replay, or tampering)")

    def check_files(self, tenant, directory, files, stored):
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
        for k in stored:
            if k not in listed and not is_temporary(k):
                self.error("extra_file", tenant, k, "stored in the package but not listed in its manifest")

    def verify_stream(self, stream, keys, script, date_range):
        entries = {}
        packages = {}
        for k in keys:
            kind, detail = place(stream, k)
            if kind == "lock":
                continue
            if kind == "log":
                data = read(self.root, k)
                v = strict_json(data)
                sound = (isinstance(v, dict) and isinstance(v.get("signature"), str) and canonical_pretty(v) == data
                         and (self.key is None or self.record_signature_ok(v)))
                if not sound:
                    self.error("bad_record", stream, k, "not a record signed with the store's key")
                continue
            if kind == "temporary":
                self.warning("incomplete_package", stream, k, TEMPORARY)
            elif kind == "extra":
                self.error("extra_file", stream, k, "a file the store's layout has no place for")
            elif kind == "package":
                packages.setdefault(detail, []).append(k)
            elif detail is None:
                self.error("bad_chain_entry", stream, k, "not a chain entry's name")
            else:
                entry = parse_chain_entry(read(self.root, k))
                if entry is None:
                    self.error("bad_chain_entry", stream, k, "not a chain entry")
                elif entry["sequence"] != detail:
                    self.error("sequence_mismatch", stream, "seq %d" % detail, "chain entry %s says sequence %s" % (k, entry["sequence"]))
                else:
                    entries[detail] = entry
        self.chains[stream] = entries
        head = max(entries) if entries else 0
        for s in range(1, head + 1):
            if s not in entries:
                self.error("gap", stream, "seq %d" % s, "chain entry missing: a run was deleted or never committed")
        previous = None
        chained, chained_shas, days, abandoned = set(), set(), set(), {}
        head_created = None
        for seq in sorted(entries):
            entry = entries[seq]
            chained.add(entry["manifest"])
            subject = "seq %d" % seq
            data = read(self.root, entry["manifest"])
            if data is None:
                self.error("missing_manifest", stream, subject, "%s is missing" % entry["manifest"])
                previous = None
                continue
            digest = sha256(data)
            chained_shas.add(digest)
            if digest != entry["manifest_sha256"]:
                self.error("manifest_hash", stream, subject, "%s does not match its chain entry" % entry["manifest"])
            m = parse_manifest(data)
            if m is None:
                self.error("bad_manifest", stream, subject, "%s is not a manifest" % entry["manifest"])
                previous = None
                continue
            if m["sequence"] != seq:
                self.error("sequence_mismatch", stream, subject, "manifest says sequence %s (replayed or moved?)" % m["sequence"])
            if m["tenant"] != stream:
                self.error("tenant_mismatch", stream, subject, "manifest is for tenant %s" % m["tenant"])
            if m["run_id"] != entry["run_id"]:
                self.error("run_id_mismatch", stream, subject, "the chain entry names another run than the manifest")
            if not in_place(stream, entry["manifest"], m):
                self.error("moved_package", stream, subject, "%s is not where its stream, day and collection id put it" % entry["manifest"])
            if previous is not None and previous[0] + 1 == seq:
                expected, judge = previous[1], True
            elif previous is None and seq == 1:
                expected, judge = None, True
            else:
                expected, judge = None, False
            if judge and m["previous_manifest_sha256"] != expected:
                self.error("chain_link", stream, subject, "previous_manifest_sha256 does not match the previous manifest")
            if self.key is not None:
                if m["signing_key_fingerprint"] != sha256(self.key):
                    self.error("bad_signature", stream, subject, "signed by another key")
                elif not self.signature_ok(m):
                    self.error("bad_signature", stream, subject, "signature does not verify")
            if previous is not None and m["created_at"] < previous[2]:
                self.error("time_order", stream, subject, "created %s before the previous link (%s)" % (m["created_at"], previous[2]))
            days.add(m["created_at"][:10])
            if script != m["verifier_sha256"]:
                self.error("verifier_changed", stream, subject, "verify_evidence.py at the store root is not the one this manifest records")
            directory = entry["manifest"][: entry["manifest"].rfind("/") + 1]
            in_dir = [k for k in keys if k.startswith(directory) and k != entry["manifest"]]
            self.check_files(stream, directory, m["files"], in_dir)
            if any(f["path"] == "custody.jsonl" for f in m["files"]):
                custody = read(self.root, directory + "custody.jsonl") or b""
                index = read(self.root, directory + "artifacts.json") or b""
                for code, detail in check_custody(custody, index, m["files"]):
                    self.error(code, stream, directory + "custody.jsonl", detail)
            for a in m.get("abandoned") or []:
                abandoned[a["dir"]] = a["files"]
            if seq == head:
                head_created = m["created_at"]
            previous = (seq, digest, m["created_at"])
        for k in keys:
            if k.endswith("/manifest.json") and place(stream, k)[0] == "package" and k not in chained:
                self.classify_unchained(stream, k, head, chained_shas)
        for d in sorted(packages):
            files = packages[d]
            if d + "/manifest.json" in files:
                continue
            if d in abandoned:
                self.check_files(stream, d + "/", abandoned[d], files)
            else:
                self.warning("incomplete_package", stream, d, "files without a manifest: a run that stopped before it finished (not evidence)")
        if date_range:
            self.missing_days(stream, days, date_range)
        head_sha = entries[head]["manifest_sha256"] if head else None
        self.tenants.append((stream, len(entries), head, head_sha, head_created))

    def missing_days(self, stream, days, date_range):
        first, last = date_range[0].toordinal(), date_range[1].toordinal()
        covered = set()
        for d in days:
            try:
                o = datetime.date.fromisoformat(d).toordinal()
            except ValueError:
                continue
            if first <= o <= last:
                covered.add(o)

        def report(a, b):
            da, db = datetime.date.fromordinal(a).isoformat(), datetime.date.fromordinal(b).isoformat()
            self.error("missing_day", stream, "day " + da if a == b else "days %s..%s" % (da, db), "no run on this day")

        start = first
        for o in sorted(covered):
            if o > start:
                report(start, o - 1)
            start = o + 1
        if start <= last:
            report(start, last)

    def check_witness(self, data, wanted):
        heads = 0
        for i, line in enumerate(data.split(b"\n")):
            if line.strip(b" \t\n\r\x0c") == b"":
                continue
            subject = "witness line %d" % (i + 1)
            h = parse_witness_line(line)
            if h is not None and self.key is not None:
                sig = strict_b64(h["signature"], 64)
                body = {k: h[k] for k in ("stream", "sequence", "manifest_sha256", "created_at")}
                if sig is None or not ed25519_verify(self.key, canonical(body), sig):
                    h = None
            if h is None:
                self.error("bad_witness", "-", subject, "not a chain head signed with the store's key")
                continue
            heads += 1
            if not wanted(h["stream"]):
                continue
            entry = self.chains.get(h["stream"], {}).get(h["sequence"])
            if entry is None:
                self.error("missing_head", h["stream"], "seq %d" % h["sequence"],
                           "the witness recorded this head (%s); the store does not hold it" % subject)
            elif entry["manifest_sha256"] != h["manifest_sha256"]:
                self.error("head_mismatch", h["stream"], "seq %d" % h["sequence"],
                           "the store holds another manifest at this sequence than the witness recorded (%s)" % subject)
        self.witness_heads = heads

    def run(self, only_tenant, date_range, pinned_key, fingerprint, witness):
        self.trust(pinned_key, fingerprint)

        def wanted(s):
            return only_tenant is None or only_tenant == s

        keys, irregular = walk(self.root)
        streams = {}
        for k in keys:
            if "/" not in k:
                if k in ROOT_FILES:
                    continue
                if is_temporary(k):
                    self.warning("incomplete_package", "-", k, TEMPORARY)
                else:
                    self.error("extra_file", "-", k, "a file the store root does not hold")
                continue
            s = k.split("/", 1)[0]
            if not valid_component(s):
                self.error("extra_file", "-", k, "not in a stream the store holds")
            elif wanted(s):
                streams.setdefault(s, []).append(k)
        for k, kind in irregular:
            s = k.split("/", 1)[0] if "/" in k else "-"
            if s == "-" or wanted(s):
                detail = "a symbolic link: a store holds only files it wrote" if kind == "symlink" else "not a regular file"
                self.error(kind, s, k, detail)
        script = read(self.root, "verify_evidence.py")
        script = sha256(script) if script is not None else None
        for s in sorted(streams):
            self.verify_stream(s, streams[s], script, date_range)
        if only_tenant is not None and only_tenant not in streams:
            self.error("gap", only_tenant, "seq 1", "the store has no evidence for this tenant")
        if witness is not None:
            self.check_witness(witness, wanted)
        self.problems.sort()


BIDI = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _visible(c):
    if c == "\t":
        return "\\t"
    if c == "\r":
        return "\\r"
    if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in BIDI:
        return "\\u{%x}" % ord(c)
    return c


def neutralize(text):
    """Control characters (but the line feed) visible, and no line a CI log would run."""
    out = []
    for line in text.split("\n"):
        body = "".join(_visible(c) for c in line).replace("##[", "##\\[")
        stripped = body.lstrip(" \u00a0")
        if stripped.startswith("::"):
            body = body[: len(body) - len(stripped)] + "\\" + stripped
        out.append(body)
    return "\n".join(out)


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Verify a driftgate evidence store.")
    ap.add_argument("root", nargs="?", default=here)
    ap.add_argument("--tenant")
    ap.add_argument("--from", dest="date_from")
    ap.add_argument("--to", dest="date_to")
    ap.add_argument("--public-key")
    ap.add_argument("--key-fingerprint")
    ap.add_argument("--witness")
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
    if date_from is not None and date_from > date_to:
        print("--from %s is after --to %s: no day would be checked" % (date_from, date_to), file=sys.stderr)
        return 2
    if args.public_key and args.key_fingerprint:
        print("--public-key and --key-fingerprint both pin the key: give one", file=sys.stderr)
        return 2
    if not os.path.isdir(args.root):
        print("evidence store %s is not a directory" % args.root, file=sys.stderr)
        return 2
    pinned = fingerprint = witness = None
    try:
        if args.public_key:
            with open(args.public_key, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            pinned = parse_public_key(text)
            if pinned is None:
                print("%s is not a driftgate public key" % args.public_key, file=sys.stderr)
                return 2
        if args.key_fingerprint:
            fingerprint = args.key_fingerprint.strip()
            if fingerprint.startswith("SHA256:"):
                fingerprint = fingerprint[len("SHA256:"):]
            fingerprint = fingerprint.lower()
            if not SHA256_HEX.match(fingerprint):
                print("--key-fingerprint %r is not a SHA-256 fingerprint" % args.key_fingerprint, file=sys.stderr)
                return 2
        if args.witness:
            with open(args.witness, "rb") as f:
                witness = f.read()
        v = Verifier(args.root)
        v.run(args.tenant, (date_from, date_to) if date_from else None, pinned, fingerprint, witness)
    except (OSError, Unreadable) as e:
        print("cannot verify: %s" % e, file=sys.stderr)
        return 2
    errors = [p for p in v.problems if p[0] == "error"]
    fp = sha256(v.key) if v.key else None
    if args.json:
        print(json.dumps({
            "public_key": fp,
            "key_pinned": v.pinned,
            "tenants": [{"tenant": t, "packages": n, "head": h, "head_manifest_sha256": s, "head_created_at": c}
                        for t, n, h, s, c in v.tenants],
            "witness_heads": v.witness_heads,
            "problems": [dict(zip(("severity", "code", "tenant", "subject", "detail"), p)) for p in v.problems],
            "ok": not errors,
        }, indent=2))
    else:
        trust = "pinned" if v.pinned else "taken from the store, not pinned"
        lines = ["driftgate evidence verify: %s (public key sha256 %s, %s)" % (args.root, fp or "none", trust)]
        for t, n, h, s, c in v.tenants:
            line = "tenant %s: %d package(s), head %d" % (t, n, h)
            if s:
                line += " (manifest sha256 %s, created %s)" % (s, c or "?")
            lines.append(line)
        if v.witness_heads is not None:
            lines.append("witness: %d head(s) checked" % v.witness_heads)
        for severity, code, tenant, subject, detail in v.problems:
            lines.append("%s %s %s %s: %s" % (severity.upper(), code, tenant, subject, detail))
        if errors:
            lines.append("VERDICT: FAIL (%d problem(s))" % len(errors))
        else:
            lines.append("VERDICT: OK (%d package(s) in %d tenant(s) verified)" % (sum(t[1] for t in v.tenants), len(v.tenants)))
        print(neutralize("\n".join(lines)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
