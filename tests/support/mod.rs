//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod collected;
pub mod cxone;
pub mod genesys;
pub mod http;
pub mod moto;
pub mod tenant;

use assert_cmd::Command;
use driftgate::evidence::store::{Created, LocalStore, Store};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The repository root (tests run the binary from here, as a user would).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `driftgate` with the repository root as working directory.
pub fn driftgate() -> Command {
    let mut c = Command::cargo_bin("driftgate").expect("binary built");
    c.current_dir(root());
    c
}

pub const APPROVED: &str = "examples/genesys/acme-corp.approved.json";
pub const DRIFTED: &str = "examples/genesys/acme-corp.drifted.json";

/// Reads a JSON file under the repository root.
pub fn read_json(rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(rel)).unwrap()).unwrap()
}

/// Writes `doc` as `name` in `dir` and returns its path.
pub fn write_json(dir: &Path, name: &str, doc: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(doc).unwrap()).unwrap();
    p
}

/// A minimal Genesys snapshot of `resources`.
pub fn snapshot(tenant: &str, resources: Value) -> Value {
    json!({
        "format": "driftgate.snapshot/v1",
        "metadata": {"platform": "genesys-cloud", "tenant": tenant, "collected_at": "2026-11-22T08:00:00Z"},
        "resources": resources
    })
}

/// Runs `check ... --format json` and returns (exit code, report).
pub fn check_json(args: &[&str]) -> (i32, Value) {
    let out = driftgate().arg("check").args(args).args(["--format", "json"]).output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not a report ({e}); exit {code}\nstdout: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, report)
}

/// The status of control `id` in a report.
pub fn control_status(report: &Value, id: &str) -> String {
    report["controls"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no control {id}"))
        ["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The ids of the rules that produced findings.
pub fn finding_ids(report: &Value) -> Vec<String> {
    report["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect()
}

/// A temporary git repository with one commit of `files` (path, content).
pub fn git_repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git").current_dir(d.path()).args(args).output().unwrap().status.success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["config", "user.email", "t@example.com"]);
    git(&["config", "user.name", "t"]);
    git(&["config", "commit.gpgsign", "false"]);
    for (p, c) in files {
        let path = d.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, c).unwrap();
    }
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "baseline"]);
    d
}

/// A store that dies (returns an error, writing nothing) at its `fail_at`-th write.
pub struct Crashing {
    inner: LocalStore,
    fail_at: usize,
    writes: std::cell::Cell<usize>,
}

impl Crashing {
    pub fn new(root: &Path, fail_at: usize) -> Crashing {
        Crashing { inner: LocalStore::new(root), fail_at, writes: Default::default() }
    }

    /// Writes attempted so far.
    pub fn writes(&self) -> usize {
        self.writes.get()
    }
}

impl Store for Crashing {
    fn info(&self) -> driftgate::evidence::manifest::StorageInfo {
        self.inner.info()
    }
    fn location(&self) -> String {
        self.inner.location()
    }
    fn lock(&self, tenant: &str) -> driftgate::Result<Box<dyn std::any::Any>> {
        self.inner.lock(tenant)
    }
    fn create(&self, key: &str, bytes: &[u8], retain: &str) -> driftgate::Result<Created> {
        self.writes.set(self.writes.get() + 1);
        if self.writes.get() == self.fail_at {
            return Err(driftgate::Error::Usage { message: "simulated crash".into(), help: None });
        }
        self.inner.create(key, bytes, retain)
    }
    fn get(&self, key: &str) -> driftgate::Result<Option<Vec<u8>>> {
        self.inner.get(key)
    }
    fn list(&self, prefix: &str) -> driftgate::Result<Vec<String>> {
        self.inner.list(prefix)
    }
    fn versions(&self, key: &str) -> driftgate::Result<usize> {
        self.inner.versions(key)
    }
}

/// A verifier's verdict: whether the store holds, and each problem as (severity, code,
/// stream, subject).
pub type Verdict = (bool, Vec<(String, String, String, String)>);

/// The Rust verifier's verdict on the local store at `root`.
pub fn rust_verdict_of(root: &Path, opts: &driftgate::evidence::VerifyOptions) -> Verdict {
    let r = driftgate::evidence::verify_store(&LocalStore::new(root), opts).unwrap();
    let problems = r
        .problems
        .iter()
        .map(|p| (p.severity.to_string(), p.code.to_string(), p.tenant.clone(), p.subject.clone()))
        .collect();
    (r.ok(), problems)
}

/// Runs the standalone Python verifier (`--json`) as `cmd` describes and reads its verdict;
/// it must exit 0 when the store holds and 1 when it does not, and write nothing to stderr.
pub fn python_verdict_of(mut cmd: std::process::Command) -> Verdict {
    let out = cmd.arg("--json").output().expect("python3 runs");
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: the Python verifier failed: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(out.stderr.is_empty(), "the Python verifier wrote to stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(if v["ok"] == true { 0 } else { 1 }));
    let problems = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap().to_string();
            (s("severity"), s("code"), s("tenant"), s("subject"))
        })
        .collect();
    (v["ok"] == true, problems)
}

/// Makes a read-only evidence file writable again (to tamper with it in a test).
pub fn writable(path: &Path) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).unwrap();
}

/// Copies a directory tree (lock and temporary files, which start with a dot, left out).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else if !e.file_name().to_string_lossy().starts_with('.') {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Every file under `dir` (dot files left out), recursively; nothing when it does not exist.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if !p.file_name().unwrap().to_string_lossy().starts_with('.') {
                out.push(p);
            }
        }
    }
    out
}

/// Writes `dir/driftgate.toml`: a local store at `store` (relative to `dir` or absolute), the
/// demo signing key, the bundled policies and baselines, then `rest` (tenants, audit, ...).
pub fn write_config(dir: &Path, store: &str, rest: &str) -> PathBuf {
    let root = root();
    let text = format!(
        "[store]\nkind = \"local\"\npath = \"{store}\"\n\n[signing]\nkey_file = \"{key}\"\n\n\
         [check]\npolicies = \"{root}/policies\"\nbaselines = \"{root}/baselines\"\n\n{rest}",
        key = root.join("examples/keys/demo.key").display(),
        root = root.display(),
    );
    let p = dir.join("driftgate.toml");
    std::fs::write(&p, text).unwrap();
    p
}
