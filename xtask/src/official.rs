//! The official CLI's own uploads tests, run unchanged against Steady.
//!
//! `openai/openai-cli` v1.8.0 tests its uploads commands in `pkg/cmd/upload_test.go` and
//! `pkg/cmd/uploadpart_test.go`: eight runs of `openai --base-url MOCK ARGS`, stdin always
//! a pipe (empty, or the test's bytes, then closed), passing when the exit status is 0.
//! [`CASES`] are those eight argument lists and stdins, byte for byte. Each must exit 0,
//! send the one request its test means, and get `x-steady-request-valid: true` back.
//!
//! The official harness passes no `--debug`, so the verdict cannot come from our debug log:
//! a small relay between `openai` and Steady records the bytes both ways and reads the
//! header from Steady's reply.
//!
//! `cargo xtask conformance` runs them against Steady serving `spec/openapi.yaml`;
//! `cargo xtask official URL` against any Steady already running, e.g. one serving
//! OpenAI's published document (by hand: the build never needs that file).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value as Json, json};

use crate::util;

const CALL_TIMEOUT: Duration = Duration::from_secs(60);
const VALID_HEADER: &str = "x-steady-request-valid";
/// What `mocktest.TestFile(t, "Example data")` writes, as `file.txt` in a fresh directory.
const TEST_FILE_CONTENTS: &str = "Example data";

/// One official test: its name, the arguments after `--base-url MOCK`, and its stdin.
struct Case {
    name: &'static str,
    args: &'static [&'static str],
    stdin: Stdin,
    expect: Expect,
}

