//! Streams and downloads at their edges, through the binary: events that
//! arrive a byte at a time, a silent stream, an event past the cap, a stream
//! with no `[DONE]`, Ctrl-C mid-stream; server-chosen file names, a download
//! that breaks off, `-o -`, and `-o` to a FIFO or a link.
//!
//! These need a server that controls every write and can fall silent, so
//! they use a small scripted one rather than wiremock.

#![cfg(unix)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{self, HANG_GUARD, SECRET, clean_env, filled_pipe, output_within};

/// What the scripted server does after the head of its reply.
#[derive(Clone)]
enum Step {
    /// Writes these bytes at once.
    Send(Vec<u8>),
    /// Writes these bytes one at a time, each flushed and apart.
    Dribble(Vec<u8>),
    /// Sends nothing more, and keeps the connection until the client goes.
    Hold,
}

/// A server on 127.0.0.1 that answers every request with `head` and then
/// plays `steps`; the connection closes after the last step.
fn scripted(head: &str, steps: Vec<Step>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let head = head.to_owned();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let (head, steps) = (head.clone(), steps.clone());
            std::thread::spawn(move || play(stream, &head, &steps));
        }
    });
    url
}

fn play(mut stream: TcpStream, head: &str, steps: &[Step]) {
    stream.set_nodelay(true).unwrap();
    stream.set_read_timeout(Some(HANG_GUARD)).unwrap();
    if read_request(&mut stream).is_none() {
        return;
    }
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    for step in steps {
        let sent = match step {
            Step::Send(bytes) => stream.write_all(bytes),
            Step::Dribble(bytes) => bytes.iter().try_for_each(|byte| {
                stream.write_all(std::slice::from_ref(byte))?;
                stream.flush()?;
                // Apart, so that each byte is a read of its own.
                std::thread::sleep(Duration::from_millis(2));
                Ok(())
            }),
            Step::Hold => {
                // Until the client closes (0) or goes away (an error).
                let _ = stream.read(&mut [0; 1]);
                Ok(())
            }
        };
        if sent.is_err() {
            return;
        }
    }
}

/// Reads one request, head and `content-length` body; `None` if the client went.
fn read_request(stream: &mut TcpStream) -> Option<()> {
    let mut seen = Vec::new();
    let mut byte = [0; 1];
    while !seen.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        seen.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&seen).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map_or(0, |n| n.trim().parse().unwrap());
    let mut body = vec![0; length];
    stream.read_exact(&mut body).ok()
}

const EVENTS: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";

/// `openai --base-url URL --api-key SECRET ARGS`, with an empty stdin.
fn openai(url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_openai"));
    clean_env(&mut cmd);
    cmd.args(["--base-url", url, "--api-key", SECRET])
        .args(args)
        .stdin(filled_pipe(Vec::new()));
    cmd
}

struct Outcome {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

fn outcome(cmd: Command) -> Outcome {
    let output = output_within(cmd, HANG_GUARD).expect("the binary ends before the hang guard");
    let stderr = support::text(&output.stderr);
    assert!(!stderr.contains(SECRET), "{stderr}");
    Outcome {
        code: output.status.code().expect("exited, not killed"),
        stdout: output.stdout,
        stderr,
    }
}

const STREAM_ARGS: [&str; 10] = [
    "responses",
    "create",
    "--model",
    "m",
    "--input",
    "hi",
    "--stream",
    "true",
    "--format",
    "jsonl",
];

#[test]
fn events_that_arrive_a_byte_at_a_time_print_whole() {
    // A BOM, CRLF, bare CR and LF line ends, a comment, data on two lines,
    // and a two-byte character, every byte a read of its own.
    let events = "\u{feff}data: {\"n\":1,\"s\":\"\u{e9}\"}\r\n\r\n\
                  : keep-alive\r\r\
                  data: {\"n\":2,\ndata: \"t\":\"x\"}\n\n\
                  data: [DONE]\n\n";
    let url = scripted(EVENTS, vec![Step::Dribble(events.as_bytes().to_vec())]);
    let run = outcome(openai(&url, &STREAM_ARGS));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        support::text(&run.stdout),
        // The two data lines joined with a line feed, a JSON space that
        // `jsonl` leaves out.
        "{\"n\":1,\"s\":\"\u{e9}\"}\n{\"n\":2,\"t\":\"x\"}\n"
    );
}

#[test]
fn a_stream_that_ends_without_done_keeps_what_it_sent() {
    let url = scripted(EVENTS, vec![Step::Send(b"data: {\"n\":1}\n\n".to_vec())]);
    let run = outcome(openai(&url, &STREAM_ARGS));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(support::text(&run.stdout), "{\"n\":1}\n");
}

