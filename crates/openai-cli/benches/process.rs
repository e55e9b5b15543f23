//! Whole-process benchmark of `openai uploads cancel` against a local server, side by side
//! with `curl -s -X POST` of the same request, in one run:
//!
//! ```text
//! cargo bench -p openai-cli --bench process          # BENCH_RUNS=N to change the sample size
//! ```
//!
//! Cargo builds the `openai` binary with the bench profile (release settings) for this
//! target and passes its path in `CARGO_BIN_EXE_openai`.
//!
//! Reported: median wall time of each and the ratio, CPU time and peak RSS of our process
//! (from `wait4`), the time of `openai --version`, the binary's size, and the start-up cost of
//! https: a request to a closed local port over `http://` and over `https://` fails at the
//! same point, after the client is built; the difference is the TLS set-up, which with the
//! platform verifier includes loading the root certificates: the platform default (on Debian,
//! the bundle file plus every file in /etc/ssl/certs), `SSL_CERT_FILE` set to the bundle, and
//! `SSL_CERT_FILE` set to a single certificate. SSL_CERT_FILE and SSL_CERT_DIR are cleared
//! for every process this bench starts, except where a case sets one.
//!
//! Last, an https one-shot: the same cancel against a local TLS server (a test CA made
//! with rcgen), trusted as a user would trust a private CA: a bundle of the system's roots
//! plus that CA, given to `openai` as `SSL_CERT_FILE` and to curl as `--cacert`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use test_support::hostile as servers;

const UPLOAD: &str = r#"{"id":"upload_abc123","object":"upload","bytes":2147483648,"created_at":1719184911,"filename":"training_examples.jsonl","purpose":"fine-tune","status":"cancelled","expires_at":1719127296,"file":null}"#;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    // `cargo bench` passes --bench; under `cargo test --all-targets` only check that it works.
    let smoke = !args.iter().any(|a| a == "--bench");
    let bin = Path::new(env!("CARGO_BIN_EXE_openai"));
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200)
        .max(5);

    let port = serve();
    let base = format!("http://127.0.0.1:{port}/v1");
    let ours = our_cancel(&base);
    let curl_args = curl_cancel(&base, &[]);

    check_output(bin, &ours, &[]);
    let tls = HttpsCase::new();
    check_output(bin, &tls.ours, &tls.env());
    if smoke {
        println!("process bench: smoke test passed (run `cargo bench` to measure)");
        return;
    }
    let has_curl = Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());

    println!("openai binary: {}", bin.display());
    println!(
        "binary size: {:.2} MiB ({} bytes)",
        mib(std::fs::metadata(bin).map(|m| m.len()).unwrap_or(0)),
        std::fs::metadata(bin).map(|m| m.len()).unwrap_or(0)
    );
    println!("runs per case: {runs}, server: 127.0.0.1:{port} (keep-alive, HTTP/1.1)\n");

    let curl = has_curl.then_some(curl_args.as_slice());
    let (our_runs, curl_runs) = interleaved(bin, &ours, &[], curl, runs);
    let ours_stats = side_by_side(
        &our_runs,
        "openai uploads cancel (http)",
        &curl_runs,
        "curl -s -X POST (http)",
    );
    if !has_curl {
        println!("curl not found: skipping the comparison");
    }
    println!(
        "peak RSS of openai: max {:.2} MiB, median {:.2} MiB  (goal <= 8 MiB)\n",
        ours_stats.max_rss_kib as f64 / 1024.0,
        ours_stats.median_rss_kib as f64 / 1024.0
    );

    let version: Vec<Sample> = (0..runs)
        .map(|_| spawn(bin, &["--version".to_owned()], &[]))
        .collect();
    Stats::of(&version).print("openai --version");
    let help: Vec<Sample> = (0..runs)
        .map(|_| spawn(bin, &["--help".to_owned()], &[]))
        .collect();
    Stats::of(&help).print("openai --help");
    if Path::new("/bin/true").exists() {
        let floor: Vec<Sample> = (0..runs)
            .map(|_| spawn(Path::new("/bin/true"), &[], &[]))
            .collect();
        Stats::of(&floor).print("/bin/true (process spawn floor)");
    }
    println!();

    if let Some(baseline) = std::env::var_os("BENCH_BASELINE") {
        against_baseline(bin, Path::new(&baseline), &ours, runs);
        println!();
    }

    https_startup(bin, runs);
    println!();
    https_one_shot(bin, runs, &tls, has_curl);
}

