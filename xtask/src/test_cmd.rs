//! `cargo xtask test`: every check CI runs, in order, stopping at the first failure.

use std::time::Instant;

use crate::conformance;
use crate::util;

type Step = (&'static str, fn() -> Result<(), String>);

const STEPS: &[Step] = &[
    ("cargo fmt --all --check", || {
        util::run(&mut util::cargo(["fmt", "--all", "--check"]))
    }),
    (
        "cargo clippy --workspace --all-targets -- -D warnings",
        || {
            util::run(&mut util::cargo([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]))
        },
    ),
    (
        "cargo check -p openai-uploads --no-default-features --features native-tls",
        || {
            util::run(&mut util::cargo([
                "check",
                "-p",
                "openai-uploads",
                "--no-default-features",
                "--features",
                "native-tls",
            ]))
        },
    ),
    // In-process: the same check, without a nested `cargo run`.
    ("cargo xtask gen --check", || crate::gen_cmd::run(true)),
    ("cargo test --workspace", || {
        util::run(&mut util::cargo(["test", "--workspace"]))
    }),
    ("cargo xtask conformance", conformance::run),
];

pub fn run() -> Result<(), String> {
    let total = STEPS.len();
    let started = Instant::now();
    for (index, (name, step)) in STEPS.iter().enumerate() {
        let number = index + 1;
        println!("\n==> [{number}/{total}] {name}");
        let step_started = Instant::now();
        if let Err(message) = step() {
            eprintln!("\nxtask test: step {number}/{total} FAILED: {name}\n  {message}");
            println!("steps: {index} passed, 1 failed");
            return Err(format!("step {number}/{total} failed: {name}"));
        }
        println!(
            "==> [{number}/{total}] ok: {name} ({:.0?})",
            step_started.elapsed()
        );
    }
    println!(
        "\nxtask test: all {total} steps passed in {:.0?}",
        started.elapsed()
    );
    println!("steps: {total} passed, 0 failed");
    Ok(())
}
