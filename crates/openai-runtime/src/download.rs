//! Where a binary reply goes: a [`Destination`] that writes a download
//! without ever leaving a half-written file under its final name, and the
//! helpers for a file name the server chose
//! ([`content_disposition_filename`], [`sanitize_filename`]).
//!
//! ```no_run
//! # async fn run(client: openai_runtime::Client, request: openai_runtime::Request) -> openai_runtime::Result<()> {
//! use openai_runtime::download::Destination;
//!
//! let reply = client.execute_bytes_stream(request).await?;
//! let mut out = Destination::create("speech.mp3".as_ref(), false)?;
//! out.write_stream(reply.data).await?;
//! out.finish()?; // only now is speech.mp3 there
//! # Ok(()) }
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tempfile::NamedTempFile;

use crate::{Error, Result};

/// Symbolic links followed before giving up (the kernel's own limit).
const MAX_LINKS: usize = 40;

/// The longest file name kept, in bytes (the usual file system limit).
const MAX_NAME: usize = 255;

/// An open download destination. Write to it, then [`finish`](Self::finish).
///
/// Opened from a path ([`Destination::create`]):
/// - a regular file, or a path where nothing is yet, is written to a fresh
///   temporary file in the same directory (mode 0600, created exclusively),
///   renamed over the path only by [`finish`](Self::finish). Dropped
///   unfinished (an error, Ctrl-C), the temporary file is removed and
///   nothing appears under the final name;
/// - a symbolic link is followed: the file it names is written as above,
///   and the link stays a link;
/// - anything else (a terminal, `/dev/null`, a FIFO, `/dev/stdout`,
///   `/dev/fd/N`, every path under `/dev/` or `/proc/`) is opened and written
///   directly, and is never renamed, replaced or removed;
/// - a directory is refused.
///
/// Writes are synchronous and go straight to the file: memory stays at one
/// chunk whatever the download's size. As with a shell's `>`, opening a
/// FIFO waits until something opens it for reading, and writing to one
/// waits while its reader is slow.
#[derive(Debug)]
pub struct Destination {
    /// The path as given, for errors.
    path: PathBuf,
    kind: Kind,
    written: u64,
}

#[derive(Debug)]
enum Kind {
    /// Written beside `target`, renamed onto it when finished.
    Replace {
        file: NamedTempFile,
        target: PathBuf,
        /// Whether an existing `target` may be replaced.
        force: bool,
    },
    /// Written in place.
    Direct(File),
}

