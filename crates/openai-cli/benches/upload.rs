//! Uploading 1 GiB to the fake on loopback, in one run:
//!
//! - `openai uploads upload FILE --purpose fine-tune` with the defaults (64 MiB Parts, 8 at once),
//!   and again with `--no-md5`;
//! - openai-python's `client.uploads.upload_file_chunked(...)` against the same fake, from a venv
//!   in `target/bench-venv` (`pip install openai`; skipped with a message if that fails);
//! - the floor: reading the file and md5-hashing it, in this process.
//!
//! ```text
//! cargo bench -p openai-cli --bench upload
//! ```
//!
//! BENCH_BASELINE=PATH runs another `openai` binary (say, one built from `main`) as one more
//! client, in the same rounds.
//!
//! BENCH_ROUNDS=N (default 3), BENCH_PART_DELAY_MS=N (default 500), BENCH_PYTHON=0 to skip
//! openai-python, BENCH_SPARSE=0 to skip the 8 GiB file, BENCH_DIR=DIR for the files (default
//! `target/`; `/dev/shm` keeps them off a full disk), BENCH_FAKE_NICE=0 to run the fake at
//! normal priority.
//!
//! Two scenarios: loopback with the fake answering each Part at once, where CPU is the limit
//! (md5 is serial, and the fake shares the machine), and the fake waiting BENCH_PART_DELAY_MS
//! before answering each Part, as a remote server and network would, where sending Parts in
//! parallel pays off. (A network namespace with `netem` delay and a rate limit would be closer
//! to a real link; it needs the `sch_netem` kernel module, which many containers lack, so the
//! fake's per-part delay stands in for it.)
//!
//! The figures the uploader is held to, printed together at the end:
//! - on loopback, its throughput as a fraction of the read+md5 floor (goal >= 0.95);
//! - with latency, at the default settings, its throughput against openai-python's (goal >= 7x);
//!   and with `--no-md5`, as openai-python sends no md5 either. At the defaults the md5, serial,
//!   is the limit: 1 GiB takes about 2 s to hash on one core, where 16 Parts 8 at a time take
//!   about 1.2 s;
//! - its peak RSS at the default settings for the 1 GiB file, and for an 8 GiB sparse file
//!   uploaded once on loopback (goal <= 64 MiB for both): Parts stream from the file, so memory
//!   grows with neither the part size, nor the number in flight, nor the file.
//!
//! The file is `target/bench-upload-1GiB.bin`, real pseudo-random bytes written once and reused.
//! The fake runs in this process (built with the bench profile), keeps no Part bytes and does
//! not check the md5, so that it takes as little CPU from the clients as it can. It stands in
//! for a server on another machine, so it serves at nice 19 (Linux): on a 2-CPU machine, at
//! normal priority, its threads woke on the CPU of our md5 reader and took it about a thousand
//! times per upload (`perf sched`), costing us some 0.1–0.3 s that no real server would. Reported: MiB/s
//! of each (median wall time), CPU seconds and peak RSS of the child processes (their VmHWM,
//! polled, and `wait4`'s `ru_maxrss`, which also counts this process's RSS), and
//! the ratios against the goals. Journals go to `target/bench-journals`. Under
//! `cargo test --all-targets` this only uploads a few KiB to check that everything works.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use md5::{Digest, Md5};
use openai_fake::{Config, Fake, UploadStatus};

const SIZE: u64 = 1 << 30;
/// The largest file the API takes, for peak memory.
const SPARSE_SIZE: u64 = 8 << 30;
const PART_SIZE: u64 = 64 << 20;
const CONCURRENCY: usize = openai_uploads::DEFAULT_CONCURRENCY;
const MIB: f64 = 1024.0 * 1024.0;
const FLOOR_GOAL: f64 = 0.95;
const PYTHON_GOAL: f64 = 7.0;
const RSS_GOAL_MIB: f64 = 64.0;