/// This binary against another `openai` (`BENCH_BASELINE=PATH`, e.g. an
/// older build), both run in turn in one loop: the one-shot cancel and
/// `--version`, with the ratio of their medians (the whole-API budget:
/// at most 1.10x the 4-operation binary).
fn against_baseline(bin: &Path, baseline: &Path, cancel: &[String], runs: usize) {
    println!("against the baseline {}:", baseline.display());
    println!(
        "binary size: {:.2} MiB vs {:.2} MiB",
        mib(std::fs::metadata(bin).map(|m| m.len()).unwrap_or(0)),
        mib(std::fs::metadata(baseline).map(|m| m.len()).unwrap_or(0))
    );
    let version = ["--version".to_owned()];
    for (label, args) in [("uploads cancel", cancel), ("--version", &version[..])] {
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for round in 0..3 + runs {
            let a = spawn(bin, args, &[]);
            let b = spawn(baseline, args, &[]);
            if round >= 3 {
                ours.push(a);
                theirs.push(b);
            }
        }
        let (ours, theirs) = (Stats::of(&ours), Stats::of(&theirs));
        ours.print(&format!("openai {label} (this build)"));
        theirs.print(&format!("openai {label} (baseline)"));
        println!(
            "ratio this / baseline (median wall): {:.2}x, peak RSS max {:.2} MiB vs {:.2} MiB  (goal <= 1.10x, < 8 MiB)",
            ours.wall_ms / theirs.wall_ms,
            ours.max_rss_kib as f64 / 1024.0,
            theirs.max_rss_kib as f64 / 1024.0
        );
    }
}

/// `openai uploads cancel` and curl over https to a local TLS server whose CA is in a
/// bundle with the system's roots.
struct HttpsCase {
    ours: Vec<String>,
    curl: Vec<String>,
    bundle: std::path::PathBuf,
    _server: servers::Server,
    _dir: tempfile::TempDir,
}

