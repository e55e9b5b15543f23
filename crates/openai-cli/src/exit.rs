//! Exit statuses and the two ways of ending a command: with a message on stderr, or with
//! text written out. A leaf: it imports nothing else from the crate.

use std::io::Write;
use std::process::ExitCode;

/// Exit status for an API error, a connection failure, an undecodable reply or an empty transform.
pub const FAILURE: u8 = 1;
/// Exit status for a usage or configuration error; no request was sent.
pub const USAGE: u8 = 2;

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
    write(&mut std::io::stdout().lock(), text).map_err(|err| {
        fail(
            FAILURE,
            &format!("cannot write to stdout: {err}; the output is lost"),
        )
    })
}