const PYTHON: &str = r#"
import pathlib, sys
import openai
client = openai.OpenAI(api_key="bench", base_url=sys.argv[1], max_retries=0)
upload = client.uploads.upload_file_chunked(
    file=pathlib.Path(sys.argv[2]), mime_type="application/octet-stream", purpose="fine-tune"
)
print(upload.id, upload.status)
"#;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_openai"));
    // `cargo bench` passes --bench; under `cargo test --all-targets` only check that it works.
    if !args.iter().any(|a| a == "--bench") {
        smoke(bin);
        return;
    }
    let rounds = env_number("BENCH_ROUNDS", 3).max(1);
    let delay = Duration::from_millis(env_number("BENCH_PART_DELAY_MS", 500) as u64);
    let target = target_dir();
    let file = std::env::var_os("BENCH_DIR")
        .map_or_else(|| target.clone(), PathBuf::from)
        .join("bench-upload-1GiB.bin");
    ensure_file(&file, SIZE);
    let python = if std::env::var_os("BENCH_PYTHON").is_some_and(|v| v == "0") {
        Err("BENCH_PYTHON=0".to_owned())
    } else {
        python(&target)
    };
    println!("file: {} ({} MiB)", file.display(), SIZE >> 20);
    println!("openai: {}", bin.display());
    println!(
        "rounds: {rounds}, interleaved; machine: {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if let Err(why) = &python {
        println!("openai-python: skipped: {why}");
    }
    // Into the page cache, so that every case reads from memory.
    read_and_hash(&file);

    println!("\n== loopback, the fake answering each Part at once ==");
    let loopback = run_scenario(bin, python.as_ref().ok(), &file, rounds, Duration::ZERO);
    let floor = loopback.floor.as_ref().expect("measured");
    let ours = &loopback.ours;

    println!(
        "\n== the fake waiting {} ms before answering each Part (server or network latency) ==",
        delay.as_millis()
    );
    let slow = run_scenario(bin, python.as_ref().ok(), &file, rounds, delay);

    let sparse = if std::env::var_os("BENCH_SPARSE").is_some_and(|v| v == "0") {
        None
    } else {
        let path = file.with_file_name("bench-upload-8GiB-sparse.bin");
        println!(
            "\n== {} GiB sparse file, once, on loopback ==",
            SPARSE_SIZE >> 30
        );
        let stats = sparse_sample(bin, &path);
        stats.print("openai uploads upload (defaults)");
        Some(stats)
    };

    println!("\n== summary ==");
    let of_floor = ours.mib_s / floor.mib_s;
    println!(
        "loopback: ours / read+md5 floor = {of_floor:.2} of its throughput (goal >= {FLOOR_GOAL}): {}",
        verdict(of_floor >= FLOOR_GOAL)
    );
    if let Some(theirs) = &loopback.python {
        let ratio = ours.mib_s / theirs.mib_s;
        let like = loopback.no_md5.mib_s / theirs.mib_s;
        println!(
            "loopback: ours / openai-python = {ratio:.2}x the throughput; {like:.2}x with \
             --no-md5 (neither sends an md5)"
        );
    }
    match &slow.python {
        Some(theirs) => {
            let ratio = slow.ours.mib_s / theirs.mib_s;
            println!(
                "latency ({} ms per Part), defaults: ours / openai-python = {ratio:.2}x the \
                 throughput (goal >= {PYTHON_GOAL}x): {}",
                delay.as_millis(),
                verdict(ratio >= PYTHON_GOAL)
            );
            let ratio = slow.no_md5.mib_s / theirs.mib_s;
            println!(
                "latency, --no-md5 (neither sends an md5): ours / openai-python = {ratio:.2}x \
                 the throughput (goal >= {PYTHON_GOAL}x): {}",
                verdict(ratio >= PYTHON_GOAL)
            );
        }
        None => println!("latency: openai-python not measured"),
    }
    let peak = [ours, &loopback.no_md5, &slow.ours, &slow.no_md5]
        .iter()
        .map(|stats| stats.peak_mib())
        .fold(0.0, f64::max);
    println!(
        "peak RSS at the defaults ({CONCURRENCY} x {} MiB Parts) for {} MiB: {peak:.1} MiB \
         (goal <= {RSS_GOAL_MIB} MiB): {}",
        PART_SIZE >> 20,
        SIZE >> 20,
        verdict(peak <= RSS_GOAL_MIB)
    );
    if let Some(sparse) = sparse {
        println!(
            "peak RSS at the defaults for {} GiB (sparse): {:.1} MiB (goal <= {RSS_GOAL_MIB} \
             MiB): {}",
            SPARSE_SIZE >> 30,
            sparse.peak_mib(),
            verdict(sparse.peak_mib() <= RSS_GOAL_MIB)
        );
    }
}

