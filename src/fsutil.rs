//! Durable file writes: nothing half-written is ever visible under the final name.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically: a new temporary file beside it (created, never
/// reused), fsync, rename over `path`, fsync of the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let err = |source| Error::Write { path: path.to_path_buf(), source };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(err(e)),
        }
    };
    let written = file.write_all(bytes).and_then(|_| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|_| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Writes several files into `dir` all or nothing: each is written and fsynced under a
/// temporary name first, and only when every one is written are they renamed into place.
/// When anything fails, the temporaries are removed, files that were replaced are put back,
/// and a `dir` this call created is removed: nothing new remains.
pub fn write_all_or_nothing(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    let created_dir = !dir.exists();
    std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
    let pid = std::process::id();
    let staged: Vec<(std::path::PathBuf, std::path::PathBuf)> =
        files.iter().map(|(name, _)| (dir.join(format!(".{name}.{pid}.staged")), dir.join(name))).collect();
    let backups: Vec<std::path::PathBuf> =
        files.iter().map(|(name, _)| dir.join(format!(".{name}.{pid}.previous"))).collect();
    let mut renamed = 0usize;
    let result = (|| -> Result<()> {
        for ((tmp, _), (_, bytes)) in staged.iter().zip(files) {
            let err = |source| Error::Write { path: tmp.clone(), source };
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(tmp).map_err(err)?;
            f.write_all(bytes).and_then(|_| f.sync_all()).map_err(err)?;
        }
        for ((_, target), backup) in staged.iter().zip(&backups) {
            if target.symlink_metadata().is_ok() {
                std::fs::hard_link(target, backup).map_err(|source| Error::Write { path: target.clone(), source })?;
            }
        }
        for (tmp, target) in &staged {
            std::fs::rename(tmp, target).map_err(|source| Error::Write { path: target.clone(), source })?;
            renamed += 1;
        }
        Ok(())
    })();
    if result.is_err() {
        for (i, ((tmp, target), backup)) in staged.iter().zip(&backups).enumerate() {
            let _ = std::fs::remove_file(tmp);
            if i < renamed {
                match std::fs::rename(backup, target) {
                    Ok(()) => {}
                    Err(_) => {
                        let _ = std::fs::remove_file(target);
                    }
                }
            }
        }
    }
    for backup in &backups {
        let _ = std::fs::remove_file(backup);
    }
    if result.is_err() && created_dir {
        let _ = std::fs::remove_dir(dir);
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    result
}

/// Frees a large value on another thread, so that the caller does not wait for it (freeing a
/// tree of millions of nodes takes a noticeable share of a run). A process that exits first
/// simply does not free it.
pub fn drop_later<T: Send + 'static>(value: T) {
    // When no thread can be started, the value is freed right away, as the spawn fails.
    let _ = std::thread::Builder::new().name("driftgate-free".into()).spawn(move || drop(value));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_without_leaving_temporaries() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub/out.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn a_set_of_files_is_written_whole_or_not_at_all() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        let files = vec![("a.json".to_string(), b"A".to_vec()), ("b.txt".to_string(), b"B".to_vec())];
        write_all_or_nothing(&out, &files).unwrap();
        assert_eq!(std::fs::read(out.join("b.txt")).unwrap(), b"B");
        // A second set fails on its last file: the first file keeps its old content.
        std::fs::create_dir(out.join("c.sarif")).unwrap();
        let again = vec![("a.json".to_string(), b"A2".to_vec()), ("c.sarif".to_string(), b"C".to_vec())];
        assert!(write_all_or_nothing(&out, &again).is_err());
        assert_eq!(std::fs::read(out.join("a.json")).unwrap(), b"A");
        let names: Vec<String> =
            std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
        // Into a new directory that cannot take the set: the directory is gone again.
        let fresh = d.path().join("fresh");
        let bad = vec![("x".to_string(), b"1".to_vec()), ("x".to_string(), b"2".to_vec())];
        assert!(write_all_or_nothing(&fresh, &bad).is_err());
        assert!(!fresh.exists());
    }
}
