//! `openai uploads upload` after a crash (`kill -9`): resuming, a file changed meanwhile,
//! `uploads pending` and `uploads prune`; an Upload too close to its expiry; `--progress json`.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use md5::{Digest as _, Md5};
use openai_fake::{Config, Fake, FaultKind, FlakyParts, PartFault, Route, UploadStatus};
use serde_json::Value;

use crate::support::{HANG_GUARD, SECRET, clean_env, fake, pseudo_random, text, wait_within};

const PART: usize = 1024;
const PARTS: usize = 8;

/// A fake whose parts request number `after + 1` never answers: an upload sending one part at
/// a time stalls there, after `after` parts, until it is killed. Later requests answer.
fn stalling_fake(after: usize) -> Fake {
    fake(Config {
        part_faults: vec![PartFault {
            nth: after + 1,
            kind: FaultKind::Hang,
        }],
        ..Config::default()
    })
}

/// `openai --base-url FAKE ARGS...` with the key in the environment.
fn openai(fake: &Fake, args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("openai"));
    clean_env(&mut cmd);
    cmd.env("OPENAI_API_KEY", SECRET)
        .args(["--base-url", &fake.base_url()])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// `uploads upload PATH --purpose fine-tune --journal-dir DIR ARGS...`.
fn upload(fake: &Fake, path: &Path, journals: &Path, args: &[&str]) -> Command {
    let mut cmd = openai(fake, &["uploads", "upload"]);
    cmd.arg(path)
        .args(["--purpose", "fine-tune", "--journal-dir"])
        .arg(journals)
        .args(args);
    cmd
}

fn run(mut cmd: Command) -> Output {
    let child = cmd.spawn().expect("the binary runs");
    wait_within(child, HANG_GUARD).expect("the binary ends before the hang guard")
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The journals in `dir`, as JSON.
fn journals(dir: &Path) -> Vec<Value> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .filter_map(|path| serde_json::from_slice(&std::fs::read(path).ok()?).ok())
        .collect()
}

/// Starts an upload of `PARTS` parts, one at a time, against a fake that stalls after
/// `after`; waits until the journal records them, then kills the process with SIGKILL.
/// Returns the Upload's id.
fn crash_after(fake: &Fake, path: &Path, dir: &Path, after: usize) -> String {
    let mut cmd = upload(
        fake,
        path,
        dir,
        &["--part-size", "1KiB", "--concurrency", "1"],
    );
    let child = cmd.spawn().expect("the binary runs");
    let id = wait_for_journal(dir, after, &child);
    kill(child, libc::SIGKILL);
    assert_eq!(fake.upload(&id).unwrap().status, UploadStatus::Pending);
    id
}

