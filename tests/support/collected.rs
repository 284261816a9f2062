//! What the collector tests share: running `driftgate collect` into a temporary file, and
//! comparing the snapshot it wrote with the emulator's tenant after normalization.

use super::genesys::Emulator;
use driftgate::catalog::Catalog;
use driftgate::normalize::{configuration_digest, normalize};
use driftgate::snapshot::Snapshot;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One `collect` run.
pub struct Run {
    pub code: i32,
    pub stderr: String,
    pub snapshot: Option<Value>,
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

/// Runs `cmd` (a `collect` without `-o`) writing to a fresh temporary file.
pub fn run(mut cmd: assert_cmd::Command) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.json");
    let out = cmd.arg("-o").arg(&path).timeout(Duration::from_secs(180)).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let snapshot = std::fs::read_to_string(&path).ok().map(|t| serde_json::from_str(&t).unwrap());
    Run { code: out.status.code().unwrap_or(-1), stderr, snapshot, path, _dir: dir }
}

/// The configuration digest of a snapshot document, normalized with its platform's catalog.
pub fn digest(doc: &Value) -> String {
    let text = serde_json::to_string(doc).unwrap();
    let s = Snapshot::from_json_text(Path::new("doc"), &text).unwrap();
    let catalog = Catalog::built_in().unwrap();
    let platform = s.metadata.platform.clone();
    configuration_digest(&normalize(s, catalog.platform(&platform).unwrap()))
}

/// The collection equals the emulator's tenant, type by type and after normalization.
pub fn assert_complete(run: &Run, emu: &Emulator, tenant: &str) {
    assert_eq!(run.code, 0, "collect failed:\n{}", run.stderr);
    let got = run.snapshot.as_ref().expect("a snapshot was written");
    let want = emu.truth(tenant);
    for (rtype, items) in want["resources"].as_object().unwrap() {
        assert_eq!(
            got["resources"][rtype].as_array().map(Vec::len),
            Some(items.as_array().unwrap().len()),
            "{rtype} count"
        );
    }
    assert_eq!(digest(got), digest(&want), "the normalized collection differs from the tenant");
}
