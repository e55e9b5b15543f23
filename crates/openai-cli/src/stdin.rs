//! Reading stdin as the official CLI does, so that no command ever waits on an idle stdin.
//!
//! - A pipe or socket is read only if data (or the end of input) is there within
//!   [`WAIT`]: an open pipe that nobody writes to (Node's `execFile`, many CI runners and
//!   IDE terminals) is left alone.
//! - A regular file is read if it is not empty (`openai ... < body.yaml`).
//! - A terminal or another device (`/dev/null`, `/dev/zero`) is never read.
//!
//! What is read is capped: [`MAX_DOCUMENT`] for a request document, [`MAX_PART`] for a
//! part's bytes (`--data -`). Past the cap the command stops with an error naming it.
//! Stdin is read at most once: a document taken from it leaves nothing for `--data -`.
//! A leaf: it imports nothing else from the crate.

use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use openai_uploads::FilePart;
use serde_json::Value;

/// How long a pipe may stay silent before it counts as idle (the official CLI's wait).
pub const WAIT: Duration = Duration::from_millis(10);
/// The largest request document read from stdin: far more than any request body needs.
pub const MAX_DOCUMENT: u64 = 16 << 20;
/// The largest part read from stdin (`--data -`): the largest Part the API accepts.
pub const MAX_PART: u64 = openai_uploads::MAX_PART_SIZE;
/// The filename sent for a part read from stdin, as the official CLI sends it.
pub const STDIN_FILENAME: &str = "anonymous_file";

/// Set once a document has been taken from stdin.
static CONSUMED: AtomicBool = AtomicBool::new(false);
/// Set when stdin was a pipe or socket left alone because nothing came within [`WAIT`].
static PASSED_OVER: AtomicBool = AtomicBool::new(false);

/// The JSON or YAML document on stdin, when there is one to read (see the module's rules):
/// `None` when stdin is idle, a terminal, empty or only white space.
pub fn document() -> Result<Option<Value>, String> {
    if !has_input() {
        return Ok(None);
    }
    let bytes = read_capped(&mut io::stdin().lock(), MAX_DOCUMENT, "a request document")?;
    let document = parse(&bytes)?;
    if document.is_some() {
        CONSUMED.store(true, Ordering::Relaxed);
    }
    Ok(document)
}

/// The part a file flag such as `--data PATH` sends: the file at `path`, or, when `path`
/// names stdin ([`openai_runtime::cli::is_stdin`]), stdin's bytes up to [`MAX_PART`], read to its end
/// (an explicit `-` waits for its writer) and sent as `anonymous_file`. The bytes are held
/// in memory, so that a retry sends them again.
///
/// A file over [`MAX_PART`] is refused before anything is sent, as stdin's bytes are: the
/// only file flag is a Part's `--data`, and the API refuses a larger Part only once it has
/// all been uploaded. (Should an endpoint with larger files come, its cap belongs in the
/// spec, for the generated code to pass here.)
pub fn file_part(path: &Path) -> io::Result<FilePart> {
    if !openai_runtime::cli::is_stdin(path) {
        let metadata = std::fs::metadata(path)?;
        if metadata.is_file() && metadata.len() > MAX_PART {
            return Err(io::Error::other(format!(
                "it is {} bytes, over the API's limit of {} MiB per Part (`openai uploads \
                 upload` sends a large file in Parts)",
                metadata.len(),
                MAX_PART >> 20
            )));
        }
        return FilePart::from_path(path);
    }
    if CONSUMED.load(Ordering::Relaxed) {
        return Err(io::Error::other(
            "stdin was already read as the request's JSON or YAML document; \
             give the part's bytes as a file path instead",
        ));
    }
    let bytes =
        read_capped(&mut io::stdin().lock(), MAX_PART, "a part").map_err(io::Error::other)?;
    Ok(FilePart::from_bytes(bytes).filename(STDIN_FILENAME))
}

/// Warns on stderr when stdin was passed over as idle but data arrived on it since: it came
/// too late for the command, which ran on its flags alone. Call when the command is done.
pub fn warn_if_late() {
    if PASSED_OVER.load(Ordering::Relaxed) && pending_bytes() > 0 {
        use std::io::Write as _;
        let _ = writeln!(
            io::stderr().lock(),
            "Warning: data arrived on stdin after the {} ms the command waits for it, so it was \
             not read; the command ran on its flags alone. Write the input before starting \
             the command, or close stdin when there is none.",
            WAIT.as_millis()
        );
    }
}

