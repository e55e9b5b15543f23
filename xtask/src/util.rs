//! Small helpers shared by the subcommands: paths, cargo, child processes.

use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The workspace root (the parent of `xtask/`). `cargo run` sets
/// `CARGO_MANIFEST_DIR` at run time; the value from build time is the fallback.
pub fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.clone(), Path::to_path_buf)
}

/// Cargo's target directory, honouring `CARGO_TARGET_DIR`.
/// Where `gen` (`name` "gen") and the census of a document keep formatted
/// files between runs: a folder each, since a run keeps only its own.
pub fn format_cache(name: &str) -> PathBuf {
    target_dir().join("codegen").join("format-cache").join(name)
}

pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root().join(dir),
        _ => root().join("target"),
    }
}

/// A debug binary of this workspace, as `cargo build` leaves it.
pub fn debug_bin(name: &str) -> PathBuf {
    target_dir()
        .join("debug")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// `cargo` (the one running us, when there is one), in the workspace root.
pub fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(args).current_dir(root());
    command
}

/// Runs a command with inherited stdio; a non-zero exit is an error naming it.
pub fn run(command: &mut Command) -> Result<(), String> {
    let shown = show(command);
    let status = command
        .status()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    check(&shown, status)
}

pub fn check(shown: &str, status: ExitStatus) -> Result<(), String> {
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// A command line as a person would type it (program name without its path).
pub fn show(command: &Command) -> String {
    let program = Path::new(command.get_program())
        .file_name()
        .unwrap_or(command.get_program())
        .to_string_lossy()
        .into_owned();
    let mut parts = vec![program];
    parts.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// Removes the `OPENAI_*` variables, so a developer's real key or base URL
/// never reaches a demo or a test run.
pub fn without_openai_env(command: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("OPENAI_") {
            command.env_remove(name);
        }
    }
    command
}

/// A free port on 127.0.0.1 (free when asked; another process may take it).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// A plain HTTP/1.1 GET on 127.0.0.1; returns the status code.
pub fn http_get_status(port: u16, path: &str, timeout: Duration) -> io::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0_u8; 12];
    stream.read_exact(&mut head)?;
    // "HTTP/1.1 200"
    std::str::from_utf8(&head[9..12])
        .ok()
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::other("not an HTTP reply"))
}

/// A child process that is stopped by its PID when dropped: SIGTERM, a
/// bounded wait, then SIGKILL. Also on early returns and panics.
///
/// The child stays in our process group, so Ctrl-C at the terminal reaches
/// it too even though we then die without running `Drop`.
pub struct ChildGuard {
    name: &'static str,
    child: Child,
}

impl ChildGuard {
    pub fn spawn(name: &'static str, command: &mut Command) -> Result<Self, String> {
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {name} (`{}`): {e}", show(command)))?;
        Ok(Self { name, child })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// `Some(status)` once the process has exited (and is reaped).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Stops the process and reaps it.
    pub fn stop(mut self) -> Option<ExitStatus> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Option<ExitStatus> {
        if let Some(status) = self.exited() {
            return Some(status);
        }
        if terminate(self.child.id()) {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Some(status) = self.exited() {
                    return Some(status);
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            eprintln!(
                "xtask: {} (pid {}) ignored SIGTERM; killing it",
                self.name,
                self.child.id()
            );
        }
        let _ = self.child.kill();
        self.child.wait().ok()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Sends SIGTERM to `pid`; false where that is not possible.
fn terminate(pid: u32) -> bool {
    cfg!(unix)
        && Command::new("kill")
            .args(["-s", "TERM", &pid.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
}

/// Reads lines from a child's pipe on a thread, so waits can be bounded.
pub fn line_reader(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The last `n` lines of a file, for showing a server's log after a failure.
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// What a finished command printed, and how it ended.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `command` with stdin closed and its output captured, killing it if
/// it outlives `timeout`.
pub fn output_within(command: &mut Command, timeout: Duration) -> Result<Finished, String> {
    output_with_input(command, None, timeout)
}

/// [`output_within`], with `input` (when given) written to the command's
/// stdin through a pipe that is then closed.
/// The read end of a pipe holding `input`, its write end closed once all is written. The
/// bytes are in the pipe before the child starts (as far as they fit; the rest follows
/// from a thread): `openai` reads a pipe only if data comes within a short wait.
pub fn filled_pipe(input: &[u8]) -> io::Result<io::PipeReader> {
    /// Less than any pipe buffer (Linux: 64 KiB), so the write cannot block.
    const FITS: usize = 16 * 1024;
    let (reader, mut writer) = io::pipe()?;
    if input.len() <= FITS {
        writer.write_all(input)?;
    } else {
        let input = input.to_vec();
        // A child that exits early just makes the write fail.
        std::thread::spawn(move || writer.write_all(&input));
    }
    Ok(reader)
}

pub fn output_with_input(
    command: &mut Command,
    input: Option<&[u8]>,
    timeout: Duration,
) -> Result<Finished, String> {
    let shown = show(command);
    let stdin = match input {
        Some(input) => Stdio::from(
            filled_pipe(input).map_err(|e| format!("cannot make a pipe for `{shown}`: {e}"))?,
        ),
        None => Stdio::null(),
    };
    let mut child = command
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    let stdout = collect(child.stdout.take());
    let stderr = collect(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("`{shown}` did not finish within {timeout:?}"));
            }
            Err(e) => return Err(format!("cannot wait for `{shown}`: {e}")),
        }
    };
    Ok(Finished {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

fn collect(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn input_reaches_stdin_and_no_input_is_an_empty_stdin() {
        let timeout = Duration::from_secs(30);
        let finished =
            output_with_input(&mut Command::new("cat"), Some(b"a body\n"), timeout).unwrap();
        assert!(finished.status.success());
        assert_eq!(finished.stdout, "a body\n");
        let finished = output_within(&mut Command::new("cat"), timeout).unwrap();
        assert!(finished.status.success());
        assert_eq!(finished.stdout, "");
    }

    #[cfg(unix)]
    #[test]
    fn a_child_that_ignores_its_input_does_not_block() {
        let big = vec![b'x'; 1 << 20];
        let finished = output_with_input(
            Command::new("sh").args(["-c", "exit 3"]),
            Some(&big),
            Duration::from_secs(30),
        )
        .unwrap();
        assert_eq!(finished.status.code(), Some(3));
    }
}