#[test]
fn a_silent_stream_ends_at_the_idle_timeout_with_exit_1() {
    let url = scripted(
        EVENTS,
        vec![Step::Send(b"data: {\"n\":1}\n\n".to_vec()), Step::Hold],
    );
    let mut cmd = openai(&url, &STREAM_ARGS);
    // Far shorter than --timeout, which a stream meets with its headers.
    cmd.args(["--stream-idle-timeout", "0.3", "--timeout", "600"]);
    let run = outcome(cmd);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(support::text(&run.stdout), "{\"n\":1}\n");
    assert!(run.stderr.contains("sent nothing"), "{}", run.stderr);
}

#[test]
fn an_event_past_the_cap_is_abandoned_with_exit_1() {
    // 17 MiB of one event that never ends: past the 16 MiB cap.
    let mut huge = b"data: {\"n\":1}\n\ndata: ".to_vec();
    huge.resize(huge.len() + 17 * 1024 * 1024, b'a');
    let url = scripted(EVENTS, vec![Step::Send(huge), Step::Hold]);
    let run = outcome(openai(&url, &STREAM_ARGS));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(support::text(&run.stdout), "{\"n\":1}\n");
    assert!(run.stderr.contains("larger than"), "{}", run.stderr);
}

#[test]
fn ctrl_c_ends_a_stream_with_exit_130_and_keeps_what_was_printed() {
    let url = scripted(
        EVENTS,
        vec![Step::Send(b"data: {\"n\":1}\n\n".to_vec()), Step::Hold],
    );
    let mut cmd = openai(&url, &STREAM_ARGS);
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first event is out: the stream is open and being printed.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = vec![0; "{\"n\":1}\n".len()];
    stdout.read_exact(&mut first).unwrap();
    assert_eq!(first, b"{\"n\":1}\n");
    support::send_signal(&child, libc::SIGINT);
    let output = support::wait_within(child, HANG_GUARD).expect("it ends on Ctrl-C");
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        support::text(&output.stderr)
    );
}

/// A download reply of `body` with these extra header lines.
fn file_reply(extra: &str, body: &[u8]) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\
         content-length: {}\r\n{extra}connection: close\r\n\r\n",
        body.len()
    )
}

const BINARY: &[u8] = b"\x00\xffbinary\x1b[31m";

/// A server whose `files content` reply is `BINARY` named by `disposition`.
fn named(disposition: &str) -> String {
    let head = file_reply(&format!("content-disposition: {disposition}\r\n"), BINARY);
    scripted(&head, vec![Step::Send(BINARY.to_vec())])
}

/// Runs `files content` in `dir` with stdout on a terminal, which is when
/// the server's name is used.
fn download_on_a_terminal(url: &str, dir: &Path, extra: &[&str]) -> Outcome {
    let (master, slave) = support::pty();
    let mut cmd = openai(url, &[&["files", "content", "file-1"][..], extra].concat());
    cmd.current_dir(dir).stdout(Stdio::from(slave));
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        // Ends with EIO once the child, the last holder of the slave, exits.
        let _ = std::fs::File::from(master).read_to_end(&mut all);
        all
    });
    let output = output_within_keeping_stdout(cmd);
    let stdout = reader.join().unwrap();
    let stderr = support::text(&output.stderr);
    assert!(!stderr.contains(SECRET), "{stderr}");
    Outcome {
        code: output.status.code().expect("exited, not killed"),
        stdout,
        stderr,
    }
}

/// [`output_within`] for a command whose stdout is already set.
fn output_within_keeping_stdout(mut cmd: Command) -> std::process::Output {
    let child = cmd.stderr(Stdio::piped()).spawn().unwrap();
    // The command (and with it our copy of the pty's slave) goes here.
    drop(cmd);
    support::wait_within(child, HANG_GUARD).expect("the binary ends before the hang guard")
}

