//! An uploaded file, kept on disk only while the import that reads it runs: in a directory of
//! its own, readable by the server's user only, removed when the upload is dropped.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::problem::{ApiResult, Problem};

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

    /// A request's body kept as a file for an import: refused when empty (`what` says what the
    /// body should have been), named by the client's `file_name` without any directory part,
    /// or `default`.
    pub fn of_request(
        body: &[u8],
        file_name: Option<&str>,
        default: &str,
        what: &str,
    ) -> ApiResult<Upload> {
        if body.is_empty() {
            return Err(Problem::bad_request(
                None,
                format!("send {what} as the request body"),
            ));
        }
        let name = file_name
            .and_then(|n| Path::new(n).file_name())
            .and_then(|n| n.to_str())
            .unwrap_or(default);
        Upload::write(name, body)
            .map_err(|e| Problem::from(settle_service::ServiceError::Refused(e.to_string())))
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
