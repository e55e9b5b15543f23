//! File-valued arguments: a string flag (or a string anywhere inside a JSON
//! or YAML flag value, or stdin) written `@path` is replaced by the file's
//! contents.
//!
//! | written | sent |
//! |---|---|
//! | `@path` | the file's text if it is UTF-8 text, else its bytes in base64 |
//! | `@file://path` | the file's text (it must be UTF-8) |
//! | `@data://path` | the file's bytes in base64, always |
//! | `\@anything` | `@anything`, as written without the backslash |
//! | `@name` (no `.` or `/` in it, and no regular file by that name) | `@name` as written (a handle, `@username`) |
//! | `@./missing.txt` (no such file, but path-like) | an error |
//! | anything else | as written |
//!
//! Only regular files are read, and at most [`MAX_FILE_ARG_SIZE`] bytes of
//! them: a FIFO, a device like `/dev/zero` or a directory is refused rather
//! than read forever.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use base64::Engine as _;
use serde_json::Value;

use crate::text::printable;
use crate::{Error, Result};

/// The largest file an `@path` argument embeds: 64 MiB.
pub const MAX_FILE_ARG_SIZE: u64 = 64 << 20;

/// How a file's contents are embedded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum As {
    /// Text if UTF-8 text, else base64.
    Either,
    Text,
    Base64,
}

/// Resolves one string argument by the rules of the [module](self).
/// `name` is the flag, for errors (e.g. `--input`).
///
/// ```
/// use openai_runtime::cli::files::resolve;
/// assert_eq!(resolve("--user", "@octocat").unwrap(), "@octocat");
/// assert_eq!(resolve("--text", r"\@file.txt").unwrap(), "@file.txt");
/// assert_eq!(resolve("--text", "plain").unwrap(), "plain");
/// ```
pub fn resolve(name: &str, value: &str) -> Result<String> {
    if let Some(literal) = value.strip_prefix('\\')
        && literal.starts_with('@')
    {
        return Ok(literal.to_owned());
    }
    let Some(reference) = value.strip_prefix('@') else {
        return Ok(value.to_owned());
    };
    let (path, mode) = if let Some(path) = reference.strip_prefix("file://") {
        (path, As::Text)
    } else if let Some(path) = reference.strip_prefix("data://") {
        (path, As::Base64)
    } else {
        (reference, As::Either)
    };
    // A bare word is a file only if a regular file has that name (`@tmp`
    // beside a `tmp` directory is still a handle).
    let path_like = mode != As::Either || path.contains(['.', '/']);
    if !path_like && !std::fs::metadata(path).is_ok_and(|meta| meta.is_file()) {
        return Ok(value.to_owned());
    }
    read(name, Path::new(path), mode, MAX_FILE_ARG_SIZE)
}

/// Applies [`resolve`] to every string inside `value` (object keys stay as
/// they are); an error names the place as a JSON pointer.
pub fn resolve_value(name: &str, value: Value) -> Result<Value> {
    walk(name, &mut String::new(), value)
}

fn walk(name: &str, pointer: &mut String, value: Value) -> Result<Value> {
    let at = |pointer: &str| {
        if pointer.is_empty() {
            name.to_owned()
        } else {
            format!("{name} at {pointer}")
        }
    };
    Ok(match value {
        Value::String(text) => Value::String(resolve(&at(pointer), &text)?),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{index}"));
                out.push(walk(name, pointer, item)?);
                pointer.truncate(len);
            }
            Value::Array(out)
        }
        Value::Object(fields) => {
            let mut out = serde_json::Map::with_capacity(fields.len());
            for (key, item) in fields {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                let item = walk(name, pointer, item)?;
                pointer.truncate(len);
                out.insert(key, item);
            }
            Value::Object(out)
        }
        other => other,
    })
}

