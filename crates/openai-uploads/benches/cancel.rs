//! N sequential `cancel` calls on one `Client` against a local keep-alive
//! server, next to the same POST made with a bare `reqwest::Client` (the
//! floor), in one run.
//!
//! The floors send the same headers and decode the same `Upload`:
//! - `bare_reqwest` formats and parses the URL per call, as hand-written code
//!   for `cancel(id)` must (without percent-encoding the id);
//! - `bare_reqwest_fixed_url` reuses one parsed URL: the strictest floor,
//!   which no client taking an id can reach.
//!
//! `cargo bench -p openai-uploads --bench cancel` prints criterion's figures
//! (wall time per call, and client-thread CPU time per call under `cpu/`),
//! then an interleaved summary with calls per second, CPU per call and ratios.
//! `BENCH_ONLY=<name>` makes 3000 calls of one variant and exits, for
//! `valgrind --tool=callgrind` (instruction counts are stable on a busy box).
//!
//! The client runs on a current-thread runtime on the bench thread, so that
//! thread's CPU time is all the client-side work (hyper's connection task
//! included); the server runs on its own thread and is not counted.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::Criterion;
use openai_uploads::{Client, Upload};
use reqwest::header::{ACCEPT, AUTHORIZATION, USER_AGENT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

use test_support::UPLOAD_JSON;
const KEY: &str = "sk-bench";

/// A minimal HTTP/1.1 keep-alive server on its own thread and runtime.
fn start_server() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-request-id: req_bench\r\ncontent-length: {}\r\n\r\n{UPLOAD_JSON}",
        UPLOAD_JSON.len()
    );
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((mut stream, _)) = listener.accept().await {
                stream.set_nodelay(true).unwrap();
                let reply = reply.clone();
                tokio::spawn(async move {
                    let mut buffer = Vec::with_capacity(4096);
                    let mut chunk = [0u8; 4096];
                    loop {
                        // One request: head up to a blank line (no bodies here).
                        while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                            match stream.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                            }
                        }
                        let end = buffer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
                        buffer.drain(..end + 4);
                        if stream.write_all(reply.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
    });
    addr
}

/// The ways of making the call.
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Ours,
    Bare,
    BareFixedUrl,
}

const VARIANTS: [(&str, Variant); 3] = [
    ("openai_uploads", Variant::Ours),
    ("bare_reqwest", Variant::Bare),
    ("bare_reqwest_fixed_url", Variant::BareFixedUrl),
];

struct Callers {
    client: Client,
    bare: reqwest::Client,
    base: String,
    url: reqwest::Url,
    user_agent: String,
}

impl Callers {
    fn new(addr: SocketAddr) -> Self {
        // Built first: it also installs the ring provider reqwest needs.
        let client = Client::builder()
            .api_key(KEY)
            .base_url(format!("http://{addr}/v1"))
            .build()
            .unwrap();
        let bare = reqwest::Client::builder().build().unwrap();
        let base = format!("http://{addr}/v1");
        let url = format!("{base}/uploads/upload_abc123/cancel")
            .parse()
            .unwrap();
        let user_agent = format!("openai-uploads-rs/{}", env!("CARGO_PKG_VERSION"));
        Self {
            client,
            bare,
            base,
            url,
            user_agent,
        }
    }

    async fn ours(&self) -> Upload {
        self.client
            .uploads()
            .cancel(black_box("upload_abc123"))
            .await
            .unwrap()
    }

    /// The floor: the same request, headers and decoding, nothing else.
    async fn floor(&self, fixed_url: bool) -> Upload {
        let request = if fixed_url {
            self.bare.post(self.url.clone())
        } else {
            let id = black_box("upload_abc123");
            self.bare.post(format!("{}/uploads/{id}/cancel", self.base))
        };
        let response = request
            .header(AUTHORIZATION, concat!("Bearer ", "sk-bench"))
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, &self.user_agent)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        let body = response.bytes().await.unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    async fn run(&self, variant: Variant, calls: u64) {
        for _ in 0..calls {
            black_box(match variant {
                Variant::Ours => self.ours().await,
                Variant::Bare => self.floor(false).await,
                Variant::BareFixedUrl => self.floor(true).await,
            });
        }
    }
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Wall and CPU time of `calls` sequential calls.
fn measure(
    runtime: &Runtime,
    callers: &Callers,
    variant: Variant,
    calls: u64,
) -> (Duration, Duration) {
    runtime.block_on(async {
        let cpu = thread_cpu();
        let wall = Instant::now();
        callers.run(variant, calls).await;
        (wall.elapsed(), thread_cpu() - cpu)
    })
}

fn criterion_benches(c: &mut Criterion, runtime: &Runtime, callers: &Callers) {
    for (group, cpu) in [("wall", false), ("cpu", true)] {
        let mut group = c.benchmark_group(group);
        for (name, variant) in VARIANTS {
            group.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    let (wall, cpu_time) = measure(runtime, callers, variant, iters);
                    if cpu { cpu_time } else { wall }
                })
            });
        }
        group.finish();
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Alternating rounds, so every variant sees the same machine noise.
fn summary(runtime: &Runtime, callers: &Callers, rounds: usize, calls: u64) {
    let mut rates = vec![Vec::new(); VARIANTS.len()];
    let mut cpus = vec![Vec::new(); VARIANTS.len()];
    for _ in 0..rounds {
        for (i, (_, variant)) in VARIANTS.into_iter().enumerate() {
            let (wall, cpu) = measure(runtime, callers, variant, calls);
            rates[i].push(calls as f64 / wall.as_secs_f64());
            cpus[i].push(cpu.as_secs_f64() * 1e6 / calls as f64);
        }
    }
    let rates: Vec<f64> = rates.into_iter().map(median).collect();
    let cpus: Vec<f64> = cpus.into_iter().map(median).collect();
    println!("\nsummary: {rounds} alternating rounds of {calls} sequential calls, medians");
    println!(
        "  {:<24} {:>10} {:>12} {:>18} {:>18}",
        "", "calls/s", "CPU µs/call", "ours/this calls/s", "ours/this CPU"
    );
    for (i, (name, _)) in VARIANTS.into_iter().enumerate() {
        println!(
            "  {name:<24} {:>10.0} {:>12.2} {:>18.3} {:>18.3}",
            rates[i],
            cpus[i],
            rates[0] / rates[i],
            cpus[0] / cpus[i]
        );
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let callers = Callers::new(start_server());
    // Warm the pools: one keep-alive connection each.
    for (_, variant) in VARIANTS {
        measure(&runtime, &callers, variant, 100);
    }
    if let Ok(only) = std::env::var("BENCH_ONLY") {
        let (_, variant) = VARIANTS
            .into_iter()
            .find(|(name, _)| *name == only)
            .expect("BENCH_ONLY names a variant");
        measure(&runtime, &callers, variant, 3000);
        return;
    }

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    criterion_benches(&mut criterion, &runtime, &callers);
    criterion.final_summary();

    // `cargo test --benches` passes `--test`: check it runs, keep it short.
    let quick = std::env::args().any(|arg| arg == "--test");
    if quick {
        summary(&runtime, &callers, 1, 10);
    } else {
        summary(&runtime, &callers, 15, 3000);
    }
}