impl Destination {
    /// Opens `path` for a download, by the rules above. Unless `force`, an
    /// existing regular file (or one a link names) is not overwritten: that
    /// is an [`Error::Write`] of kind [`io::ErrorKind::AlreadyExists`], both
    /// here and, should one appear meanwhile, at [`finish`](Self::finish).
    pub fn create(path: &Path, force: bool) -> Result<Self> {
        let fail = |source: io::Error| Error::Write {
            path: path.to_owned(),
            source,
        };
        let text = path.as_os_str().as_encoded_bytes();
        if text.is_empty() || text.ends_with(b"/") {
            return Err(fail(io::Error::new(
                io::ErrorKind::InvalidInput,
                "name a file, not a directory",
            )));
        }
        let target = resolve_links(path).map_err(fail)?;
        let kind = if is_system_path(&target) {
            Kind::Direct(open_direct(&target).map_err(fail)?)
        } else {
            match fs::metadata(&target) {
                Err(err) if err.kind() == io::ErrorKind::NotFound => temporary(&target, force),
                Err(err) => Err(err),
                Ok(meta) if meta.is_file() => {
                    if force {
                        temporary(&target, force)
                    } else {
                        Err(exists())
                    }
                }
                Ok(meta) if meta.is_dir() => Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "it is a directory; name a file",
                )),
                Ok(_) => open_direct(&target).map(Kind::Direct),
            }
            .map_err(fail)?
        };
        Ok(Self {
            path: path.to_owned(),
            kind,
            written: 0,
        })
    }

    /// Whether this writes in place (a device, a FIFO, standard output)
    /// rather than through a temporary file.
    pub fn is_direct(&self) -> bool {
        matches!(self.kind, Kind::Direct(_))
    }

    /// The path as given to [`create`](Self::create).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Writes one chunk.
    pub fn write_chunk(&mut self, chunk: &[u8]) -> Result<()> {
        let result = match &mut self.kind {
            Kind::Replace { file, .. } => file.write_all(chunk),
            Kind::Direct(file) => file.write_all(chunk),
        };
        result.map_err(|source| self.error(source))?;
        self.written = self.written.saturating_add(chunk.len() as u64);
        Ok(())
    }

    /// Writes every chunk of `stream` (e.g. a [`ByteStream`](crate::ByteStream))
    /// as it arrives, and returns the bytes written. The first error, the
    /// stream's or the file's, stops it; the destination is then best
    /// dropped, which removes a temporary file.
    pub async fn write_stream<S>(&mut self, stream: S) -> Result<u64>
    where
        S: Stream<Item = Result<Bytes>>,
    {
        let mut stream = std::pin::pin!(stream);
        let before = self.written;
        while let Some(chunk) = stream.next().await {
            self.write_chunk(&chunk?)?;
        }
        Ok(self.written - before)
    }

    /// Completes the download: flushes, then moves the temporary file onto
    /// the final path (the target of a link). Returns the path written.
    pub fn finish(self) -> Result<PathBuf> {
        let path = self.path;
        let fail = |source: io::Error| Error::Write {
            path: path.clone(),
            source,
        };
        match self.kind {
            Kind::Direct(mut file) => {
                file.flush().map_err(fail)?;
                Ok(path.clone())
            }
            Kind::Replace {
                file,
                target,
                force,
            } => {
                file.as_file().sync_all().map_err(fail)?;
                let persisted = if force {
                    file.persist(&target)
                } else {
                    file.persist_noclobber(&target)
                };
                // A failed persist hands the file back; dropping it removes it.
                persisted.map_err(|err| {
                    if err.error.kind() == io::ErrorKind::AlreadyExists {
                        fail(exists())
                    } else {
                        fail(err.error)
                    }
                })?;
                Ok(target)
            }
        }
    }

    fn error(&self, source: io::Error) -> Error {
        Error::Write {
            path: self.path.clone(),
            source,
        }
    }
}

fn exists() -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        "the file exists and was not to be overwritten",
    )
}

/// Paths that stand for the process's own streams and devices: however
/// they resolve, they are written in place.
fn is_system_path(path: &Path) -> bool {
    path.starts_with("/dev") || path.starts_with("/proc")
}

/// Opens a device, FIFO or stream for writing, without creating,
/// truncating or replacing anything. Appending: `/dev/stdout` may be a file
/// the shell opened for appending, and everywhere else it changes nothing.
fn open_direct(path: &Path) -> io::Result<File> {
    OpenOptions::new().append(true).open(path)
}

/// A temporary file beside `target` (0600, created exclusively).
fn temporary(target: &Path, force: bool) -> io::Result<Kind> {
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".part")
        .tempfile_in(dir)?;
    // A file replaced keeps its mode; a new one stays private (0600).
    if let Ok(meta) = fs::metadata(target) {
        file.as_file().set_permissions(meta.permissions())?;
    }
    Ok(Kind::Replace {
        file,
        target: target.to_owned(),
        force,
    })
}

/// `path` with symbolic links followed to the path they finally name,
/// which need not exist yet (a dangling link is written through).
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_owned();
    for _ in 0..MAX_LINKS {
        // `/dev/stdout` leads to `/proc/self/fd/1`, whose "target" may be
        // `pipe:[1234]`, no path at all: stop where the system's paths start.
        if is_system_path(&current) {
            return Ok(current);
        }
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(current),
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(err) => return Err(err),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// The file name in a `Content-Disposition` header value: `filename*`
/// (RFC 8187, `UTF-8''` or `ISO-8859-1''`, percent-encoded) when present
/// and readable, else `filename` (quoted or not). As the server sent it:
/// pass it through [`sanitize_filename`] before use.
pub fn content_disposition_filename(header: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for (name, value) in parameters(header) {
        if name.eq_ignore_ascii_case("filename*") {
            extended = extended.or_else(|| decode_extended(&value));
        } else if name.eq_ignore_ascii_case("filename") {
            plain = plain.or(Some(value));
        }
    }
    extended.or(plain).filter(|name| !name.is_empty())
}

/// The `name=value` parameters after the disposition type, quoted strings
/// unescaped.
fn parameters(header: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = header;
    // Skip the type (`attachment`).
    match rest.find(';') {
        Some(semicolon) => rest = &rest[semicolon + 1..],
        None => return out,
    }
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            return out;
        }
        let Some(equals) = rest.find('=') else {
            return out;
        };
        let name = rest[..equals].trim().to_owned();
        rest = rest[equals + 1..].trim_start();
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            rest = &quoted[end..];
            // Whatever follows the closing quote up to the next `;` is junk.
            rest = rest.find(';').map_or("", |semicolon| &rest[semicolon..]);
            value
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            let value = rest[..end].trim().to_owned();
            rest = &rest[end..];
            value
        };
        out.push((name, value));
    }
}