/// The file at `path`, as `mode` says, if it is a regular file of at most
/// `cap` bytes.
fn read(name: &str, path: &Path, mode: As, cap: u64) -> Result<String> {
    let shown = printable(&path.to_string_lossy(), false);
    let refuse = |reason: String| Error::invalid_argument(name, format!("@{shown}: {reason}"));
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(refuse(
                r"no such file (to send the text as written, start it with \@)".into(),
            ));
        }
        Err(source) => {
            return Err(Error::File {
                path: path.to_owned(),
                source,
            });
        }
    };
    // Checked before opening: opening a FIFO for reading waits for a writer.
    if !meta.is_file() {
        return Err(refuse(
            "not a regular file; only regular files can be embedded".into(),
        ));
    }
    let too_large = || {
        refuse(format!(
            "larger than the {} MiB limit for files embedded in arguments",
            cap >> 20
        ))
    };
    if meta.len() > cap {
        return Err(too_large());
    }
    let file_error = |source| Error::File {
        path: path.to_owned(),
        source,
    };
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // Bounded even if the file grows (or was swapped) after the check.
    File::open(path)
        .map_err(file_error)?
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(file_error)?;
    if bytes.len() as u64 > cap {
        return Err(too_large());
    }
    let base64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    match mode {
        As::Base64 => Ok(base64(&bytes)),
        As::Text => String::from_utf8(bytes).map_err(|_| {
            refuse("not UTF-8 text; use @data:// to send a binary file as base64".into())
        }),
        As::Either => {
            if bytes.contains(&0) {
                return Ok(base64(&bytes));
            }
            String::from_utf8(bytes).or_else(|err| Ok(base64(err.as_bytes())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(tempfile::TempDir);

    impl Dir {
        fn new() -> Self {
            Self(tempfile::tempdir().unwrap())
        }

        fn file(&self, name: &str, contents: &[u8]) -> String {
            let path = self.0.path().join(name);
            std::fs::write(&path, contents).unwrap();
            path.to_str().unwrap().to_owned()
        }
    }

    fn reason(err: Error) -> String {
        match err {
            Error::InvalidArgument { name, reason } => format!("{name}: {reason}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn text_files_are_embedded_as_text_and_binary_as_base64() {
        let dir = Dir::new();
        let text = dir.file("notes.txt", "héllo\nworld".as_bytes());
        assert_eq!(resolve("--x", &format!("@{text}")).unwrap(), "héllo\nworld");
        let binary = dir.file("blob.bin", &[0xff, 0x00, 0x01]);
        assert_eq!(resolve("--x", &format!("@{binary}")).unwrap(), "/wAB");
        // Valid UTF-8 with a NUL in it is binary too.
        let nul = dir.file("nul.bin", b"a\0b");
        assert_eq!(resolve("--x", &format!("@{nul}")).unwrap(), "YQBi");
    }

    #[test]
    fn the_schemes_force_the_form() {
        let dir = Dir::new();
        let text = dir.file("t.txt", b"abc");
        assert_eq!(resolve("--x", &format!("@data://{text}")).unwrap(), "YWJj");
        assert_eq!(resolve("--x", &format!("@file://{text}")).unwrap(), "abc");
        let binary = dir.file("b.bin", &[0xff]);
        let err = reason(resolve("--x", &format!("@file://{binary}")).unwrap_err());
        assert!(
            err.contains("not UTF-8") && err.contains("@data://"),
            "{err}"
        );
    }

    #[test]
    fn escapes_handles_and_missing_paths() {
        assert_eq!(resolve("--x", r"\@notes.txt").unwrap(), "@notes.txt");
        assert_eq!(resolve("--x", r"\plain").unwrap(), r"\plain");
        assert_eq!(resolve("--x", "@username").unwrap(), "@username");
        assert_eq!(resolve("--x", "@").unwrap(), "@");
        // Tests run in the crate's folder, where `src` is a directory.
        assert_eq!(resolve("--x", "@src").unwrap(), "@src");
        assert_eq!(resolve("--x", "no at sign").unwrap(), "no at sign");
        for missing in [
            "@missing.txt",
            "@./missing",
            "@/no/such/file",
            "@file://gone",
        ] {
            let err = reason(resolve("--file", missing).unwrap_err());
            assert!(
                err.starts_with("--file: ") && err.contains("no such file"),
                "{err}"
            );
        }
    }

    #[test]
    fn only_regular_files_within_the_cap_are_read() {
        for special in ["@/dev/zero", "@/dev/null", "@data:///dev/zero"] {
            let err = reason(resolve("--x", special).unwrap_err());
            assert!(err.contains("not a regular file"), "{err}");
        }
        let dir = Dir::new();
        let err = reason(resolve("--x", &format!("@{}", dir.0.path().display())).unwrap_err());
        assert!(err.contains("not a regular file"), "{err}");

        let big = dir.0.path().join("big.bin");
        let file = std::fs::File::create(&big).unwrap();
        // Sparse: no disk space used.
        file.set_len(MAX_FILE_ARG_SIZE + 1).unwrap();
        let err = reason(resolve("--x", &format!("@{}", big.display())).unwrap_err());
        assert!(err.contains("64 MiB limit"), "{err}");
    }

    /// A file whose size, checked first, says less than it holds (as one
    /// that grows after the check, or a /proc file, whose size is 0): the
    /// read stops past the cap instead of trusting the size.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_read_itself_is_capped() {
        let status = Path::new("/proc/self/status");
        assert_eq!(std::fs::metadata(status).unwrap().len(), 0);
        let err = reason(read("--x", status, As::Text, 10).unwrap_err());
        assert!(err.contains("MiB limit"), "{err}");
        let whole = read("--x", status, As::Text, 1 << 20).unwrap();
        assert!(whole.contains("Pid:"), "{whole}");
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = Dir::new();
        let fifo = dir.0.path().join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let err = reason(resolve("--x", &format!("@{}", fifo.display())).unwrap_err());
        assert!(err.contains("not a regular file"), "{err}");
    }

    #[test]
    fn every_string_in_a_value_is_resolved() {
        let dir = Dir::new();
        let text = dir.file("t.txt", b"abc");
        let value = serde_json::json!({
            "@key": format!("@{text}"),
            "list": [1, "@handle", format!("@data://{text}"), r"\@x"],
            "nested": {"n": null, "b": true},
        });
        assert_eq!(
            resolve_value("--input", value).unwrap(),
            serde_json::json!({
                "@key": "abc",
                "list": [1, "@handle", "YWJj", "@x"],
                "nested": {"n": null, "b": true},
            })
        );
        let err = reason(
            resolve_value("--input", serde_json::json!({"a/b": [0, "@gone.txt"]})).unwrap_err(),
        );
        assert!(
            err.starts_with("--input at /a~1b/1: @gone.txt: no such file"),
            "{err}"
        );
    }
    #[test]
    fn a_file_of_exactly_the_cap_is_read_whole() {
        let dir = Dir::new();
        let path = dir.0.path().join("cap.bin");
        // Sparse: no disk space used.
        std::fs::File::create(&path)
            .unwrap()
            .set_len(MAX_FILE_ARG_SIZE)
            .unwrap();
        let encoded = resolve("--x", &format!("@data://{}", path.display())).unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(decoded.len() as u64, MAX_FILE_ARG_SIZE);
    }

    #[test]
    fn a_path_that_cannot_be_looked_at_is_a_file_error() {
        let dir = Dir::new();
        let text = dir.file("t.txt", b"abc");
        // A regular file used as a directory: not "no such file".
        let err = resolve("--x", &format!("@{text}/inner.txt")).unwrap_err();
        assert!(matches!(err, Error::File { .. }), "{err:?}");
    }
}