impl HttpsCase {
    fn new() -> Self {
        let pki = servers::Pki::new();
        let server = servers::Server::tls(
            &pki,
            servers::Behaviour::Reply(servers::json_reply("200 OK", UPLOAD)),
            false,
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let bundle = dir.path().join("bundle.crt");
        let mut roots =
            std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt").unwrap_or_default();
        roots.push_str(&pki.ca_pem);
        std::fs::write(&bundle, roots).expect("write the bundle");
        let base = server.url("https");
        let ours = our_cancel(&base);
        let curl = curl_cancel(
            &base,
            &["--cacert", bundle.to_str().expect("UTF-8 temp path")],
        );
        Self {
            ours,
            curl,
            bundle,
            _server: server,
            _dir: dir,
        }
    }

    fn env(&self) -> Vec<(&str, &str)> {
        vec![(
            "SSL_CERT_FILE",
            self.bundle.to_str().expect("UTF-8 temp path"),
        )]
    }
}

fn https_one_shot(bin: &Path, runs: usize, case: &HttpsCase, has_curl: bool) {
    let certs = std::fs::read_to_string(&case.bundle)
        .map(|t| t.matches("BEGIN CERTIFICATE").count())
        .unwrap_or(0);
    println!("https one-shot (local TLS server, CA in a bundle of {certs} certificates):");
    let curl = has_curl.then_some(case.curl.as_slice());
    let (ours, curl) = interleaved(bin, &case.ours, &case.env(), curl, runs);
    side_by_side(
        &ours,
        "openai uploads cancel (https)",
        &curl,
        "curl -s -X POST --cacert (https)",
    );
}

/// `openai uploads cancel upload_abc123` against `base`.
fn our_cancel(base: &str) -> Vec<String> {
    let args = [
        "uploads",
        "cancel",
        "upload_abc123",
        "--base-url",
        base,
        "--api-key",
        "k",
    ];
    args.map(String::from).to_vec()
}

/// The same request as [`our_cancel`] with curl, `extra` options before the headers.
fn curl_cancel(base: &str, extra: &[&str]) -> Vec<String> {
    let url = format!("{base}/uploads/upload_abc123/cancel");
    let headers = [
        "-H",
        "Authorization: Bearer k",
        "-H",
        "Accept: application/json",
    ];
    [&["-s", "-X", "POST"], extra, &headers, &[url.as_str()]]
        .concat()
        .into_iter()
        .map(String::from)
        .collect()
}

/// `runs` runs of ours (with `env`) and of curl (when given), interleaved so that load
/// from other processes hits both sides alike, after three unmeasured rounds.
fn interleaved(
    bin: &Path,
    ours: &[String],
    env: &[(&str, &str)],
    curl: Option<&[String]>,
    runs: usize,
) -> (Vec<Sample>, Vec<Sample>) {
    let (mut our_runs, mut curl_runs) = (Vec::new(), Vec::new());
    for round in 0..3 + runs {
        let ours = spawn(bin, ours, env);
        let curl = curl.map(|args| spawn(Path::new("curl"), args, &[]));
        if round >= 3 {
            our_runs.push(ours);
            curl_runs.extend(curl);
        }
    }
    (our_runs, curl_runs)
}

/// Prints the stats of both sides and the ratio of their median wall times (only ours
/// when there are no curl runs); ours' stats.
fn side_by_side(ours: &[Sample], our_label: &str, curl: &[Sample], curl_label: &str) -> Stats {
    let ours = Stats::of(ours);
    ours.print(our_label);
    if !curl.is_empty() {
        let curl = Stats::of(curl);
        curl.print(curl_label);
        println!(
            "ratio openai / curl (median wall): {:.2}x  (goal <= 0.50x)",
            ours.wall_ms / curl.wall_ms
        );
    }
    ours
}

/// http vs https to a closed port: both fail at connect, after the client is built.
fn https_startup(bin: &Path, runs: usize) {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let args = |scheme: &str| -> Vec<String> {
        [
            "uploads",
            "cancel",
            "u",
            "--max-retries",
            "0",
            "--api-key",
            "k",
            "--base-url",
            &format!("{scheme}://127.0.0.1:{closed}/v1"),
        ]
        .map(String::from)
        .to_vec()
    };
    let (http, https) = (args("http"), args("https"));
    // Each case sets SSL_CERT_FILE / SSL_CERT_DIR itself (spawn clears both first).
    let bundle = "/etc/ssl/certs/ca-certificates.crt";
    let one_cert = single_certificate();
    let mut cases: Vec<(String, Vec<(&str, String)>)> =
        vec![("https:// (platform default roots)".into(), Vec::new())];
    if Path::new(bundle).is_file() {
        cases.push((
            "https:// (SSL_CERT_FILE = bundle)".into(),
            vec![("SSL_CERT_FILE", bundle.to_owned())],
        ));
        // What the platform verifier loads by default on Debian, so what this
        // client loaded before it read the directory only on demand.
        cases.push((
            "https:// (bundle + dir, as before)".into(),
            vec![
                ("SSL_CERT_FILE", bundle.to_owned()),
                ("SSL_CERT_DIR", "/etc/ssl/certs".to_owned()),
            ],
        ));
    }
    if let Some(cert) = &one_cert {
        cases.push((
            "https:// (SSL_CERT_FILE = 1 cert)".into(),
            vec![("SSL_CERT_FILE", cert.clone())],
        ));
    }
    let mut plain = Vec::new();
    let mut samples: Vec<Vec<Sample>> = cases.iter().map(|_| Vec::new()).collect();
    for _ in 0..runs {
        plain.push(spawn(bin, &http, &[]));
        for ((_, env), out) in cases.iter().zip(&mut samples) {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            out.push(spawn(bin, &https, &env));
        }
    }
    println!("start-up over https (connection refused on 127.0.0.1, after the client is built):");
    let plain = Stats::of(&plain);
    plain.print("http://  (no TLS set-up)");
    for ((name, _), samples) in cases.iter().zip(&samples) {
        let tls = Stats::of(samples);
        tls.print(name);
        println!(
            "{:<36} +{:.2} ms wall, +{:.2} ms CPU, +{:.2} MiB peak RSS over http://",
            "",
            tls.wall_ms - plain.wall_ms,
            tls.cpu_ms - plain.cpu_ms,
            (tls.max_rss_kib as f64 - plain.max_rss_kib as f64) / 1024.0
        );
    }
    if let Some(cert) = one_cert {
        println!("(1 cert = {cert})");
    }
}

/// One PEM file holding one CA certificate, to set as SSL_CERT_FILE.
fn single_certificate() -> Option<String> {
    let entries = std::fs::read_dir("/etc/ssl/certs").ok()?;
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pem"))
        .find(|p| {
            std::fs::read_to_string(p).is_ok_and(|t| t.matches("BEGIN CERTIFICATE").count() == 1)
        })
        .map(|p| p.display().to_string())
}

/// Runs `openai` once with its output captured and checks it is the Upload.
fn check_output(bin: &Path, args: &[String], env: &[(&str, &str)]) {
    let out = Command::new(bin)
        .args(args)
        .env_remove("OPENAI_API_KEY")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .envs(env.iter().copied())
        .output()
        .expect("run openai");
    assert!(
        out.status.success(),
        "openai failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let expected: serde_json::Value = serde_json::from_str(UPLOAD).unwrap();
    assert_eq!(printed, expected);
}

struct Sample {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: i64,
}

struct Stats {
    wall_ms: f64,
    cpu_ms: f64,
    max_rss_kib: i64,
    median_rss_kib: i64,
}

impl Stats {
    fn of(samples: &[Sample]) -> Self {
        let mut wall: Vec<f64> = samples.iter().map(|s| ms(s.wall)).collect();
        let mut cpu: Vec<f64> = samples.iter().map(|s| ms(s.cpu)).collect();
        let mut rss: Vec<i64> = samples.iter().map(|s| s.max_rss_kib).collect();
        rss.sort_unstable();
        Self {
            wall_ms: median(&mut wall),
            cpu_ms: median(&mut cpu),
            max_rss_kib: rss.last().copied().unwrap_or(0),
            median_rss_kib: rss.get(rss.len() / 2).copied().unwrap_or(0),
        }
    }

    fn print(&self, name: &str) {
        println!(
            "{name:<36} median {:>7.2} ms wall, {:>6.2} ms CPU, peak RSS {:>5.2} MiB",
            self.wall_ms,
            self.cpu_ms,
            self.max_rss_kib as f64 / 1024.0
        );
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Spawns a process with stdout and stderr discarded, waits with `wait4` for its own
/// resource usage, and returns wall time, CPU time and peak RSS.
// Reaped by `wait4` in `wait`, which std's `Child::wait` cannot replace (no rusage).
#[allow(clippy::zombie_processes)]
fn spawn(program: &Path, args: &[String], env: &[(&str, &str)]) -> Sample {
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
    let (cpu, max_rss_kib) = wait(child.id());
    Sample {
        wall: start.elapsed(),
        cpu,
        max_rss_kib,
    }
}

#[cfg(unix)]
fn wait(pid: u32) -> (Duration, i64) {
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and both pointers outlive the call.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child and has not been waited for.
    let reaped = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid as libc::pid_t, "wait4 failed");
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    (time(usage.ru_utime) + time(usage.ru_stime), usage.ru_maxrss)
}

#[cfg(not(unix))]
fn wait(_pid: u32) -> (Duration, i64) {
    panic!("this benchmark needs wait4 (Unix)");
}

/// A minimal HTTP/1.1 keep-alive server answering every cancel with the Upload.
fn serve() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = handle(stream);
            });
        }
    });
    port
}

fn handle(stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let mut parts = request_line.split_whitespace();
        let ok = parts.next() == Some("POST")
            && parts
                .next()
                .is_some_and(|p| p.starts_with("/v1/uploads/") && p.ends_with("/cancel"));
        let (status, body) = if ok {
            ("200 OK", UPLOAD)
        } else {
            ("404 Not Found", r#"{"error":{"message":"not found"}}"#)
        };
        write!(
            writer,
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nx-request-id: req_bench\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )?;
        writer.flush()?;
    }
}
