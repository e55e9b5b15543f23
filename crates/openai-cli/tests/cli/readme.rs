//! The README's CLI examples run as written, in order, against the fake: every `sh` block
//! between the README's `<!-- tested: ... -->` and `<!-- end of tested examples -->`
//! markers, as one bash script with `set -euo pipefail`.

use std::process::Command;

use openai_fake::{Config, Fake, UploadStatus};

use crate::support::{HANG_GUARD, clean_env, output_within};

const README: &str = include_str!("../../../../README.md");

/// The tested `sh` blocks, joined in order.
fn examples(readme: &str) -> String {
    let start = readme
        .find("<!-- tested:")
        .expect("the README marks its tested examples");
    let end = readme[start..]
        .find("<!-- end of tested examples -->")
        .map(|end| start + end)
        .expect("the tested examples end");
    let mut script = String::new();
    let mut in_block = false;
    for line in readme[start..end].lines() {
        match (in_block, line.trim_end()) {
            (false, "```sh") => in_block = true,
            (true, "```") => in_block = false,
            (true, line) => {
                script.push_str(line);
                script.push('\n');
            }
            _ => {}
        }
    }
    script
}

#[test]
fn the_examples_are_found() {
    let script = examples(README);
    assert!(script.contains("openai uploads create"), "{script}");
    assert!(script.contains("openai uploads upload"), "{script}");
    assert!(!script.contains("```"), "{script}");
}

#[test]
fn the_readme_examples_run_as_written() {
    let fake = Fake::start(Config::default()).expect("the fake starts");
    let dir = tempfile::tempdir().unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_openai"))
        .parent()
        .unwrap()
        .to_owned();
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let script = format!("set -euo pipefail\n{}", examples(README));
    let mut bash = Command::new("bash");
    clean_env(&mut bash);
    bash.arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("PATH", path)
        .env("OPENAI_BASE_URL", fake.base_url())
        .env("OPENAI_API_KEY", "sk-anything")
        .stdin(std::process::Stdio::null());
    let output = output_within(bash, HANG_GUARD).expect("the examples end");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the examples failed ({}):\n{script}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    // What the comments promise.
    assert!(
        stdout.contains("status:") && stdout.contains("completed"),
        "{stdout}"
    );
    assert!(stdout.contains("pending\n"), "{stdout}");
    assert!(stdout.contains("status: cancelled"), "{stdout}");
    assert!(stdout.contains("exit status 1"), "{stdout}");
    assert!(stderr.contains("already cancelled"), "{stderr}");
    // Two Uploads completed from hello.jsonl (by parts, then by `uploads upload`), one
    // created from stdin and left pending, and the seeded one cancelled.
    let uploads = fake.uploads();
    let count = |status: UploadStatus| uploads.iter().filter(|u| u.status == status).count();
    assert_eq!(count(UploadStatus::Completed), 2, "{uploads:?}");
    assert_eq!(count(UploadStatus::Pending), 1, "{uploads:?}");
    assert_eq!(count(UploadStatus::Cancelled), 1, "{uploads:?}");
}