/// Waits until a journal in `dir` records `parts` parts; its Upload's id.
fn wait_for_journal(dir: &Path, parts: usize, child: &Child) -> String {
    let start = Instant::now();
    loop {
        if let Some(journal) = journals(dir)
            .into_iter()
            .find(|journal| journal["parts"].as_array().map(Vec::len) == Some(parts))
        {
            return journal["upload_id"].as_str().unwrap().to_owned();
        }
        assert!(
            start.elapsed() < HANG_GUARD,
            "no journal with {parts} parts (pid {})",
            child.id()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn kill(child: Child, signal: libc::c_int) -> Output {
    crate::support::send_signal(&child, signal);
    wait_within(child, HANG_GUARD).expect("the killed process ends")
}

/// The JSON events on stderr, one per line.
fn events(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line:?}")))
        .collect()
}

fn names(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|event| event["event"].as_str().unwrap())
        .collect()
}

/// The md5s of the parts the fake stored, in the order they came.
fn stored_md5s(fake: &Fake) -> Vec<String> {
    fake.requests()
        .into_iter()
        .filter(|r| r.route == Route::AddPart && r.status == Some(200))
        .filter_map(|r| r.part?.md5)
        .collect()
}

#[test]
fn after_kill_9_the_same_command_resumes_with_only_the_missing_parts() {
    let fake = stalling_fake(3);
    let dir = tempfile::tempdir().unwrap();
    let data = pseudo_random(PARTS * PART - 5, 21);
    let path = dir.path().join("train.jsonl");
    std::fs::write(&path, &data).unwrap();
    let id = crash_after(&fake, &path, dir.path(), 3);
    let before = stored_md5s(&fake);
    assert_eq!(before.len(), 3);

    let out = run(upload(
        &fake,
        &path,
        dir.path(),
        &["--part-size", "1KiB", "--progress", "json"],
    ));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let result: Value = serde_json::from_slice(&out.stdout).expect("stdout is the result");
    assert_eq!(result["id"], id.as_str());
    assert_eq!(result["status"], "completed");
    // The fake checked the md5 on completion; the bytes are the file's.
    assert_eq!(fake.file_bytes(&id).unwrap(), data);
    assert_eq!(fake.upload(&id).unwrap().status, UploadStatus::Completed);

    // Only the parts the journal lacked were sent.
    let mut after: Vec<String> = stored_md5s(&fake)[3..].to_vec();
    after.sort();
    let mut missing: Vec<String> = data.chunks(PART).skip(3).map(md5_hex).collect();
    missing.sort();
    assert_eq!(after, missing);
    assert_eq!(fake.count(Route::CreateUpload), 1);

    let events = events(&stderr);
    assert_eq!(
        names(&events),
        [
            "resumed",
            "part_sent",
            "part_sent",
            "part_sent",
            "part_sent",
            "part_sent",
            "completed"
        ],
        "{stderr}"
    );
    assert_eq!(events[0]["upload_id"], id.as_str());
    assert_eq!(events[0]["parts"], PARTS);
    assert_eq!(events[0]["parts_done"], 3);
    assert_eq!(events[0]["bytes_done"], 3 * PART);
    let mut indexes: Vec<u64> = events[1..6]
        .iter()
        .map(|event| event["index"].as_u64().unwrap())
        .collect();
    indexes.sort_unstable();
    assert_eq!(indexes, [3, 4, 5, 6, 7]);
    assert_eq!(events[6]["file_id"], result["file"]["id"]);
    assert!(journals(dir.path()).is_empty(), "the journal is removed");
}

#[test]
fn after_kill_9_a_modified_file_gets_a_new_upload() {
    let fake = stalling_fake(2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("train.jsonl");
    std::fs::write(&path, pseudo_random(PARTS * PART, 22)).unwrap();
    let stale = crash_after(&fake, &path, dir.path(), 2);
    let data = pseudo_random(PARTS * PART, 23);
    std::fs::write(&path, &data).unwrap();

    let out = run(upload(&fake, &path, dir.path(), &[]));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(fake.upload(&stale).unwrap().status, UploadStatus::Cancelled);
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fresh = result["id"].as_str().unwrap();
    assert_ne!(fresh, stale);
    assert_eq!(fake.file_bytes(fresh).unwrap(), data);
    assert!(
        stderr.starts_with(&format!(
            "Not resuming Upload {stale} from an earlier run: the file changed since (it was \
             modified); it was cancelled. Starting a new Upload.\n"
        )),
        "{stderr}"
    );
    assert!(journals(dir.path()).is_empty());
}

#[test]
fn pending_lists_journaled_uploads_and_prune_cancels_those_no_run_works_on() {
    let fake = stalling_fake(2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("train.jsonl");
    std::fs::write(&path, pseudo_random(PARTS * PART, 24)).unwrap();
    let journal_dir = dir.path().to_str().unwrap();
    let pending = || {
        let out = run(openai(
            &fake,
            &["uploads", "pending", "--journal-dir", journal_dir],
        ));
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let prune = || {
        let out = run(openai(
            &fake,
            &["uploads", "prune", "--journal-dir", journal_dir],
        ));
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };

    // While a run is working on it: listed as active, and prune leaves it alone.
    let mut cmd = upload(
        &fake,
        &path,
        dir.path(),
        &["--part-size", "1KiB", "--concurrency", "1"],
    );
    let child = cmd.spawn().unwrap();
    let id = wait_for_journal(dir.path(), 2, &child);
    let listed = pending();
    assert_eq!(listed[0]["upload_id"], id.as_str());
    assert_eq!(listed[0]["active"], true);
    let pruned = prune();
    assert_eq!(pruned[0]["outcome"], "active");
    assert_eq!(fake.upload(&id).unwrap().status, UploadStatus::Pending);

    // Killed: left pending, listed, then cancelled by prune.
    kill(child, libc::SIGKILL);
    let listed = pending();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let entry = &listed[0];
    assert_eq!(entry["upload_id"], id.as_str());
    assert_eq!(
        entry["path"],
        std::fs::canonicalize(&path).unwrap().to_str().unwrap()
    );
    assert_eq!(entry["bytes"], PARTS * PART);
    assert_eq!(entry["bytes_sent"], 2 * PART);
    assert_eq!(entry["parts"], PARTS);
    assert_eq!(entry["parts_sent"], 2);
    assert_eq!(entry["active"], false);
    assert!(entry["seconds_left"].as_u64().unwrap() > 3000, "{entry}");

    let pruned = prune();
    assert_eq!(pruned[0]["upload_id"], id.as_str());
    assert_eq!(pruned[0]["outcome"], "cancelled");
    assert_eq!(fake.upload(&id).unwrap().status, UploadStatus::Cancelled);
    assert!(journals(dir.path()).is_empty());
    assert_eq!(pending(), Value::Array(Vec::new()));
}

#[test]
fn an_upload_too_close_to_its_expiry_stops_and_keeps_its_journal() {
    // The fake's Uploads live 5 s: too little to finish before they expire.
    let fake = fake(Config {
        upload_ttl: Duration::from_secs(5),
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("train.jsonl");
    std::fs::write(&path, pseudo_random(2 * PART, 25)).unwrap();
    let out = run(upload(&fake, &path, dir.path(), &["--part-size", "1KiB"]));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(text(&out.stdout), "");
    let journal = journals(dir.path()).pop().expect("the journal is kept");
    let id = journal["upload_id"].as_str().unwrap();
    assert!(
        stderr.starts_with(&format!("Error: stopped: Upload {id} expires in ")),
        "{stderr}"
    );
    assert!(
        stderr.contains("too soon to send the next Part"),
        "{stderr}"
    );
    let (file, journal_dir) = (path.to_str().unwrap(), dir.path().to_str().unwrap());
    let base = fake.base_url();
    assert!(
        stderr.ends_with(&format!(
            "Its journal is kept: on a faster connection, run `openai uploads upload --base-url \
             {base} {file} --purpose fine-tune --journal-dir {journal_dir}` to resume it before \
             it expires, or `openai uploads prune --base-url {base} --journal-dir {journal_dir}` \
             to cancel it.\n"
        )),
        "{stderr}"
    );
    assert_eq!(fake.count(Route::AddPart), 0);
    assert_eq!(fake.count(Route::CancelUpload), 0);
    assert_eq!(fake.upload(id).unwrap().status, UploadStatus::Pending);
}

#[test]
fn progress_json_reports_a_clean_run_and_a_retried_part() {
    let fake = fake(Config {
        // The first part received fails once with a 502.
        flaky_parts: Some(FlakyParts::each_fails(1, 1, FaultKind::Status(502))),
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let data = pseudo_random(3 * PART, 26);
    let path = dir.path().join("train.jsonl");
    std::fs::write(&path, &data).unwrap();
    let out = run(upload(
        &fake,
        &path,
        dir.path(),
        &[
            "--part-size",
            "1KiB",
            "--concurrency",
            "1",
            "--progress",
            "json",
        ],
    ));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let result: Value = serde_json::from_slice(&out.stdout).expect("stdout is only the result");
    let id = result["id"].as_str().unwrap();
    let events = events(&stderr);
    assert_eq!(
        names(&events),
        [
            "created",
            "part_retried",
            "part_sent",
            "part_sent",
            "part_sent",
            "completed"
        ],
        "{stderr}"
    );
    let created = &events[0];
    assert_eq!(created["upload_id"], id);
    assert_eq!(created["bytes"], 3 * PART);
    assert_eq!(created["parts"], 3);
    assert_eq!(created["part_size"], PART);
    assert!(created["expires_at"].as_u64().unwrap() > 0);
    let retried = &events[1];
    assert_eq!(retried["index"], 0);
    assert_eq!(retried["attempt"], 2);
    assert!(
        retried["error"].as_str().unwrap().contains("502"),
        "{retried}"
    );
    assert!(retried["wait_seconds"].as_f64().unwrap() > 0.0);
    for (event, index) in events[2..5].iter().zip(0..) {
        assert_eq!(event["index"], index);
        assert_eq!(event["bytes"], PART);
        assert!(event["part_id"].as_str().unwrap().starts_with("part"));
    }
    assert_eq!(events[2]["attempts"], 2);
    assert_eq!(events[5]["upload_id"], id);
    assert_eq!(fake.file_bytes(id).unwrap(), data);
}
