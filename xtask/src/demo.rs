//! `cargo xtask demo`: the `openai` binary against the fake, no key needed.
//!
//! Cancels the seeded pending upload (success), then cancels it again (the
//! error path), then uploads a small file in parts (the whole flow), and
//! stops the fake by its PID whatever happens.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::{self, ChildGuard, Finished};

/// A placeholder the fake accepts; not a secret.
const DEMO_KEY: &str = "sk-demo";
const UPLOAD_ID: &str = "upload_abc123";
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

pub fn run() -> Result<(), String> {
    println!("==> building openai and openai-fake (a first build takes a few minutes)");
    util::run(&mut util::cargo([
        "build",
        "--quiet",
        "-p",
        "openai-cli",
        "-p",
        "openai-fake",
    ]))?;

    let (fake, base_url) = start_fake()?;
    let pid = fake.id();
    println!("==> openai-fake is serving {base_url} (pid {pid})");

    let result = calls(&base_url);
    fake.stop();
    println!("==> stopped openai-fake (pid {pid})");
    result?;
    println!(
        "demo: the upload was cancelled, cancelling it again failed as it should, and a file went up in parts"
    );
    Ok(())
}

fn calls(base_url: &str) -> Result<(), String> {
    println!();
    println!("==> 1. cancel the pending upload (expect exit 0 and the cancelled Upload)");
    let first = cancel(base_url)?;
    if !first.status.success() || !first.stdout.contains("cancelled") {
        return Err(format!(
            "the first cancel should print the cancelled Upload and exit 0, but it exited with {}",
            first.status
        ));
    }

    println!();
    println!(
        "==> 2. cancel it again: it is no longer pending (expect exit 1 and an error on stderr)"
    );
    let second = cancel(base_url)?;
    if second.status.code() != Some(1) || second.stderr.trim().is_empty() {
        return Err(format!(
            "the second cancel should exit 1 with an error on stderr, but it exited with {}",
            second.status
        ));
    }
    if !second.stdout.is_empty() {
        return Err("the second cancel printed to stdout; errors belong on stderr".into());
    }

    println!();
    println!(
        "==> 3. upload a 2.5 MiB file in 1 MiB parts, two at a time (expect a completed Upload)"
    );
    let path = demo_file()?;
    let path = path.to_string_lossy();
    let upload = openai(
        base_url,
        &[
            "uploads",
            "upload",
            &path,
            "--purpose",
            "fine-tune",
            "--part-size",
            "1MiB",
            "--concurrency",
            "2",
            "--quiet",
        ],
    )?;
    if !upload.status.success() || !upload.stdout.contains("completed") {
        return Err(format!(
            "the upload should print the completed Upload and exit 0, but it exited with {}",
            upload.status
        ));
    }
    println!();
    Ok(())
}

/// A small JSONL training file in the target directory's `demo/`, made on every run.
fn demo_file() -> Result<std::path::PathBuf, String> {
    let dir = util::target_dir().join("demo");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join("training_examples.jsonl");
    let mut text = String::new();
    let mut n = 0;
    while text.len() < 5 << 19 {
        n += 1;
        text.push_str(&format!(
            "{{\"messages\": [{{\"role\": \"user\", \"content\": \"What is {n} + {n}?\"}}, {{\"role\": \"assistant\", \"content\": \"{}\"}}]}}\n",
            2 * n
        ));
    }
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// Runs `openai uploads cancel` against the fake and shows what it printed.
fn cancel(base_url: &str) -> Result<Finished, String> {
    openai(base_url, &["uploads", "cancel", UPLOAD_ID])
}

/// Runs `openai ARGS` against the fake and shows what it printed.
fn openai(base_url: &str, args: &[&str]) -> Result<Finished, String> {
    let args = [args, &["--base-url", base_url, "--api-key", DEMO_KEY]].concat();
    println!("$ openai {}", args.join(" "));
    let mut command = Command::new(util::debug_bin("openai"));
    command.args(args);
    util::without_openai_env(&mut command);
    let finished = util::output_within(&mut command, CALL_TIMEOUT)?;
    // Both streams go to our stdout, in order, so a saved demo log shows the error too.
    print!("{}", finished.stdout);
    if !finished.stderr.is_empty() {
        println!("[stderr]");
        print!("{}", finished.stderr);
    }
    match finished.status.code() {
        Some(code) => println!("(exit status {code})"),
        None => println!("({})", finished.status),
    }
    Ok(finished)
}

/// Starts the fake binary on a free port and reads the URL it prints.
fn start_fake() -> Result<(ChildGuard, String), String> {
    let mut command = Command::new(util::debug_bin("openai-fake"));
    command
        .args(["--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut fake = ChildGuard::spawn("openai-fake", &mut command)?;
    let stdout = fake
        .child_mut()
        .stdout
        .take()
        .ok_or("openai-fake has no stdout")?;
    let lines = util::line_reader(stdout);
    let line = lines
        .recv_timeout(Duration::from_secs(30))
        .map_err(|_| "openai-fake did not print its URL within 30 s".to_owned())?;
    let url = line
        .strip_prefix("listening on ")
        .filter(|url| url.starts_with("http://127.0.0.1:"))
        .ok_or_else(|| format!("openai-fake printed {line:?}, not `listening on URL`"))?;
    Ok((fake, url.to_owned()))
}