/// One upload of a sparse file of [`SPARSE_SIZE`] bytes at the defaults, for its peak RSS.
fn sparse_sample(bin: &Path, path: &Path) -> Stats {
    if !std::fs::metadata(path).is_ok_and(|m| m.len() == SPARSE_SIZE) {
        std::fs::File::create(path)
            .and_then(|file| file.set_len(SPARSE_SIZE))
            .expect("make the sparse bench file");
    }
    let fake = Fake::start(Config {
        seed: false,
        keep_file_bytes: false,
        verify_md5: false,
        background: fake_in_background(),
        ..Config::default()
    })
    .expect("the fake starts");
    let mut command = Command::new(bin);
    command
        .env(
            "OPENAI_UPLOAD_JOURNAL_DIR",
            target_dir().join("bench-journals"),
        )
        .args(openai_args(&fake, path));
    let (sample, stdout) = measure(command);
    let id = stdout.trim();
    assert_eq!(
        fake.upload(id).map(|upload| upload.status),
        Some(UploadStatus::Completed),
        "openai: {id}"
    );
    let parts = usize::try_from(SPARSE_SIZE.div_ceil(PART_SIZE)).unwrap();
    assert_eq!(fake.parts_received(id), Some((parts, SPARSE_SIZE)));
    Stats::of_size(&[sample], SPARSE_SIZE)
}

struct Scenario {
    floor: Option<Stats>,
    ours: Stats,
    /// `--no-md5`, like openai-python, which sends none.
    no_md5: Stats,
    python: Option<Stats>,
}

