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
            return Err(Error::Usage { message: format!("invalid store key {key:?}"), help: None });
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
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Read { path, source }),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let start = if prefix.is_empty() { self.root.clone() } else { self.path(prefix.trim_end_matches('/'))? };
        if !start.is_dir() {
            return Ok(Vec::new());
        }
        let files = crate::input::walk_files(&start, &|_| true)?;
        let mut keys: Vec<String> = files
            .iter()
            .filter_map(|p| p.strip_prefix(&self.root).ok())
            .map(|p| p.iter().map(|s| s.to_string_lossy().into_owned()).collect::<Vec<_>>().join("/"))
            .collect();
        keys.sort();
        Ok(keys)
    }

    fn versions(&self, key: &str) -> Result<usize> {
        Ok(usize::from(self.path(key)?.is_file()))
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
