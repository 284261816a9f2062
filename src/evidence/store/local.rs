//! `local`: a directory. Every file is written to a temporary name, fsynced, linked to its
//! final name (which fails if the name exists, so nothing is ever overwritten), made
//! read-only, and its directory fsynced. A file lock serializes the runs of one tenant.

use super::{Created, Store};
use crate::error::{Error, Result};
use crate::evidence::manifest::StorageInfo;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A local directory store.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// A store rooted at `root` (created when written to).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalStore { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> Result<PathBuf> {
        if key.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..") || key.starts_with('/') {
            return Err(Error::Store { message: format!("invalid store key {key:?}"), help: None });
        }
        Ok(self.root.join(key))
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write { path: path.to_path_buf(), source }
}

impl Store for LocalStore {
    fn info(&self) -> StorageInfo {
        StorageInfo { kind: "local".into(), lock_mode: "read-only-files".into(), legal_hold: false }
    }

    fn location(&self) -> String {
        self.root.display().to_string()
    }

    fn lock(&self, tenant: &str) -> Result<Box<dyn std::any::Any>> {
        let dir = self.path(tenant)?;
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = dir.join(".lock");
        let file =
            std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(io(&path))?;
        file.lock().map_err(io(&path))?;
        // Holding the stream's lock, any temporary file in it belongs to a writer that died:
        // it never became evidence, and goes.
        for key in self.list(tenant)?.into_iter().filter(|k| super::is_temporary(k)) {
            let _ = std::fs::remove_file(self.root.join(&key));
        }
        self.remove_dead_root_temporaries();
        Ok(Box::new(file))
    }

    fn create(&self, key: &str, bytes: &[u8], _retain_until: &str) -> Result<Created> {
        let path = self.path(key)?;
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        if path.exists() {
            return Ok(Created::Exists);
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).and_then(|_| f.sync_all()).map_err(io(&tmp))?;
        drop(f);
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(Created::Exists),
            Err(e) => return Err(io(&path)(e)),
        }
        let mut perms = std::fs::metadata(&path).map_err(io(&path))?.permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(&path, perms).map_err(io(&path))?;
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(Created::Written)
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path(key)?;
        if path.is_dir() {
            return Ok(None); // a directory where an object should be: the object is absent
        }
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => Ok(None),
            Err(source) => Err(Error::Read { path, source }),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let mut keys: Vec<String> =
            self.walk(prefix)?.into_iter().filter(|(_, kind)| kind.is_none()).map(|(k, _)| k).collect();
        keys.sort();
        Ok(keys)
    }

    fn versions(&self, key: &str) -> Result<usize> {
        Ok(usize::from(self.path(key)?.is_file()))
    }

    fn irregular(&self) -> Result<Vec<(String, &'static str)>> {
        let mut out: Vec<(String, &'static str)> =
            self.walk("")?.into_iter().filter_map(|(k, kind)| kind.map(|kind| (k, kind))).collect();
        out.sort();
        Ok(out)
    }

    fn discard(&self, keys: &[String]) -> Result<()> {
        for key in keys {
            let path = self.path(key)?;
            let _ = std::fs::remove_file(&path);
            // And the directories the package made, up to the stream's own.
            let mut dir = path.parent().map(Path::to_path_buf);
            while let Some(d) = dir.filter(|d| d.strip_prefix(&self.root).is_ok_and(|r| r.components().count() > 1)) {
                if std::fs::remove_dir(&d).is_err() {
                    break;
                }
                dir = d.parent().map(Path::to_path_buf);
            }
        }
        Ok(())
    }
}

impl LocalStore {
    /// Every entry below `prefix` that is not a directory, without following links: regular
    /// files with `None`, anything else with what it is (a link is never followed, so a
    /// linked directory is reported and not entered).
    fn walk(&self, prefix: &str) -> Result<Vec<(String, Option<&'static str>)>> {
        let start = if prefix.is_empty() { self.root.clone() } else { self.path(prefix.trim_end_matches('/'))? };
        let mut out = Vec::new();
        if !start.symlink_metadata().is_ok_and(|m| m.is_dir()) {
            return Ok(out);
        }
        let mut stack = vec![start];
        while let Some(d) = stack.pop() {
            let entries = std::fs::read_dir(&d).map_err(|source| Error::Read { path: d.clone(), source })?;
            for entry in entries {
                let entry = entry.map_err(|source| Error::Read { path: d.clone(), source })?;
                let path = entry.path();
                let ft = entry.file_type().map_err(|source| Error::Read { path: path.clone(), source })?;
                if ft.is_dir() {
                    stack.push(path);
                    continue;
                }
                let Ok(rel) = path.strip_prefix(&self.root) else { continue };
                let key = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect::<Vec<_>>().join("/");
                let kind = if ft.is_symlink() {
                    Some("symlink")
                } else if ft.is_file() {
                    None
                } else {
                    Some("not_a_file")
                };
                out.push((key, kind));
            }
        }
        Ok(out)
    }

    /// Temporary files at the root (the public key, the verifier) whose writer is gone.
    fn remove_dead_root_temporaries(&self) {
        let Ok(entries) = std::fs::read_dir(&self.root) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !super::is_temporary(&name) {
                continue;
            }
            let pid = name.trim_end_matches(".tmp").rsplit('.').next().and_then(|p| p.parse::<u32>().ok());
            let alive = pid.is_some_and(|p| p == std::process::id() || Path::new(&format!("/proc/{p}")).exists());
            if !alive {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_never_overwrites_and_makes_files_read_only() {
        let d = tempfile::tempdir().unwrap();
        let s = LocalStore::new(d.path());
        assert_eq!(s.create("t/a/x.json", b"one", "").unwrap(), Created::Written);
        assert_eq!(s.create("t/a/x.json", b"two", "").unwrap(), Created::Exists);
        assert_eq!(s.get("t/a/x.json").unwrap().unwrap(), b"one");
        assert!(std::fs::metadata(d.path().join("t/a/x.json")).unwrap().permissions().readonly());
        assert_eq!(s.list("t").unwrap(), vec!["t/a/x.json"]);
        assert!(s.create("../escape", b"x", "").is_err());
    }
}
