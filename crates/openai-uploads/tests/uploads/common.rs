//! Shared by the integration tests: fixtures, a client for a mock server,
//! and a raw TCP server for what wiremock cannot do (hangs, closed sockets).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use md5::{Digest as _, Md5};
use openai_uploads::{Client, ClientBuilder, UploadEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A key that must never show up in output.
pub const KEY: &str = "sk-test-DO-NOT-PRINT-4f2a9c";

/// The reply of the seed's example.
pub use test_support::UPLOAD_JSON;

/// A builder aimed at `base` (a server root such as wiremock's `uri()`) + `/v1`,
/// with fast, bounded settings.
pub fn builder(base: &str) -> ClientBuilder {
    Client::builder()
        .api_key(KEY)
        .base_url(format!("{base}/v1"))
        .timeout(Duration::from_secs(10))
}

pub fn client(base: &str) -> Client {
    builder(base).build().expect("client builds")
}

/// A 200 with the Upload JSON.
pub fn upload_reply() -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(200)
        .insert_header("content-type", "application/json")
        .insert_header("x-request-id", "req_ok")
        .set_body_string(UPLOAD_JSON)
}

/// Fails if the key appears in the error's Display or Debug text.
pub fn assert_no_key(error: &(impl std::fmt::Display + std::fmt::Debug)) {
    let display = error.to_string();
    let debug = format!("{error:?}");
    assert!(!display.contains(KEY), "key in Display: {display}");
    assert!(!debug.contains(KEY), "key in Debug: {debug}");
    assert!(
        !display.contains('\n'),
        "Display is not one line: {display}"
    );
}

/// What the raw server does with one request.
#[derive(Clone, Debug)]
pub enum Act {
    /// Writes these bytes, a complete HTTP response.
    Reply(String),
    /// Writes these bytes, then closes the connection.
    ReplyAndClose(String),
    /// Reads the request and never answers.
    Hang,
    /// Reads the request and closes the connection.
    Close,
}

pub fn ok_reply(body: &str) -> Act {
    Act::Reply(format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    ))
}

/// A raw HTTP/1.1 server on 127.0.0.1: the n-th request gets `acts[n]`
/// (the last one repeats). Counts requests.
pub struct RawServer {
    pub addr: SocketAddr,
    requests: Arc<AtomicUsize>,
}

impl RawServer {
    pub async fn start(acts: Vec<Act>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(AtomicUsize::new(0));
        let acts = Arc::new(acts);
        let counter = requests.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, acts.clone(), counter.clone()));
            }
        });
        Self { addr, requests }
    }

    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

async fn serve(mut stream: TcpStream, acts: Arc<Vec<Act>>, counter: Arc<AtomicUsize>) {
    let mut buffer = Vec::new();
    loop {
        if !read_request(&mut stream, &mut buffer).await {
            return;
        }
        let n = counter.fetch_add(1, Ordering::SeqCst);
        match &acts[n.min(acts.len() - 1)] {
            Act::Reply(text) => {
                if stream.write_all(text.as_bytes()).await.is_err() {
                    return;
                }
            }
            Act::ReplyAndClose(text) => {
                let _ = stream.write_all(text.as_bytes()).await;
                return;
            }
            Act::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            Act::Close => return,
        }
    }
}

/// Reads one request (head and content-length body). False on EOF.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            let total = end + 4 + length;
            if buffer.len() >= total {
                buffer.drain(..total);
                return true;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Guards against hangs: fails the test if `future` takes over 20 s.
pub async fn bounded<F: std::future::IntoFuture>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), future)
        .await
        .expect("call finished in time")
}

/// The md5 of `bytes` in lower-case hex, as the uploader sends it.
pub fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every uploader event but progress, in order (progress is too timing
/// dependent to assert).
#[derive(Default)]
pub struct Recorded(Mutex<Vec<UploadEvent>>);

impl Recorded {
    pub fn record(&self, event: &UploadEvent) {
        if !matches!(event, UploadEvent::Progress { .. }) {
            self.0.lock().unwrap().push(event.clone());
        }
    }

    pub fn take(&self) -> Vec<UploadEvent> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// The fake API with no seeded Uploads, so every Upload a test sees is its own.
pub fn fake(config: openai_fake::Config) -> openai_fake::Fake {
    openai_fake::Fake::start(openai_fake::Config {
        seed: false,
        ..config
    })
    .unwrap()
}

/// Bytes that differ from part to part, so order mistakes show (and the fake
/// tells flaky Parts apart by their md5).
pub fn pattern(len: u64) -> Vec<u8> {
    (0..len)
        .map(|i| (i * 131 + i / 1021) as u8)
        .collect::<Vec<_>>()
}