/// Bytes waiting in the stdin pipe or socket, unread.
#[cfg(unix)]
fn pending_bytes() -> usize {
    let mut count: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer, which is valid.
    let done = unsafe { libc::ioctl(libc::STDIN_FILENO, libc::FIONREAD, &mut count) };
    if done == 0 {
        usize::try_from(count).unwrap_or(0)
    } else {
        0
    }
}

#[cfg(not(unix))]
fn pending_bytes() -> usize {
    0
}

/// A webhook's body: stdin read to its end (an explicit input, so a pipe is
/// waited for), at most [`MAX_DOCUMENT`] bytes.
pub fn webhook_body() -> Result<Vec<u8>, String> {
    read_capped(&mut io::stdin().lock(), MAX_DOCUMENT, "a webhook body")
}

/// Reads `reader` to its end, refusing more than `cap` bytes.
fn read_capped(reader: &mut impl Read, cap: u64, what: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|err| format!("cannot read stdin: {err}"))?;
    if bytes.len() as u64 > cap {
        return Err(format!(
            "stdin holds more than {} MiB, the most read from it for {what}",
            cap >> 20
        ));
    }
    Ok(bytes)
}

/// A document from its bytes; YAML is a superset of JSON, so one parser takes both.
fn parse(bytes: &[u8]) -> Result<Option<Value>, String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|err| format!("the document on stdin is not UTF-8 text: {err}"))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_yaml::from_str(text)
        .map(Some)
        .map_err(|err| format!("the document on stdin is neither JSON nor YAML: {err}"))
}

/// Whether stdin has something to read, by the module's rules.
#[cfg(unix)]
fn has_input() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::FileTypeExt;

    // A duplicate of fd 0, for its metadata; closing it leaves stdin open.
    let Ok(fd) = io::stdin().as_fd().try_clone_to_owned() else {
        return false;
    };
    let Ok(metadata) = std::fs::File::from(fd).metadata() else {
        return false;
    };
    let kind = metadata.file_type();
    if kind.is_file() {
        metadata.len() > 0
    } else if kind.is_fifo() || kind.is_socket() {
        let ready = ready(WAIT);
        if !ready {
            PASSED_OVER.store(true, Ordering::Relaxed);
        }
        ready
    } else {
        false
    }
}

/// Whether stdin becomes readable (data, or the writer's end of input) within `wait`.
#[cfg(unix)]
fn ready(wait: Duration) -> bool {
    let mut fds = libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    };
    let millis = libc::c_int::try_from(wait.as_millis()).unwrap_or(libc::c_int::MAX);
    loop {
        // SAFETY: one valid pollfd, and its count is 1.
        let n = unsafe { libc::poll(&mut fds, 1, millis) };
        if n >= 0 {
            return n > 0 && fds.revents & (libc::POLLIN | libc::POLLHUP) != 0;
        }
        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return false;
        }
    }
}

/// Elsewhere there is no poll on a pipe: stdin is read unless it is a terminal.
#[cfg(not(unix))]
fn has_input() -> bool {
    use std::io::IsTerminal;
    !io::stdin().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_json_or_yaml() {
        let yaml = b"bytes: 0\nexpires_after:\n  anchor: created_at\n  seconds: 3600\n";
        assert_eq!(
            parse(yaml).unwrap(),
            Some(
                serde_json::json!({"bytes": 0, "expires_after": {"anchor": "created_at", "seconds": 3600}})
            )
        );
        assert_eq!(
            parse(br#"{"md5": "x"}"#).unwrap(),
            Some(serde_json::json!({"md5": "x"}))
        );
        assert_eq!(parse(b"").unwrap(), None);
        assert_eq!(parse(b" \n\t\n").unwrap(), None);
        assert!(
            parse(b"{unclosed")
                .unwrap_err()
                .contains("neither JSON nor YAML")
        );
        assert!(parse(b"\xff\xfe").unwrap_err().contains("UTF-8"));
    }

    #[test]
    fn reading_stops_past_the_cap() {
        let mut endless = io::repeat(b'a');
        let err = read_capped(&mut endless, 1 << 20, "a request document").unwrap_err();
        assert_eq!(
            err,
            "stdin holds more than 1 MiB, the most read from it for a request document"
        );
        let exact = read_capped(&mut io::repeat(b'a').take(1 << 20), 1 << 20, "x").unwrap();
        assert_eq!(exact.len(), 1 << 20);
    }
}