/// Every client, `rounds` times, interleaved, against a fake of its own.
fn run_scenario(
    bin: &Path,
    python: Option<&PathBuf>,
    file: &Path,
    rounds: usize,
    part_delay: Duration,
) -> Scenario {
    // Keeping and hashing 1 GiB would compete with the clients for the CPU; the tests check
    // the bytes and the md5.
    let fake = Fake::start(Config {
        seed: false,
        keep_file_bytes: false,
        verify_md5: false,
        background: fake_in_background(),
        part_delay,
        ..Config::default()
    })
    .expect("the fake starts");
    let with_floor = part_delay.is_zero();
    let baseline = std::env::var_os("BENCH_BASELINE").map(PathBuf::from);
    let (mut floor, mut ours, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    let mut base = Vec::new();
    let mut no_md5 = Vec::new();
    for _ in 0..rounds {
        if with_floor {
            floor.push(floor_sample(file));
        }
        ours.push(upload_with_openai(bin, &fake, file, &[]));
        no_md5.push(upload_with_openai(bin, &fake, file, &["--no-md5"]));
        if let Some(baseline) = &baseline {
            base.push(upload_with_openai(baseline, &fake, file, &[]));
        }
        if let Some(python) = python {
            theirs.push(upload_with_python(python, &fake, file));
        }
    }
    let floor = with_floor.then(|| Stats::of(&floor));
    if let Some(floor) = &floor {
        floor.print("read + md5 alone (in the bench)");
    }
    let ours = Stats::of(&ours);
    ours.print("openai uploads upload (defaults)");
    let no_md5 = Stats::of(&no_md5);
    no_md5.print("openai uploads upload --no-md5");
    if baseline.is_some() {
        Stats::of(&base).print("BENCH_BASELINE's openai (its defaults)");
    }
    let python = python.map(|_| {
        let stats = Stats::of(&theirs);
        stats.print("openai-python upload_file_chunked");
        stats
    });
    Scenario {
        floor,
        ours,
        no_md5,
        python,
    }
}

/// The fake at nice 19 unless BENCH_FAKE_NICE=0: see the module's doc.
fn fake_in_background() -> bool {
    std::env::var_os("BENCH_FAKE_NICE").is_none_or(|v| v != "0")
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

/// A few KiB in several Parts, checked byte for byte: the bench's code paths without the cost.
fn smoke(bin: &Path) {
    let fake = Fake::start(Config {
        seed: false,
        ..Config::default()
    })
    .expect("the fake starts");
    let dir = std::env::temp_dir().join(format!("openai-upload-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("smoke.bin");
    ensure_file(&file, 20_000);
    let out = Command::new(bin)
        .env("OPENAI_UPLOAD_JOURNAL_DIR", dir.join("journals"))
        .args(openai_args(&fake, &file))
        .args(["--part-size", "4KiB"])
        .env_remove("OPENAI_API_KEY")
        .output()
        .expect("run openai");
    assert!(read_and_hash(&file).is_some());
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "openai failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let expected = pseudo_random_bytes(20_000);
    assert!(fake.file_bytes(&id).is_some_and(|b| b[..] == expected[..]));
    println!("upload bench: smoke test passed (run `cargo bench --bench upload` to measure)");
}

fn openai_args(fake: &Fake, file: &Path) -> Vec<String> {
    [
        "--base-url",
        &fake.base_url(),
        "--api-key",
        "bench",
        "uploads",
        "upload",
        file.to_str().expect("a UTF-8 path"),
        "--purpose",
        "fine-tune",
        "--transform",
        "id",
        "-r",
    ]
    .map(String::from)
    .to_vec()
}

/// `target/`: CARGO_TARGET_DIR, else the workspace's.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    }
}

/// Writes `size` pseudo-random bytes to `path` unless a file of that size is there already.
fn ensure_file(path: &Path, size: u64) {
    if std::fs::metadata(path).is_ok_and(|m| m.len() == size) {
        return;
    }
    let partial = path.with_extension("partial");
    let mut out = std::io::BufWriter::with_capacity(
        8 << 20,
        std::fs::File::create(&partial).expect("create the bench file"),
    );
    let mut rng = Xorshift::new();
    let mut chunk = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        rng.fill(&mut chunk[..n]);
        out.write_all(&chunk[..n]).expect("write the bench file");
        left -= n as u64;
    }
    out.into_inner()
        .expect("flush")
        .sync_all()
        .expect("sync the bench file");
    std::fs::rename(&partial, path).expect("rename the bench file");
}

fn pseudo_random_bytes(size: usize) -> Vec<u8> {
    let mut bytes = vec![0; size];
    let mut rng = Xorshift::new();
    // The same chunking as `ensure_file`, so that both give the same bytes.
    for chunk in bytes.chunks_mut(1 << 20) {
        rng.fill(chunk);
    }
    bytes
}

/// xorshift64*: fast, and random enough that nothing compresses or dedupes it.
struct Xorshift(u64);

impl Xorshift {
    fn new() -> Self {
        Self(0x9E37_79B9_7F4A_7C15)
    }

    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let word = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// The md5 of a file, read in 8 MiB blocks; `None` if it cannot be read.
fn read_and_hash(path: &Path) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut buf = vec![0u8; 8 << 20];
    let mut hash = Md5::new();
    loop {
        let n = file.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
    }
    Some(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

struct Sample {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: i64,
    /// The child's own high-water mark (VmHWM), polled while it runs; 0 where unknown.
    hwm_kib: i64,
    /// CPU time of this process meanwhile: the fake's.
    server_cpu: Duration,
}

fn floor_sample(file: &Path) -> Sample {
    let cpu_before = self_cpu();
    let start = Instant::now();
    read_and_hash(file).expect("read the bench file");
    Sample {
        wall: start.elapsed(),
        cpu: self_cpu().saturating_sub(cpu_before),
        max_rss_kib: 0,
        hwm_kib: 0,
        server_cpu: Duration::ZERO,
    }
}

fn upload_with_openai(bin: &Path, fake: &Fake, file: &Path, extra: &[&str]) -> Sample {
    let mut command = Command::new(bin);
    command
        .env(
            "OPENAI_UPLOAD_JOURNAL_DIR",
            target_dir().join("bench-journals"),
        )
        .args(openai_args(fake, file))
        .args(extra);
    let (sample, stdout) = measure(command);
    let id = stdout.trim();
    let upload = fake
        .upload(id)
        .unwrap_or_else(|| panic!("no Upload {id:?}"));
    assert_eq!(upload.status, UploadStatus::Completed, "openai: {id}");
    assert_eq!(fake.parts_received(id), Some((16, SIZE)));
    sample
}

fn upload_with_python(python: &Path, fake: &Fake, file: &Path) -> Sample {
    let mut command = Command::new(python);
    command.args(["-c", PYTHON, &fake.base_url()]).arg(file);
    let (sample, stdout) = measure(command);
    let id = stdout.split_whitespace().next().unwrap_or_default();
    let upload = fake
        .upload(id)
        .unwrap_or_else(|| panic!("python: {stdout}"));
    assert_eq!(upload.status, UploadStatus::Completed, "python: {stdout}");
    sample
}

/// Runs `command` to the end and returns its wall time, CPU time and peak RSS, and its stdout.
// Reaped by `wait4`, which std's `Child::wait` cannot replace (no rusage).
#[allow(clippy::zombie_processes)]
fn measure(mut command: Command) -> (Sample, String) {
    let server_before = process_cpu();
    let start = Instant::now();
    let mut child: Child = command
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let hwm = HighWater::watch(child.id());
    let (ok, cpu, max_rss_kib) = wait(child.id());
    let hwm_kib = hwm.stop();
    let wall = start.elapsed();
    let server_cpu = process_cpu().saturating_sub(server_before);
    let mut stdout = String::new();
    let mut stderr = String::new();
    let _ = child.stdout.take().unwrap().read_to_string(&mut stdout);
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    assert!(ok, "{command:?} failed: {stderr}");
    (
        Sample {
            wall,
            cpu,
            max_rss_kib,
            hwm_kib,
            server_cpu,
        },
        stdout,
    )
}

/// A venv with openai-python, made once; `Err` says why there is none.
fn python(target: &Path) -> Result<PathBuf, String> {
    let venv = target.join("bench-venv");
    let python = venv.join("bin/python");
    let has_openai = |python: &Path| {
        Command::new(python)
            .args(["-c", "import openai; print(openai.__version__)"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    if has_openai(&python).is_none() {
        println!("installing openai-python into {} ...", venv.display());
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .map_err(|e| format!("python3 -m venv: {e}"))?;
        if !made.success() {
            return Err("python3 -m venv failed".into());
        }
        let installed = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "openai"])
            .status()
            .map_err(|e| format!("pip: {e}"))?;
        if !installed.success() {
            return Err("`pip install openai` failed".into());
        }
    }
    let version = has_openai(&python).ok_or("openai-python does not import")?;
    println!("openai-python {version} ({})", python.display());
    Ok(python)
}

struct Stats {
    wall_s: f64,
    cpu_s: f64,
    server_cpu_s: f64,
    mib_s: f64,
    max_rss_mib: f64,
    hwm_mib: f64,
}

impl Stats {
    fn of(samples: &[Sample]) -> Self {
        Self::of_size(samples, SIZE)
    }

    fn of_size(samples: &[Sample], size: u64) -> Self {
        let mut wall: Vec<f64> = samples.iter().map(|s| s.wall.as_secs_f64()).collect();
        let mut cpu: Vec<f64> = samples.iter().map(|s| s.cpu.as_secs_f64()).collect();
        let mut server: Vec<f64> = samples.iter().map(|s| s.server_cpu.as_secs_f64()).collect();
        let wall_s = median(&mut wall);
        Self {
            wall_s,
            cpu_s: median(&mut cpu),
            server_cpu_s: median(&mut server),
            mib_s: size as f64 / MIB / wall_s,
            max_rss_mib: samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0) as f64 / 1024.0,
            hwm_mib: samples.iter().map(|s| s.hwm_kib).max().unwrap_or(0) as f64 / 1024.0,
        }
    }

    /// The child's own peak where it was seen, else `wait4`'s (an upper bound).
    fn peak_mib(&self) -> f64 {
        if self.hwm_mib > 0.0 {
            self.hwm_mib
        } else {
            self.max_rss_mib
        }
    }

    fn print(&self, name: &str) {
        let rss = if self.max_rss_mib > 0.0 {
            format!(
                ", peak RSS {:>5.1} MiB (wait4 {:>5.1}); fake {:.2} s CPU",
                self.peak_mib(),
                self.max_rss_mib,
                self.server_cpu_s
            )
        } else {
            String::new()
        };
        println!(
            "{name:<36} {:>7.1} MiB/s  ({:>6.2} s wall, {:>6.2} s CPU{rss})",
            self.mib_s, self.wall_s, self.cpu_s
        );
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The child's VmHWM, polled while it runs.
///
/// `wait4`'s `ru_maxrss` alone overstates a small child: Linux carries the RSS of the process
/// that spawned it (this one, with the fake in it) into the child's figure at `exec`. VmHWM
/// belongs to the child's own memory map. Polled every 10 ms, it can miss only
/// growth in the child's last moments.
struct HighWater {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<i64>,
}

impl HighWater {
    fn watch(pid: u32) -> Self {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let status = format!("/proc/{pid}/status");
            let mut peak = 0;
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                let hwm = std::fs::read_to_string(&status).ok().and_then(|text| {
                    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
                    line.split_whitespace().nth(1)?.parse::<i64>().ok()
                });
                peak = peak.max(hwm.unwrap_or(0));
                std::thread::sleep(Duration::from_millis(10));
            }
            peak
        });
        Self { stop, thread }
    }

    /// The highest VmHWM seen, in KiB; 0 where /proc has none.
    fn stop(self) -> i64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap_or(0)
    }
}

#[cfg(unix)]
fn wait(pid: u32) -> (bool, Duration, i64) {
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and both pointers outlive the call.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child and has not been waited for.
    let reaped = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid as libc::pid_t, "wait4 failed");
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    (ok, cpu(&usage), usage.ru_maxrss)
}

/// This thread's CPU time: RUSAGE_SELF would count the fake's threads too.
#[cfg(target_os = "linux")]
fn self_cpu() -> Duration {
    // SAFETY: an all-zero rusage is valid, and the pointer outlives the call.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid `who` and a valid pointer.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    cpu(&usage)
}

#[cfg(unix)]
fn cpu(usage: &libc::rusage) -> Duration {
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

#[cfg(not(unix))]
fn wait(_pid: u32) -> (bool, Duration, i64) {
    panic!("this benchmark needs wait4 (Unix)");
}

/// This process's CPU time, all threads.
#[cfg(unix)]
fn process_cpu() -> Duration {
    // SAFETY: an all-zero rusage is valid, and the pointer outlives the call.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid `who` and a valid pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    cpu(&usage)
}

#[cfg(not(unix))]
fn process_cpu() -> Duration {
    Duration::ZERO
}

#[cfg(not(target_os = "linux"))]
fn self_cpu() -> Duration {
    Duration::ZERO
}
