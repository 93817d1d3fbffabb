//! An uploaded file, kept on disk only while the import that reads it runs: in a directory of
//! its own, readable by the server's user only, removed when the upload is dropped.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT: AtomicU64 = AtomicU64::new(0);

pub struct Upload {
    dir: PathBuf,
    path: PathBuf,
}

impl Upload {
    /// Writes `bytes` as `name` in a fresh private directory.
    pub fn write(name: &str, bytes: &[u8]) -> std::io::Result<Upload> {
        let dir = std::env::temp_dir().join(format!(
            "settle-upload-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir)?;
        let path = dir.join(name);
        let upload = Upload { dir, path };
        settle_service::private_files::write(&upload.path, bytes)?;
        Ok(upload)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
