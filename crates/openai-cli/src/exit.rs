//! Exit statuses and the two ways of ending a command: with a message on stderr, or with
//! text written out. A leaf: it imports nothing else from the crate.

use std::io::Write;
use std::process::ExitCode;

/// Exit status for an API error, a connection failure, an undecodable reply or an empty transform.
pub const FAILURE: u8 = 1;
/// Exit status for a usage or configuration error; no request was sent.
pub const USAGE: u8 = 2;
/// Exit status for a stream ended by Ctrl-C, as a shell reports SIGINT.
pub const INTERRUPTED: u8 = 130;

/// Prints `Error: message` to stderr and returns `code`.
pub fn fail(code: u8, message: &str) -> ExitCode {
    let _ = write(
        &mut std::io::stderr().lock(),
        &format!("Error: {message}\n"),
    );
    ExitCode::from(code)
}

/// Writes everything; the caller decides what a failure means (a closed pipe is no error).
pub fn write(stream: &mut impl Write, text: &str) -> std::io::Result<()> {
    stream.write_all(text.as_bytes())?;
    stream.flush()
}

/// Writes `text` to stdout. Output that is lost is an error: a closed pipe or a full disk
/// gives `Err` with the exit status, after a message on stderr.
pub fn print_stdout(text: &str) -> Result<(), ExitCode> {
    print_stdout_bytes(text.as_bytes())
}

/// [`print_stdout`] for bytes that may not be UTF-8 (a reply as received).
pub fn print_stdout_bytes(bytes: &[u8]) -> Result<(), ExitCode> {
    let lost = |why: &dyn std::fmt::Display| {
        fail(
            FAILURE,
            &format!("cannot write to stdout: {why}; the output is lost"),
        )
    };
    if stdout_was_closed() {
        return Err(lost(&"it is closed"));
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|err| lost(&err))
}

/// Whether the process started with stdout closed (`openai ... >&-`).
///
/// Rust's runtime puts `/dev/null` on a closed standard descriptor, so writes
/// would "succeed" into nothing. It opens it read-write, unlike a shell's
/// `>/dev/null` (write-only), which tells the two apart.
#[cfg(unix)]
fn stdout_was_closed() -> bool {
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::os::unix::fs::{FileTypeExt, MetadataExt};

    let fd = std::io::stdout().as_raw_fd();
    // SAFETY: F_GETFL only reads the descriptor's status flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || flags & libc::O_ACCMODE != libc::O_RDWR {
        return false;
    }
    // SAFETY: the descriptor stays open (ManuallyDrop never closes it); the
    // File only serves to fstat it.
    let stdout = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
    match (stdout.metadata(), std::fs::metadata("/dev/null")) {
        (Ok(out), Ok(null)) => out.file_type().is_char_device() && out.rdev() == null.rdev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn stdout_was_closed() -> bool {
    false
}