/// Decodes an RFC 8187 value: `charset'language'percent-encoded`.
fn decode_extended(value: &str) -> Option<String> {
    let mut parts = value.splitn(3, '\'');
    let charset = parts.next()?;
    let _language = parts.next()?;
    let encoded = parts.next()?;
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(encoded).collect();
    if charset.eq_ignore_ascii_case("utf-8") {
        String::from_utf8(bytes).ok()
    } else if charset.eq_ignore_ascii_case("iso-8859-1") {
        Some(bytes.into_iter().map(char::from).collect())
    } else {
        None
    }
}

/// Reduces a file name the server chose to a plain name in the current
/// directory: only the last path component (`/` and `\` both separate),
/// no control or bidirectional-control characters, no leading dots (so
/// neither `..` nor a hidden file), no surrounding spaces, at most 255
/// bytes. When nothing is left, `fallback` (which the caller chose) is
/// used.
///
/// ```
/// use openai_runtime::download::sanitize_filename;
/// assert_eq!(sanitize_filename("../../etc/passwd", "download"), "passwd");
/// assert_eq!(sanitize_filename("..", "download"), "download");
/// ```
pub fn sanitize_filename(name: &str, fallback: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|&c| !crate::text::is_unsafe(c))
        .collect();
    let mut cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    if cleaned.len() > MAX_NAME {
        let mut end = MAX_NAME;
        while !cleaned.is_char_boundary(end) {
            end -= 1;
        }
        cleaned.truncate(end);
    }
    let plain = matches!(
        Path::new(&cleaned).components().collect::<Vec<_>>()[..],
        [Component::Normal(_)]
    );
    if cleaned.is_empty() || !plain {
        fallback.to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_filename_forms() {
        let read = content_disposition_filename;
        assert_eq!(
            read(r#"attachment; filename="a b.txt""#).as_deref(),
            Some("a b.txt")
        );
        assert_eq!(
            read("attachment; filename=plain.bin").as_deref(),
            Some("plain.bin")
        );
        assert_eq!(
            read(r#"attachment; filename="fallback.txt"; filename*=UTF-8''%E2%82%AC%20rates.txt"#)
                .as_deref(),
            Some("€ rates.txt")
        );
        assert_eq!(
            read("attachment; FILENAME*=iso-8859-1'en'%E9t%E9.txt").as_deref(),
            Some("été.txt")
        );
        assert_eq!(
            read(r#"attachment; filename="q\"uo;te.txt"; size=3"#).as_deref(),
            Some("q\"uo;te.txt")
        );
        // A broken extended value falls back to the plain one.
        assert_eq!(
            read("attachment; filename*=UTF-8''%FF; filename=ok.txt").as_deref(),
            Some("ok.txt")
        );
        assert_eq!(read("attachment"), None);
        assert_eq!(read("inline; name=x"), None);
        assert_eq!(read(r#"attachment; filename="""#), None);
    }

    #[test]
    fn hostile_names_become_plain_names() {
        let clean = |name| sanitize_filename(name, "fallback.bin");
        assert_eq!(clean("../../x"), "x");
        assert_eq!(clean("/etc/passwd"), "passwd");
        assert_eq!(clean("..\\..\\windows\\system.ini"), "system.ini");
        assert_eq!(clean("a\x1b[31mb\nc\u{202e}d.txt"), "a[31mbcd.txt");
        assert_eq!(clean(""), "fallback.bin");
        assert_eq!(clean(".."), "fallback.bin");
        assert_eq!(clean("dir/"), "fallback.bin");
        assert_eq!(clean("..."), "fallback.bin");
        assert_eq!(clean(".bashrc"), "bashrc");
        assert_eq!(clean("  report.pdf "), "report.pdf");
        assert_eq!(clean("\x00\x07"), "fallback.bin");
        let long = clean(&"é".repeat(300));
        assert!(long.len() <= MAX_NAME && long.starts_with('é'));
    }
}