/// The names in `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn a_server_chosen_name_becomes_a_plain_file_name_here() {
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "mine").unwrap();
    let cases = [
        (r#"attachment; filename="../../x""#.to_owned(), "x"),
        (
            format!(r#"attachment; filename="{}""#, victim.display()),
            "victim",
        ),
        (
            "attachment; filename*=UTF-8''%1B%5B31mred%07.txt".to_owned(),
            "[31mred.txt",
        ),
        (r#"attachment; filename="""#.to_owned(), "download"),
        (r#"attachment; filename=".bashrc""#.to_owned(), "bashrc"),
        ("inline".to_owned(), "download"),
    ];
    for (disposition, expected) in cases {
        let root = tempfile::tempdir().unwrap();
        let here = root.path().join("a/b");
        std::fs::create_dir_all(&here).unwrap();
        let run = download_on_a_terminal(&named(&disposition), &here, &[]);
        assert_eq!(run.code, 0, "{disposition}: {}", run.stderr);
        assert_eq!(names(&here), [expected], "{disposition}");
        assert_eq!(std::fs::read(here.join(expected)).unwrap(), BINARY);
        assert!(
            run.stdout.is_empty(),
            "{disposition}: bytes on the terminal"
        );
        assert!(
            run.stderr.contains(&format!("Wrote output to: {expected}")),
            "{disposition}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains('\u{1b}'), "{}", run.stderr);
        assert_eq!(names(root.path()), ["a"], "{disposition}");
        assert_eq!(names(&root.path().join("a")), ["b"], "{disposition}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "mine");
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(here.join(expected))
                .unwrap()
                .permissions(),
        );
        assert_eq!(mode & 0o777, 0o600, "{disposition}");
    }
}

#[test]
fn a_server_chosen_name_never_replaces_a_file_without_force() {
    let here = tempfile::tempdir().unwrap();
    std::fs::write(here.path().join("x.bin"), "mine").unwrap();
    let url = named(r#"attachment; filename="x.bin""#);
    let kept = download_on_a_terminal(&url, here.path(), &[]);
    assert_eq!(kept.code, 2, "{}", kept.stderr);
    assert!(kept.stderr.contains("--force"), "{}", kept.stderr);
    assert_eq!(std::fs::read(here.path().join("x.bin")).unwrap(), b"mine");
    assert_eq!(names(here.path()), ["x.bin"]);

    let forced = download_on_a_terminal(&url, here.path(), &["--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(std::fs::read(here.path().join("x.bin")).unwrap(), BINARY);
}

#[test]
fn a_download_that_breaks_off_leaves_no_file() {
    let here = tempfile::tempdir().unwrap();
    let whole = vec![7u8; 100_000];
    // It promises 100 000 bytes and sends 10 000.
    let url = scripted(
        &file_reply("", &whole),
        vec![Step::Send(whole[..10_000].to_vec())],
    );
    let target = here.path().join("out.bin");
    let mut cmd = openai(&url, &["files", "content", "file-1", "-o"]);
    cmd.arg(&target).args(["--max-retries", "0"]);
    let run = outcome(cmd);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(names(here.path()), Vec::<String>::new());

    // A file already there is left as it was.
    std::fs::write(&target, "mine").unwrap();
    let mut again = openai(&url, &["files", "content", "file-1", "-o"]);
    again.arg(&target).args(["--max-retries", "0"]);
    assert_eq!(outcome(again).code, 1);
    assert_eq!(names(here.path()), ["out.bin"]);
    assert_eq!(std::fs::read(&target).unwrap(), b"mine");
}

#[test]
fn dash_o_dash_writes_the_bytes_to_stdout_as_received() {
    let url = named(r#"attachment; filename="ignored.bin""#);
    let here = tempfile::tempdir().unwrap();
    let mut cmd = openai(&url, &["files", "content", "file-1", "-o", "-"]);
    cmd.current_dir(here.path());
    let run = outcome(cmd);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, BINARY);
    assert_eq!(names(here.path()), Vec::<String>::new());
}

#[test]
fn dash_o_to_a_fifo_writes_it_and_it_stays_a_fifo() {
    use std::os::unix::fs::FileTypeExt;
    let here = tempfile::tempdir().unwrap();
    let fifo = here.path().join("pipe");
    let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid C string and mode.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let reading = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let url = named(r#"attachment; filename="ignored.bin""#);
    let mut cmd = openai(&url, &["files", "content", "file-1", "-o"]);
    cmd.arg(&fifo);
    let run = outcome(cmd);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(reading.join().unwrap(), BINARY);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert_eq!(names(here.path()), ["pipe"]);
}

#[test]
fn dash_o_to_a_link_replaces_its_target_and_it_stays_a_link() {
    let here = tempfile::tempdir().unwrap();
    let target = here.path().join("real.bin");
    let link = here.path().join("link.bin");
    std::fs::write(&target, "old").unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let url = named(r#"attachment; filename="ignored.bin""#);
    let mut cmd = openai(&url, &["files", "content", "file-1", "-o"]);
    cmd.arg(&link);
    let run = outcome(cmd);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&target).unwrap(), BINARY);
    assert_eq!(names(here.path()), ["link.bin", "real.bin"]);
}
