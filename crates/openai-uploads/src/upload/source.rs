//! The file being uploaded: checked and opened before the first request,
//! and its identity (size, modification time, inode), which tells a journal
//! whether the file is still the one it was for.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use openai_runtime::{Error, Result};
use serde::{Deserialize, Serialize};

use super::options::{MAX_UPLOAD_SIZE, UploadOptions};

/// The file, open, with what the Upload is created with.
pub(super) struct Source {
    pub file: File,
    /// The path as given, for messages.
    pub path: PathBuf,
    pub identity: Identity,
    pub filename: String,
    pub mime_type: String,
}

/// What tells a file apart from a changed or replaced one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Identity {
    /// The absolute path, symbolic links resolved.
    pub path: PathBuf,
    pub size: u64,
    /// Modification time: seconds and nanoseconds since the Unix epoch.
    #[serde(default)]
    pub modified: Option<(i64, u32)>,
    /// Device and inode, where the platform has them.
    #[serde(default)]
    pub inode: Option<(u64, u64)>,
}

impl Identity {
    pub fn of(path: PathBuf, metadata: &std::fs::Metadata) -> Self {
        Self {
            path,
            size: metadata.len(),
            modified: metadata.modified().ok().and_then(unix_time),
            inode: inode(metadata),
        }
    }

    /// Why `now` is not the same file, if it is not.
    pub fn changed(&self, now: &Identity) -> Option<String> {
        if now.size != self.size {
            Some(format!(
                "its size changed from {} to {} bytes",
                self.size, now.size
            ))
        } else if now.modified != self.modified {
            Some("it was modified".to_owned())
        } else if now.inode != self.inode {
            Some("it was replaced by another file".to_owned())
        } else {
            None
        }
    }
}

impl Source {
    /// Checks the options and the file, and opens it.
    pub fn open(path: &Path, options: &UploadOptions) -> Result<Self> {
        options.check()?;
        let bad_path = |reason: String| Error::invalid_argument("path", reason);
        let shown = path.display();
        // Checked before opening: opening a FIFO would block.
        let metadata =
            std::fs::metadata(path).map_err(|err| bad_path(format!("{shown}: {err}")))?;
        if !metadata.is_file() {
            return Err(bad_path(format!("{shown} is not a regular file")));
        }
        let file = File::open(path).map_err(|err| bad_path(format!("{shown}: {err}")))?;
        // The open file's own metadata, in case the path changed in between.
        let metadata = file
            .metadata()
            .map_err(|err| bad_path(format!("{shown}: {err}")))?;
        let size = metadata.len();
        if size == 0 {
            return Err(bad_path(format!(
                "{shown} is empty; an Upload needs at least one byte"
            )));
        }
        if size > MAX_UPLOAD_SIZE {
            return Err(bad_path(format!(
                "{shown} is {size} bytes, over the limit of {MAX_UPLOAD_SIZE} bytes (8 GiB)"
            )));
        }
        options.check_parts(size)?;
        let filename = match &options.filename {
            Some(name) => name.clone(),
            None => path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .ok_or_else(|| bad_path(format!("{shown} has no file name")))?,
        };
        let mime_type = match &options.mime_type {
            Some(mime_type) => mime_type.clone(),
            None => guess_mime_type(path),
        };
        let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        Ok(Self {
            file,
            path: path.to_path_buf(),
            identity: Identity::of(absolute, &metadata),
            filename,
            mime_type,
        })
    }

    pub fn size(&self) -> u64 {
        self.identity.size
    }
}

fn unix_time(time: SystemTime) -> Option<(i64, u32)> {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => Some((i64::try_from(after.as_secs()).ok()?, after.subsec_nanos())),
        Err(before) => {
            let before = before.duration();
            Some((
                -i64::try_from(before.as_secs()).ok()?,
                before.subsec_nanos(),
            ))
        }
    }
}

#[cfg(unix)]
fn inode(metadata: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    Some((metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// The MIME type for a path's extension; `application/octet-stream` when
/// unknown.
fn guess_mime_type(path: &Path) -> String {
    let extension = path
        .extension()
        .map(|ext| ext.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        // JSON Lines, the format of fine-tuning and batch files, which
        // mime_guess does not know.
        Some("jsonl") => "text/jsonl".to_owned(),
        _ => mime_guess::from_path(path)
            .first_or_octet_stream()
            .essence_str()
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types_come_from_the_extension() {
        let guess = |name: &str| guess_mime_type(Path::new(name));
        assert_eq!(guess("train.jsonl"), "text/jsonl");
        assert_eq!(guess("TRAIN.JSONL"), "text/jsonl");
        assert_eq!(guess("notes.txt"), "text/plain");
        assert_eq!(guess("data.json"), "application/json");
        assert_eq!(guess("photo.png"), "image/png");
        assert_eq!(guess("doc.pdf"), "application/pdf");
        assert_eq!(guess("blob"), "application/octet-stream");
        assert_eq!(guess("weird.zzzz"), "application/octet-stream");
    }

    #[test]
    fn identity_changes_are_named() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), b"abc").unwrap();
        let metadata = std::fs::metadata(file.path()).unwrap();
        let before = Identity::of(file.path().to_path_buf(), &metadata);
        assert_eq!(before.changed(&before.clone()), None);
        let grown = Identity {
            size: 4,
            ..before.clone()
        };
        assert!(
            before
                .changed(&grown)
                .unwrap()
                .contains("from 3 to 4 bytes")
        );
        let touched = Identity {
            modified: Some((1, 2)),
            ..before.clone()
        };
        assert_eq!(before.changed(&touched).unwrap(), "it was modified");
    }
}
