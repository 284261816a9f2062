"""Signed OPA bundles, done independently of driftgate: keys and digests with Python's
`cryptography` and `json`, JWS signing and verification by real OPA (its io.jwt builtins,
through the opa-golib-python-bindings wheel).

    python3 bundle_sign.py OPA_LIB keys DIR
        writes DIR/rsa.key, DIR/rsa.pub, DIR/ec.key, DIR/ec.pub (PEM)
    python3 bundle_sign.py OPA_LIB check TARBALL RSA_PUB
        checks the tarball's .signatures.json: the RS256 signature under RSA_PUB by OPA's
        io.jwt.verify_rs256 and by `cryptography`, and every file's digest as OPA defines it
        (structured documents compact with sorted keys, others byte for byte); prints JSON
    python3 bundle_sign.py OPA_LIB opa-sign TARBALL OUT EC_KEY SCOPE
        writes OUT: TARBALL's files and a .signatures.json whose ES256 JWT real OPA signed
        (io.jwt.encode_sign) over the digests computed here
"""
import base64
import hashlib
import io
import json
import os
import sys
import tarfile

sys.path.insert(0, sys.argv[1])
from opa_bindings import OpaEngine  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: E402

STRUCTURED = {"data.json", "data.yaml", ".manifest"}


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def digest(name, raw):
    if os.path.basename(name) in STRUCTURED:
        doc = json.loads(raw)
        raw = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest()


def read_tar(path):
    files = {}
    with tarfile.open(path, "r:gz") as t:
        for m in t.getmembers():
            if m.isfile():
                files[m.name.lstrip("/")] = t.extractfile(m).read()
    return files


def keys(out):
    r = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    e = ec.generate_private_key(ec.SECP256R1())
    for name, k in (("rsa", r), ("ec", e)):
        with open(os.path.join(out, name + ".key"), "wb") as f:
            f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
        with open(os.path.join(out, name + ".pub"), "wb") as f:
            f.write(k.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo))


def check(tarball, pub_path):
    files = read_tar(tarball)
    token = json.loads(files.pop(".signatures.json"))["signatures"][0]
    pem = open(pub_path).read()
    e = OpaEngine()
    e.add_policy("v.rego", "package v\n\nok := io.jwt.verify_rs256(input.token, input.pem)\n"
                           "header := io.jwt.decode(input.token)[0]\npayload := io.jwt.decode(input.token)[1]\n")
    opa = e.eval_document("v", input={"token": token, "pem": pem})
    h, p, s = token.split(".")
    pub = serialization.load_pem_public_key(pem.encode())
    try:
        pub.verify(unb64url(s), f"{h}.{p}".encode(), padding.PKCS1v15(), hashes.SHA256())
        crypto_ok = True
    except Exception:  # noqa: BLE001
        crypto_ok = False
    payload = json.loads(unb64url(p))
    signed = {f["name"]: f for f in payload["files"]}
    digests_ok = sorted(signed) == sorted(files) and all(
        signed[n]["algorithm"] == "SHA-256" and signed[n]["hash"] == digest(n, raw) for n, raw in files.items())
    print(json.dumps({"opa_verified": opa["ok"], "opa_header": opa["header"], "cryptography_verified": crypto_ok,
                      "digests_ok": digests_ok, "files": len(files), "scope": payload.get("scope")}))


def opa_sign(tarball, out, key_path, scope):
    files = read_tar(tarball)
    files.pop(".signatures.json", None)
    k = serialization.load_pem_private_key(open(key_path, "rb").read(), password=None)
    nums = k.private_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "d": b64url(nums.private_value.to_bytes(32, "big")),
           "x": b64url(nums.public_numbers.x.to_bytes(32, "big")),
           "y": b64url(nums.public_numbers.y.to_bytes(32, "big"))}
    payload = {"files": [{"name": n, "hash": digest(n, raw), "algorithm": "SHA-256"} for n, raw in sorted(files.items())],
               "scope": scope}
    e = OpaEngine()
    e.add_policy("s.rego", "package s\n\ntoken := io.jwt.encode_sign({\"alg\": \"ES256\"}, input.payload, input.jwk)\n")
    token = e.eval_document("s.token", input={"payload": payload, "jwk": jwk})
    files[".signatures.json"] = json.dumps({"signatures": [token]}).encode()
    with tarfile.open(out, "w:gz") as t:
        for n, raw in sorted(files.items()):
            info = tarfile.TarInfo("/" + n)  # as `opa build` names them
            info.size = len(raw)
            t.addfile(info, io.BytesIO(raw))


cmd = sys.argv[2]
if cmd == "keys":
    keys(sys.argv[3])
elif cmd == "check":
    check(sys.argv[3], sys.argv[4])
elif cmd == "opa-sign":
    opa_sign(sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6])
else:
    sys.exit(f"unknown command {cmd}")