enum Stdin {
    /// `pipeData == nil`: a pipe that is closed at once.
    Empty,
    Bytes(&'static str),
    /// `data: ` and the test file's absolute path, no newline (`uploadpart_test.go`).
    DataPath,
}

/// The request the test means.
enum Expect {
    Json {
        path: &'static str,
        body: fn() -> Json,
    },
    NoBody {
        path: &'static str,
    },
    /// A multipart body with the test file as the `data` part.
    Part {
        path: &'static str,
    },
}

/// Every test starts with these (the literal word `string` is the value).
const KEYS: [&str; 4] = ["--api-key", "string", "--admin-api-key", "string"];
/// `{file}` in an argument is the test file's absolute path.
const FILE: &str = "{file}";

fn create_body() -> Json {
    json!({"bytes": 0, "expires_after": {"anchor": "created_at", "seconds": 3600},
           "filename": "filename", "mime_type": "mime_type", "purpose": "assistants"})
}

fn complete_body() -> Json {
    json!({"md5": "md5", "part_ids": ["string"]})
}

const CASES: [Case; 8] = [
    Case {
        name: "TestUploadsCreate/regular_flags",
        args: &[
            "uploads",
            "create",
            "--bytes",
            "0",
            "--filename",
            "filename",
            "--mime-type",
            "mime_type",
            "--purpose",
            "assistants",
            "--expires-after",
            "{anchor: created_at, seconds: 3600}",
        ],
        stdin: Stdin::Empty,
        expect: Expect::Json {
            path: "/uploads",
            body: create_body,
        },
    },
    Case {
        name: "TestUploadsCreate/inner_flags",
        args: &[
            "uploads",
            "create",
            "--bytes",
            "0",
            "--filename",
            "filename",
            "--mime-type",
            "mime_type",
            "--purpose",
            "assistants",
            "--expires-after.anchor",
            "created_at",
            "--expires-after.seconds",
            "3600",
        ],
        stdin: Stdin::Empty,
        expect: Expect::Json {
            path: "/uploads",
            body: create_body,
        },
    },
    Case {
        name: "TestUploadsCreate/piping_data",
        args: &["uploads", "create"],
        stdin: Stdin::Bytes(
            "bytes: 0\nfilename: filename\nmime_type: mime_type\npurpose: assistants\n\
             expires_after:\n  anchor: created_at\n  seconds: 3600\n",
        ),
        expect: Expect::Json {
            path: "/uploads",
            body: create_body,
        },
    },
    Case {
        name: "TestUploadsCancel/regular_flags",
        args: &["uploads", "cancel", "--upload-id", "upload_abc123"],
        stdin: Stdin::Empty,
        expect: Expect::NoBody {
            path: "/uploads/upload_abc123/cancel",
        },
    },
    Case {
        name: "TestUploadsComplete/regular_flags",
        args: &[
            "uploads",
            "complete",
            "--upload-id",
            "upload_abc123",
            "--part-id",
            "string",
            "--md5",
            "md5",
        ],
        stdin: Stdin::Empty,
        expect: Expect::Json {
            path: "/uploads/upload_abc123/complete",
            body: complete_body,
        },
    },
    Case {
        name: "TestUploadsComplete/piping_data",
        args: &["uploads", "complete", "--upload-id", "upload_abc123"],
        stdin: Stdin::Bytes("part_ids:\n  - string\nmd5: md5\n"),
        expect: Expect::Json {
            path: "/uploads/upload_abc123/complete",
            body: complete_body,
        },
    },
    Case {
        name: "TestUploadsPartsCreate/regular_flags",
        args: &[
            "uploads:parts",
            "create",
            "--upload-id",
            "upload_abc123",
            "--data",
            FILE,
        ],
        stdin: Stdin::Empty,
        expect: Expect::Part {
            path: "/uploads/upload_abc123/parts",
        },
    },
    Case {
        name: "TestUploadsPartsCreate/piping_data",
        args: &["uploads:parts", "create", "--upload-id", "upload_abc123"],
        stdin: Stdin::DataPath,
        expect: Expect::Part {
            path: "/uploads/upload_abc123/parts",
        },
    },
];

/// `cargo xtask official URL`: the cases against the Steady at `url`
/// (`http://127.0.0.1:PORT`, no path), with a table of the outcomes.
pub fn run_against(url: &str) -> Result<(), String> {
    let port = url
        .strip_prefix("http://127.0.0.1:")
        .or_else(|| url.strip_prefix("http://localhost:"))
        .and_then(|port| port.trim_end_matches('/').parse::<u16>().ok())
        .ok_or_else(|| format!("`{url}` is not http://127.0.0.1:PORT"))?;
    println!("==> building openai");
    util::run(&mut util::cargo(["build", "--quiet", "-p", "openai-cli"]))?;
    let (passed, failed) = run(&util::debug_bin("openai"), port)?;
    println!("official: {passed} passed, {failed} failed");
    if failed > 0 {
        return Err(format!("{failed} official case(s) failed"));
    }
    Ok(())
}

/// Runs every case against the Steady on `steady_port`; prints one line per case and
/// returns how many passed and failed.
pub fn run(openai: &Path, steady_port: u16) -> Result<(usize, usize), String> {
    let relay = Relay::start(steady_port).map_err(|e| format!("cannot start the relay: {e}"))?;
    let mock = format!("http://127.0.0.1:{}", relay.port);
    println!("==> the official CLI's uploads tests, unchanged (openai --base-url {mock} ...)");
    let (mut passed, mut failed) = (0, 0);
    for case in &CASES {
        let problems = run_case(openai, &mock, &relay, case);
        let shown = shown_args(case);
        if problems.is_empty() {
            passed += 1;
            println!("  ok    {}: {shown}", case.name);
        } else {
            failed += 1;
            println!("  FAIL  {}: {shown}", case.name);
            for problem in problems {
                println!("        {}", problem.replace('\n', "\n        "));
            }
        }
    }
    Ok((passed, failed))
}

fn shown_args(case: &Case) -> String {
    let quote = |arg: &str| {
        if arg.contains(' ') {
            format!("'{arg}'")
        } else {
            arg.to_owned()
        }
    };
    let mut shown: Vec<String> = KEYS.iter().chain(case.args).map(|a| quote(a)).collect();
    match case.stdin {
        Stdin::Empty => {}
        Stdin::Bytes(_) | Stdin::DataPath => shown.push("< stdin".into()),
    }
    shown.join(" ")
}

fn run_case(openai: &Path, mock: &str, relay: &Relay, case: &Case) -> Vec<String> {
    let dir = util::target_dir()
        .join("conformance/official")
        .join(case.name.replace('/', "-"));
    let file = match test_file(&dir) {
        Ok(file) => file,
        Err(e) => return vec![e],
    };
    let file = file.to_string_lossy().into_owned();
    let mut command = Command::new(openai);
    command
        .args(["--base-url", mock])
        .args(KEYS)
        .args(case.args.iter().map(|arg| arg.replace(FILE, &file)));
    util::without_openai_env(&mut command);
    let stdin = match case.stdin {
        Stdin::Empty => String::new(),
        Stdin::Bytes(bytes) => bytes.to_owned(),
        Stdin::DataPath => format!("data: {file}"),
    };
    relay.take();
    let finished = match util::output_with_input(&mut command, Some(stdin.as_bytes()), CALL_TIMEOUT)
    {
        Ok(finished) => finished,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    if !finished.status.success() {
        problems.push(format!("exited with {}", finished.status));
    }
    let exchanges = relay.take();
    let requests: Vec<Request> = exchanges
        .iter()
        .flat_map(|e| requests(&e.request))
        .collect();
    let verdicts: Vec<String> = exchanges
        .iter()
        .flat_map(|e| header_values(&e.response, VALID_HEADER))
        .collect();
    match requests.as_slice() {
        [request] => problems.extend(request_problems(request, &case.expect)),
        other => problems.push(format!("sent {} requests, not 1", other.len())),
    }
    if verdicts.is_empty() {
        problems.push(format!("Steady's reply has no `{VALID_HEADER}` header"));
    } else if verdicts.iter().any(|v| v != "true") {
        problems.push(format!(
            "Steady judged the request invalid ({VALID_HEADER}: {verdicts:?})"
        ));
    }
    if !problems.is_empty() {
        problems.push(format!(
            "stdout:\n{}\nstderr:\n{}",
            finished.stdout.trim_end(),
            finished.stderr.trim_end()
        ));
    }
    problems
}

/// `file.txt` holding `Example data` in `dir` (created afresh); its absolute path.
fn test_file(dir: &Path) -> Result<PathBuf, String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let file = dir.join("file.txt");
    std::fs::write(&file, TEST_FILE_CONTENTS)
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    std::path::absolute(&file).map_err(|e| format!("no absolute path for {}: {e}", file.display()))
}

/// One HTTP request as the relay saw it.
#[derive(Debug, PartialEq)]
struct Request {
    method: String,
    path: String,
    /// Lower-case names.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn request_problems(request: &Request, expect: &Expect) -> Vec<String> {
    let mut problems = Vec::new();
    let path = match expect {
        Expect::Json { path, .. } | Expect::NoBody { path } | Expect::Part { path } => path,
    };
    if request.method != "POST" || request.path != *path {
        problems.push(format!(
            "sent {} {}, not POST {path}",
            request.method, request.path
        ));
    }
    match expect {
        Expect::Json { body, .. } => {
            if request.header("content-type") != Some("application/json") {
                problems.push(format!(
                    "content-type {:?}, not application/json",
                    request.header("content-type")
                ));
            }
            match serde_json::from_slice::<Json>(&request.body) {
                Ok(sent) if sent == body() => {}
                Ok(sent) => problems.push(format!("sent the body {sent}, not {}", body())),
                Err(e) => problems.push(format!("the body is not JSON: {e}")),
            }
        }
        Expect::NoBody { .. } => {
            if !request.body.is_empty() {
                problems.push(format!(
                    "sent a body ({} bytes) where there is none",
                    request.body.len()
                ));
            }
        }
        Expect::Part { .. } => {
            let multipart = request
                .header("content-type")
                .is_some_and(|t| t.starts_with("multipart/form-data; boundary="));
            if !multipart {
                problems.push(format!(
                    "content-type {:?}, not multipart/form-data",
                    request.header("content-type")
                ));
            }
            let body = String::from_utf8_lossy(&request.body);
            let part = format!("\r\n\r\n{TEST_FILE_CONTENTS}\r\n");
            if !body.contains("name=\"data\"; filename=\"file.txt\"") || !body.contains(&part) {
                problems.push(format!(
                    "the `data` part is not file.txt with `{TEST_FILE_CONTENTS}`:\n{body}"
                ));
            }
        }
    }
    problems
}

/// The requests in the bytes a client sent on one connection (bodies by Content-Length).
fn requests(mut bytes: &[u8]) -> Vec<Request> {
    let mut found = Vec::new();
    while let Some(end) = find(bytes, b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut start = lines.next().unwrap_or_default().split(' ');
        let method = start.next().unwrap_or_default().to_owned();
        let path = start.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let rest = &bytes[end + 4..];
        let body = rest[..length.min(rest.len())].to_vec();
        bytes = &rest[length.min(rest.len())..];
        found.push(Request {
            method,
            path,
            headers,
            body,
        });
    }
    found
}

/// The values of header `name` in the replies on one connection.
fn header_values(bytes: &[u8], name: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    text.split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_owned())
        .collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The bytes of one connection, both ways.
#[derive(Debug, Default, Clone)]
struct Exchange {
    request: Vec<u8>,
    response: Vec<u8>,
}

type Shared<T> = Arc<Mutex<T>>;

/// A TCP relay on 127.0.0.1 in front of Steady that records each connection's bytes.
/// Bytes are recorded before they are passed on, so once `openai` has exited, everything
/// it sent and received is recorded.
struct Relay {
    port: u16,
    connections: Shared<Vec<Shared<Exchange>>>,
}

impl Relay {
    fn start(upstream: u16) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let port = listener.local_addr()?.port();
        let connections: Shared<Vec<Shared<Exchange>>> = Arc::default();
        let list = connections.clone();
        // Lives as long as xtask: accepts until the process ends.
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let exchange: Shared<Exchange> = Arc::default();
                lock(&list).push(exchange.clone());
                std::thread::spawn(move || relay(client, upstream, &exchange));
            }
        });
        Ok(Self { port, connections })
    }

    /// The connections recorded since the last call.
    fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *lock(&self.connections))
            .iter()
            .map(|exchange| lock(exchange).clone())
            .collect()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn relay(client: TcpStream, upstream: u16, exchange: &Shared<Exchange>) {
    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let (Ok(client_in), Ok(server_out)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let to_server = exchange.clone();
    let upstream_copy =
        std::thread::spawn(move || copy(client_in, server_out, &to_server, |e| &mut e.request));
    copy(server, client, exchange, |e| &mut e.response);
    let _ = upstream_copy.join();
}

/// Copies `from` to `to` until either ends, recording each chunk first.
fn copy(
    mut from: TcpStream,
    mut to: TcpStream,
    exchange: &Shared<Exchange>,
    side: fn(&mut Exchange) -> &mut Vec<u8>,
) {
    let mut buffer = [0; 16 * 1024];
    loop {
        match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                side(&mut lock(exchange)).extend_from_slice(&buffer[..n]);
                if to.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cases_are_the_official_tests() {
        assert_eq!(CASES.len(), 8);
        let Stdin::Bytes(create) = CASES[2].stdin else {
            panic!("piping_data has bytes");
        };
        assert_eq!(create.len(), 121, "the 121 bytes of upload_test.go");
        let Stdin::Bytes(complete) = CASES[5].stdin else {
            panic!("piping_data has bytes");
        };
        assert_eq!(complete.len(), 30, "the 30 bytes of upload_test.go");
        for case in &CASES {
            assert!(case.args[0] == "uploads" || case.args[0] == "uploads:parts");
        }
    }

    #[test]
    fn requests_and_headers_are_read_from_the_bytes() {
        let sent = b"POST /uploads HTTP/1.1\r\nContent-Type: application/json\r\ncontent-length: 2\r\n\r\n{}\
POST /uploads/u/cancel HTTP/1.1\r\nhost: x\r\n\r\n";
        let found = requests(sent);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].path, "/uploads");
        assert_eq!(found[0].header("content-type"), Some("application/json"));
        assert_eq!(found[0].body, b"{}");
        assert_eq!((found[1].method.as_str(), found[1].body.len()), ("POST", 0));
        let reply = b"HTTP/1.1 200 OK\r\nX-Steady-Request-Valid: true\r\n\r\n{}";
        assert_eq!(header_values(reply, VALID_HEADER), ["true"]);
    }

    #[test]
    fn a_wrong_request_is_reported() {
        let request = Request {
            method: "POST".into(),
            path: "/uploads".into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: br#"{"bytes": 1}"#.to_vec(),
        };
        let problems = request_problems(&request, &CASES[0].expect);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("sent the body"), "{problems:?}");
        assert!(request_problems(&request, &CASES[3].expect).len() == 2);
    }
}
