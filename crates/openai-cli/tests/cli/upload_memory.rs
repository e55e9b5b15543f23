//! `openai uploads upload` keeps its memory whatever the part size and the
//! number of Parts in flight: Parts stream from the file.
//!
//! The server here takes each Part's request head and then reads nothing
//! more, so every Part stays in flight, its connection full: a client that
//! held its Parts in memory would hold them all at once. Once all are in
//! flight the server hangs up, the Parts fail (no retries), and the client
//! cancels the Upload and exits. Its peak memory comes from `wait4`.

#![cfg(unix)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::support;

const MIB: u64 = 1024 * 1024;
const PART_SIZE: u64 = 64 * MIB;

const UPLOAD: &str = r#"{"id":"upload_mem","object":"upload","bytes":1,"created_at":1,"expires_at":4102444800,"filename":"big.bin","purpose":"fine-tune","status":"pending"}"#;
const CANCELLED: &str = r#"{"id":"upload_mem","object":"upload","bytes":1,"created_at":1,"expires_at":4102444800,"filename":"big.bin","purpose":"fine-tune","status":"cancelled"}"#;

/// The stalling server: how many Part heads it has seen, and whether it
/// has let go of them.
#[derive(Default)]
struct State {
    parts: AtomicUsize,
    cancels: AtomicUsize,
    released: Mutex<bool>,
    release: Condvar,
    stopped: AtomicBool,
}

impl State {
    /// Waits for the release, or a minute: a client that never gets all
    /// its Parts in flight must not hang the test.
    fn wait_released(&self) {
        let released = self.released.lock().unwrap();
        let _ = self
            .release
            .wait_timeout_while(released, Duration::from_secs(60), |released| !*released)
            .unwrap();
    }

    fn release(&self) {
        *self.released.lock().unwrap() = true;
        self.release.notify_all();
    }
}

struct Stalling {
    port: u16,
    state: Arc<State>,
}

impl Stalling {
    /// Lets go of the Parts once `parts` of them are in flight.
    fn start(parts: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                if shared.stopped.load(Ordering::SeqCst) {
                    return;
                }
                let shared = shared.clone();
                std::thread::spawn(move || serve(stream, &shared, parts));
            }
        });
        Self { port, state }
    }
}

impl Drop for Stalling {
    fn drop(&mut self) {
        self.state.stopped.store(true, Ordering::SeqCst);
        self.state.release();
        // Wakes the accept loop so that it sees `stopped`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Answers create and cancel; holds a Part's connection, unread, until
/// `parts` are held, then closes it.
fn serve(mut stream: TcpStream, state: &State, parts: usize) {
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    loop {
        let Some((path, length, mut body_read)) = read_head(&mut stream) else {
            return;
        };
        if path.ends_with("/parts") {
            if state.parts.fetch_add(1, Ordering::SeqCst) + 1 >= parts {
                // The last one's first bytes are on their way; let the
                // client's reads catch up before letting go.
                std::thread::sleep(Duration::from_millis(300));
                state.release();
            }
            state.wait_released();
            return;
        }
        while body_read < length {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => body_read += n,
            }
        }
        let body = if path.ends_with("/cancel") {
            state.cancels.fetch_add(1, Ordering::SeqCst);
            CANCELLED
        } else {
            UPLOAD
        };
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// A request's path, its content length, and how much of its body came
/// with the head.
fn read_head(stream: &mut TcpStream) -> Option<(String, usize, usize)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let path = head.split_whitespace().nth(1)?.to_owned();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            return Some((path, length, buffer.len() - end - 4));
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Uploads a sparse file of `parts` 64 MiB Parts, `parts` at once, to a
/// server that stalls them all; the client's exit code, stderr and peak
/// RSS in KiB.
fn stalled_upload(parts: u64) -> (i32, String, i64) {
    let server = Stalling::start(parts as usize);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.bin");
    std::fs::File::create(&file)
        .unwrap()
        .set_len(parts * PART_SIZE)
        .unwrap();
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("openai"));
    support::clean_env(&mut cmd);
    cmd.env("OPENAI_UPLOAD_JOURNAL_DIR", dir.path().join("journals"))
        .args([
            "--base-url",
            &format!("http://127.0.0.1:{}/v1", server.port),
        ])
        .args(["--api-key", "sk-test", "--max-retries", "0"])
        .args(["uploads", "upload", file.to_str().unwrap()])
        .args(["--purpose", "fine-tune", "--part-size", "64MiB"])
        .args(["--concurrency", &parts.to_string()])
        .args(["--part-retries", "0", "--progress", "none"])
        .stdin(Stdio::null());
    let (code, stderr, peak_kib) = support::run_measured(cmd);
    assert_eq!(
        server.state.parts.load(Ordering::SeqCst),
        parts as usize,
        "every Part was in flight at once: {stderr}"
    );
    assert_eq!(server.state.cancels.load(Ordering::SeqCst), 1, "{stderr}");
    (code, stderr, peak_kib)
}

#[test]
fn memory_stays_bounded_with_sixteen_64_mib_parts_in_flight() {
    let (code, stderr, one) = stalled_upload(1);
    assert_eq!(code, 1, "{stderr}");
    let (code, stderr, sixteen) = stalled_upload(16);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("Cancelled Upload upload_mem."), "{stderr}");
    eprintln!("peak RSS: {one} KiB with 1 Part in flight, {sixteen} KiB with 16");
    // Holding the Parts would take 16 x 64 MiB; streaming them, each takes
    // about 1 MiB. The absolute bound leaves room for what a loaded machine
    // maps of the debug binary.
    assert!(
        sixteen - one < 48 * 1024,
        "16 Parts in flight took {} KiB more than 1",
        sixteen - one
    );
    assert!(sixteen < 192 * 1024, "peak RSS {sixteen} KiB");
}
