//! Files that hold books (backups, exports, documents) are created readable by their owner
//! only: receivables name customers and amounts, which others on the machine have no business
//! reading. Whoever wants to share a file widens its permissions on purpose.

use std::fs::File;
use std::io::Write as _;
use std::path::Path;

/// Creates or truncates `path` with mode 0600 (also when it already existed with another mode).
pub fn create(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    // `mode` applies only to a file the call creates; a device (`/dev/stdout`) keeps its own.
    #[cfg(unix)]
    if file.metadata()?.is_file() {
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    }
    Ok(file)
}

/// Writes `bytes` to `path`, created as by [`create`].
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> std::io::Result<()> {
    create(path)?.write_all(bytes.as_ref())
}

/// Writes `bytes` to `path` through `PATH.partial` beside it, renamed into place when whole, so
/// that `path` never holds half a file.
pub fn replace(path: &Path, bytes: impl AsRef<[u8]>) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = Path::new(&partial);
    let written = write(partial, bytes).and_then(|()| std::fs::rename(partial, path));
    if written.is_err() {
        // A failed write (a full disk) leaves nothing behind, not half a file beside the old.
        let _ = std::fs::remove_file(partial);
    }
    written
}
