//! The uploader against what real uploads meet, on the fake with its fault
//! injection: transient part failures, replies lost after the work was done,
//! runs that end with their Upload pending and are resumed, journals that
//! cannot be used, and an Upload too close to its expiry.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use crate::common::{KEY, Recorded, bounded, fake, md5_hex, pattern};
use openai_fake::{Config, Fake, FaultKind, FlakyParts, PartFault, Route, UploadStatus};
use openai_uploads::{
    Client, CompletedUpload, UploadError, UploadEvent, UploadOptions, pending_uploads,
};
use tempfile::TempDir;

const KIB: u64 = 1024;

fn client_with_timeout(fake: &Fake, timeout: Duration) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(fake.base_url())
        .timeout(timeout)
        .build()
        .unwrap()
}

/// A client whose timeout no fault here comes near: only a hang hits it.
fn client(fake: &Fake) -> Client {
    client_with_timeout(fake, Duration::from_secs(10))
}

/// A temporary directory holding `train.jsonl` (`len` patterned bytes) and
/// room for a `journals` directory; both go when it is dropped.
struct Scratch {
    _dir: TempDir,
    path: PathBuf,
    journals: PathBuf,
    data: Vec<u8>,
}

fn scratch(len: u64) -> Scratch {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(len);
    let path = dir.path().join("train.jsonl");
    std::fs::write(&path, &data).unwrap();
    let journals = dir.path().join("journals");
    Scratch {
        _dir: dir,
        path,
        journals,
        data,
    }
}

/// Options with the journals in `journals` and everything else the default.
fn journaled(journals: &Path) -> UploadOptions {
    UploadOptions::new("fine-tune").journal_dir(journals)
}

/// Uploads `path`, returning the outcome and the events but progress.
async fn upload(
    client: &Client,
    path: &Path,
    options: &UploadOptions,
) -> (Result<CompletedUpload, UploadError>, Vec<UploadEvent>) {
    let events = Recorded::default();
    let record = |event: &UploadEvent| events.record(event);
    let result = bounded(client.uploads().upload_file_with(
        path,
        options,
        &record,
        std::future::pending(),
    ))
    .await;
    (result, events.take())
}

/// The ids of the Parts the fake stored for the Upload, by request.
fn stored_parts(fake: &Fake) -> Vec<(Option<FaultKind>, String, String)> {
    fake.requests()
        .into_iter()
        .filter(|r| r.route == Route::AddPart)
        .filter_map(|r| {
            let part = r.part?;
            Some((r.fault, part.md5?, part.id?))
        })
        .collect()
}

/// The md5s of the Parts the fake stored, by request.
fn stored_md5s(fake: &Fake) -> Vec<String> {
    stored_parts(fake)
        .into_iter()
        .map(|(_, md5, _)| md5)
        .collect()
}

/// Asserts that `done` is a new Upload, not `stale`, and holds `data`.
fn assert_uploaded_afresh(fake: &Fake, done: &CompletedUpload, stale: &str, data: &[u8]) {
    assert_ne!(done.upload_id, stale);
    assert_eq!(fake.file_bytes(&done.upload_id).unwrap(), data);
}

/// The path of the one journal in `journals`.
fn the_journal(journals: &Path) -> PathBuf {
    pending_uploads(Some(journals)).unwrap()[0].journal.clone()
}

/// Rewrites the one journal in `journals` through `edit` on its JSON.
fn edit_journal(journals: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let journal = the_journal(journals);
    let mut record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&journal).unwrap()).unwrap();
    edit(&mut record);
    std::fs::write(&journal, serde_json::to_vec(&record).unwrap()).unwrap();
}

async fn transient_failures_heal(faults: Vec<FaultKind>, timeout: Duration) {
    let fake = fake(Config {
        flaky_parts: Some(FlakyParts { parts: 3, faults }),
        ..Config::default()
    });
    let scratch = scratch(5 * 16 * KIB + 100);
    let options = journaled(&scratch.journals)
        .part_size(16 * KIB)
        .concurrency(3);
    let client = client_with_timeout(&fake, timeout);
    let (done, events) = upload(&client, &scratch.path, &options).await;
    assert_eq!(
        fake.file_bytes(&done.unwrap().upload_id).unwrap(),
        scratch.data
    );
    let retried: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            UploadEvent::PartRetried { index, attempt, .. } => Some((*index, *attempt)),
            _ => None,
        })
        .collect();
    // Three parts, each sent twice more.
    assert_eq!(retried.len(), 6, "{events:?}");
    let sent: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            UploadEvent::PartSent { attempts, .. } => Some(*attempts),
            _ => None,
        })
        .collect();
    assert_eq!(sent.iter().filter(|&&attempts| attempts == 3).count(), 3);
    assert_eq!(sent.len(), 6);
    assert_eq!(fake.count(Route::AddPart), 6 + 6);
    assert_eq!(fake.count(Route::CancelUpload), 0);
    // Done and clean: no journal left.
    assert_eq!(pending_uploads(Some(&scratch.journals)).unwrap(), []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_that_fail_twice_with_502_or_a_reset_are_retried() {
    transient_failures_heal(
        vec![FaultKind::Status(502), FaultKind::Reset],
        Duration::from_secs(10),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_that_time_out_twice_are_retried() {
    transient_failures_heal(
        vec![FaultKind::Hang, FaultKind::Hang],
        Duration::from_millis(500),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_whose_reply_was_lost_is_completed_with_the_retrys_id() {
    let fake = fake(Config {
        part_faults: vec![PartFault {
            nth: 2,
            kind: FaultKind::StoreThenDrop,
        }],
        ..Config::default()
    });
    let scratch = scratch(4 * 16 * KIB);
    let options = journaled(&scratch.journals)
        .part_size(16 * KIB)
        .concurrency(1);
    let (done, events) = upload(&client(&fake), &scratch.path, &options).await;
    assert_eq!(
        fake.file_bytes(&done.unwrap().upload_id).unwrap(),
        scratch.data
    );

    let stored = stored_parts(&fake);
    let (orphan_md5, orphan_id) = stored
        .iter()
        .find(|(fault, ..)| *fault == Some(FaultKind::StoreThenDrop))
        .map(|(_, md5, id)| (md5.clone(), id.clone()))
        .expect("the fake stored the part whose reply it dropped");
    let retry_id = stored
        .iter()
        .find(|(fault, md5, _)| fault.is_none() && *md5 == orphan_md5)
        .map(|(.., id)| id.clone())
        .expect("the part was sent again");
    assert_ne!(retry_id, orphan_id);
    let used: Vec<String> = events
        .into_iter()
        .filter_map(|event| match event {
            UploadEvent::PartSent { part_id, .. } => Some(part_id),
            _ => None,
        })
        .collect();
    assert!(used.contains(&retry_id), "{used:?}");
    assert!(!used.contains(&orphan_id), "{used:?}");
}

/// A fake whose parts request number `after + 1` never answers: an upload
/// sending one part at a time stalls after `after` parts, and cannot finish
/// before [`leave_pending`] "crashes" it. Later runs' requests are not
/// affected.
fn stalling_fake(after: usize) -> Fake {
    fake(Config {
        part_faults: vec![PartFault {
            nth: after + 1,
            kind: FaultKind::Hang,
        }],
        ..Config::default()
    })
}

/// Uploads `path` one 16 KiB part at a time and "crashes" once the journal
/// records `after` parts: the upload's future is dropped on a thread with
/// no Tokio runtime, so nothing cancels the Upload, and the journal stays,
/// as after `kill -9`.
async fn leave_pending(fake: &Fake, path: &Path, journals: &Path, after: usize) -> String {
    let base_url = fake.base_url();
    let (path, journals) = (path.to_path_buf(), journals.to_path_buf());
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = Client::builder()
            .api_key(KEY)
            .base_url(base_url)
            .build()
            .unwrap();
        let options = UploadOptions::new("fine-tune")
            .journal_dir(&journals)
            .part_size(16 * KIB)
            .concurrency(1);
        let acknowledged = tokio::sync::Notify::new();
        let (count, id) = (Mutex::new(0), Mutex::new(String::new()));
        let events = |event: &UploadEvent| match event {
            UploadEvent::Created { upload_id, .. } => *id.lock().unwrap() = upload_id.clone(),
            UploadEvent::PartSent { .. } => {
                let mut count = count.lock().unwrap();
                *count += 1;
                if *count == after {
                    acknowledged.notify_one();
                }
            }
            _ => {}
        };
        let mut upload = Box::pin(client.uploads().upload_file_with(
            &path,
            &options,
            &events,
            std::future::pending(),
        ));
        let journaled = async {
            acknowledged.notified().await;
            while pending_uploads(Some(&journals)).unwrap()[0].parts_sent < after {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        };
        runtime.block_on(async {
            tokio::select! {
                result = &mut upload => panic!("the upload should not end: {result:?}"),
                () = bounded(journaled) => {}
            }
        });
        // Outside the runtime: no cancel can be spawned.
        drop(upload);
        drop(runtime);
        let id = id.into_inner().unwrap();
        assert!(!id.is_empty());
        id
    });
    tokio::task::spawn_blocking(move || thread.join().unwrap())
        .await
        .unwrap()
}

/// A stalling fake, a scratch file of `len` bytes, and the Upload that a
/// run "crashed" after `after` parts left pending there (its id).
async fn a_pending_upload(after: usize, len: u64) -> (Fake, Scratch, String) {
    let fake = stalling_fake(after);
    let scratch = scratch(len);
    let id = leave_pending(&fake, &scratch.path, &scratch.journals, after).await;
    (fake, scratch, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_upload_is_resumed_with_only_its_missing_parts() {
    let (fake, scratch, id) = a_pending_upload(3, 8 * 16 * KIB - 7).await;
    let (path, journals, data) = (&scratch.path, &scratch.journals, &scratch.data);
    assert_eq!(fake.upload(&id).unwrap().status, UploadStatus::Pending);

    let pending = pending_uploads(Some(journals)).unwrap();
    assert_eq!(pending.len(), 1);
    let listed = &pending[0];
    assert_eq!(listed.upload_id, id);
    assert_eq!(listed.path, std::fs::canonicalize(path).unwrap());
    assert_eq!(listed.parts, 8);
    let sent_before = listed.parts_sent;
    assert!(sent_before >= 3, "{listed:?}");
    assert_eq!(listed.bytes_sent, sent_before as u64 * 16 * KIB);
    assert!(!listed.active);
    assert!(!listed.expired());

    let first_run = stored_md5s(&fake);
    let (done, events) = upload(&client(&fake), path, &journaled(journals)).await;
    assert_eq!(done.unwrap().upload_id, id);
    assert_eq!(fake.file_bytes(&id).unwrap(), *data);
    assert_eq!(fake.upload(&id).unwrap().status, UploadStatus::Completed);
    assert!(
        matches!(&events[0], UploadEvent::Resumed { upload_id, parts: 8, parts_done, part_size, .. }
            if *upload_id == id && *parts_done == sent_before && *part_size == 16 * KIB),
        "{events:?}"
    );
    // The second run sent exactly the parts the journal lacked.
    let all = stored_md5s(&fake);
    let second_run = &all[first_run.len()..];
    assert_eq!(second_run.len(), 8 - sent_before);
    let expected: Vec<String> = data
        .chunks(16 * KIB as usize)
        .map(md5_hex)
        .filter(|md5| !first_run[..sent_before].contains(md5))
        .collect();
    let mut second_sorted = second_run.to_vec();
    second_sorted.sort();
    let mut expected_sorted = expected;
    expected_sorted.sort();
    assert_eq!(second_sorted, expected_sorted);
    assert_eq!(fake.count(Route::CreateUpload), 1);
    assert_eq!(pending_uploads(Some(journals)).unwrap(), []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_file_cancels_the_stale_upload_and_starts_afresh() {
    let (fake, scratch, stale) = a_pending_upload(2, 8 * 16 * KIB).await;
    let data = pattern(8 * 16 * KIB + 1);
    std::fs::write(&scratch.path, &data).unwrap();

    let (done, events) = upload(&client(&fake), &scratch.path, &journaled(&scratch.journals)).await;
    assert_uploaded_afresh(&fake, &done.unwrap(), &stale, &data);
    assert_eq!(fake.upload(&stale).unwrap().status, UploadStatus::Cancelled);
    assert!(
        matches!(&events[0], UploadEvent::Discarded { upload_id, reason, cancelled: true }
            if *upload_id == stale && reason.contains("the file changed since")),
        "{events:?}"
    );
    assert!(
        matches!(&events[1], UploadEvent::Created { .. }),
        "{events:?}"
    );
    assert_eq!(pending_uploads(Some(&scratch.journals)).unwrap(), []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_upload_found_completed_is_not_called_cancelled() {
    let (fake, scratch, stale) = a_pending_upload(2, 8 * 16 * KIB).await;
    // Say another run completed it meanwhile: its cancel is refused.
    let mut completed = fake.upload(&stale).unwrap();
    completed.status = UploadStatus::Completed;
    fake.state().insert_upload(completed);
    let data = pattern(8 * 16 * KIB + 1);
    std::fs::write(&scratch.path, &data).unwrap();

    let (done, events) = upload(&client(&fake), &scratch.path, &journaled(&scratch.journals)).await;
    assert_uploaded_afresh(&fake, &done.unwrap(), &stale, &data);
    assert_eq!(fake.upload(&stale).unwrap().status, UploadStatus::Completed);
    assert_eq!(fake.count(Route::CancelUpload), 1);
    assert!(
        matches!(&events[0], UploadEvent::Discarded { upload_id, cancelled: false, .. }
            if *upload_id == stale),
        "{events:?}"
    );
    assert_eq!(pending_uploads(Some(&scratch.journals)).unwrap(), []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_resume_off_the_journaled_upload_is_cancelled() {
    let (fake, scratch, stale) = a_pending_upload(2, 8 * 16 * KIB).await;
    let options = journaled(&scratch.journals).resume(false);
    let (done, events) = upload(&client(&fake), &scratch.path, &options).await;
    assert_uploaded_afresh(&fake, &done.unwrap(), &stale, &scratch.data);
    assert_eq!(fake.upload(&stale).unwrap().status, UploadStatus::Cancelled);
    assert!(
        matches!(&events[0], UploadEvent::Discarded { upload_id, reason, cancelled: true }
            if *upload_id == stale && reason == "resuming is turned off"),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_upload_is_dropped_without_a_cancel() {
    let (fake, scratch, stale) = a_pending_upload(2, 8 * 16 * KIB).await;
    let journals = &scratch.journals;
    // Expired by the journal's clock (the fake need not agree).
    edit_journal(journals, |record| record["deadline"] = 1.into());
    assert!(pending_uploads(Some(journals)).unwrap()[0].expired());

    let (done, events) = upload(&client(&fake), &scratch.path, &journaled(journals)).await;
    assert_uploaded_afresh(&fake, &done.unwrap(), &stale, &scratch.data);
    assert_eq!(fake.count(Route::CancelUpload), 0);
    assert!(
        matches!(&events[0], UploadEvent::Discarded { upload_id, reason, cancelled: false }
            if *upload_id == stale && reason == "it expired"),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_cancels_what_no_run_works_on() {
    let (fake, scratch, id) = a_pending_upload(1, 8 * 16 * KIB).await;
    let journals = &scratch.journals;
    let pruned = bounded(client(&fake).uploads().prune_pending(Some(journals)))
        .await
        .unwrap();
    assert_eq!(pruned.len(), 1);
    assert_eq!(pruned[0].pending.upload_id, id);
    assert!(
        matches!(pruned[0].outcome, openai_uploads::PruneOutcome::Cancelled),
        "{pruned:?}"
    );
    assert_eq!(fake.upload(&id).unwrap().status, UploadStatus::Cancelled);
    assert_eq!(pending_uploads(Some(journals)).unwrap(), []);
    // Nothing left: no lock files either.
    assert_eq!(std::fs::read_dir(journals).unwrap().count(), 0);
}

/// Uploads with the journal at `journal_bytes`, expecting a fresh start.
async fn fresh_start_despite(journal_bytes: &[u8], want: &str) {
    // Find the journal's name: leave one pending, then spoil it.
    let (fake, scratch, stale) = a_pending_upload(1, 3 * 16 * KIB).await;
    let journals = &scratch.journals;
    std::fs::write(the_journal(journals), journal_bytes).unwrap();
    let listed = &pending_uploads(Some(journals)).unwrap()[0];
    assert!(
        listed
            .unreadable
            .as_deref()
            .is_some_and(|why| why.contains(want)),
        "{listed:?}"
    );

    let (done, events) = upload(&client(&fake), &scratch.path, &journaled(journals)).await;
    assert_uploaded_afresh(&fake, &done.unwrap(), &stale, &scratch.data);
    assert!(
        matches!(&events[0], UploadEvent::JournalWarning { message }
            if message.contains("cannot be used") && message.contains(want)),
        "{events:?}"
    );
    assert!(
        matches!(&events[1], UploadEvent::Created { .. }),
        "{events:?}"
    );
    assert_eq!(pending_uploads(Some(journals)).unwrap(), []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_journal_means_a_fresh_start() {
    fresh_start_despite(b"\x00\xff not json", "not valid JSON").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_journal_means_a_fresh_start() {
    fresh_start_despite(br#"{"version": 1, "upload_id": "upl"#, "not valid JSON").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_from_a_future_version_means_a_fresh_start() {
    fresh_start_despite(
        br#"{"version": 99, "upload_id": "upload_x"}"#,
        "newer version",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_does_not_fit_the_file_is_not_trusted() {
    // Well-formed, but its parts point past the file's end.
    let (fake, scratch, stale) = a_pending_upload(1, 3 * 16 * KIB).await;
    edit_journal(&scratch.journals, |record| {
        record["parts"] = serde_json::json!([[0, "part_a"], [99, "part_b"]]);
    });

    let (done, events) = upload(&client(&fake), &scratch.path, &journaled(&scratch.journals)).await;
    assert_uploaded_afresh(&fake, &done.unwrap(), &stale, &scratch.data);
    assert_eq!(fake.upload(&stale).unwrap().status, UploadStatus::Cancelled);
    assert!(matches!(&events[0], UploadEvent::Discarded { reason, .. }
            if reason == "its journal does not fit the file"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_journal_directory_does_not_stop_the_upload() {
    let fake = fake(Config::default());
    let scratch = scratch(2 * 16 * KIB);
    // A directory under a regular file cannot be made, even by root.
    let options = journaled(&scratch.path.join("journals")).part_size(16 * KIB);
    let (done, events) = upload(&client(&fake), &scratch.path, &options).await;
    assert_eq!(
        fake.file_bytes(&done.unwrap().upload_id).unwrap(),
        scratch.data
    );
    assert!(
        matches!(&events[0], UploadEvent::JournalWarning { message }
            if message.starts_with("no journal is kept")),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_too_close_to_its_expiry_stops_with_its_journal() {
    // The fake's Uploads live 5 s: too little to finish before they expire.
    let fake = fake(Config {
        upload_ttl: Duration::from_secs(5),
        ..Config::default()
    });
    let scratch = scratch(3 * 16 * KIB);
    let journals = &scratch.journals;
    let options = journaled(journals).part_size(16 * KIB);
    let (result, _) = upload(&client(&fake), &scratch.path, &options).await;
    let err = result.unwrap_err();
    let UploadError::Expiring {
        upload_id,
        expires_in,
        journal: Some(journal),
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert!(*expires_in <= Duration::from_secs(5), "{err:?}");
    assert!(journal.exists());
    assert_eq!(fake.count(Route::AddPart), 0);
    assert_eq!(fake.count(Route::CancelUpload), 0);
    assert_eq!(
        fake.upload(upload_id).unwrap().status,
        UploadStatus::Pending
    );
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("upload {upload_id} stopped: it expires in ")),
        "{text}"
    );
    assert!(
        text.ends_with("; its journal is kept, to resume it"),
        "{text}"
    );
    let pending = pending_uploads(Some(journals)).unwrap();
    assert_eq!(pending[0].upload_id, *upload_id);
}

/// A journaled Upload the server answers 404 for (it was deleted, or the
/// journal came from elsewhere) would fail every run the same way: it is
/// dropped with a warning, and a fresh Upload starts in the same run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_upload_the_server_does_not_know_is_dropped_for_a_fresh_one() {
    let (fake, scratch, stale) = a_pending_upload(1, 3 * 16 * KIB).await;
    edit_journal(&scratch.journals, |record| {
        record["upload_id"] = "upload_unknown_to_the_server".into();
    });
    let options = journaled(&scratch.journals).part_size(16 * KIB);
    let (done, events) = upload(&client(&fake), &scratch.path, &options).await;
    assert_uploaded_afresh(&fake, &done.unwrap(), &stale, &scratch.data);
    let discarded = events.iter().position(|event| {
        matches!(event, UploadEvent::Discarded { upload_id, reason, cancelled: false }
            if upload_id == "upload_unknown_to_the_server" && reason.contains("does not know it"))
    });
    let created = events
        .iter()
        .position(|event| matches!(event, UploadEvent::Created { .. }));
    assert!(
        matches!((discarded, created), (Some(d), Some(c)) if d < c),
        "{events:?}"
    );
    assert_eq!(pending_uploads(Some(&scratch.journals)).unwrap(), []);
    // And the next run has nothing to trip on.
    let (again, _) = upload(&client(&fake), &scratch.path, &options).await;
    assert!(again.is_ok(), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_removes_the_journal_of_an_upload_the_server_does_not_know() {
    let (fake, scratch, _) = a_pending_upload(1, 3 * 16 * KIB).await;
    edit_journal(&scratch.journals, |record| {
        record["upload_id"] = "upload_unknown_to_the_server".into();
    });
    let pruned = bounded(
        client(&fake)
            .uploads()
            .prune_pending(Some(&scratch.journals)),
    )
    .await
    .unwrap();
    assert!(
        matches!(&pruned[..], [one] if matches!(one.outcome, openai_uploads::PruneOutcome::Unknown)
            && one.outcome.as_str() == "unknown"),
        "{pruned:?}"
    );
    assert_eq!(pending_uploads(Some(&scratch.journals)).unwrap(), []);
}

/// The journal's key covers the account: a run with another project (or
/// key) does not pick up this project's Upload, nor does its prune touch it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_run_leaves_the_upload_alone() {
    let (fake, scratch, id) = a_pending_upload(1, 3 * 16 * KIB).await;
    let other = Client::builder()
        .api_key(KEY)
        .project("proj_other")
        .base_url(fake.base_url())
        .build()
        .unwrap();
    let options = journaled(&scratch.journals).part_size(16 * KIB);
    let (done, events) = upload(&other, &scratch.path, &options).await;
    assert_uploaded_afresh(&fake, &done.unwrap(), &id, &scratch.data);
    assert!(
        matches!(&events[0], UploadEvent::Created { .. }),
        "{events:?}"
    );
    assert_eq!(fake.upload(&id).unwrap().status, UploadStatus::Pending);
    let pruned = bounded(other.uploads().prune_pending(Some(&scratch.journals)))
        .await
        .unwrap();
    assert!(
        matches!(&pruned[..], [one] if matches!(one.outcome, openai_uploads::PruneOutcome::OtherAccount)),
        "{pruned:?}"
    );
    assert_eq!(fake.upload(&id).unwrap().status, UploadStatus::Pending);
    // Its own account resumes it.
    let (done, events) = upload(&client(&fake), &scratch.path, &options).await;
    assert_eq!(done.unwrap().upload_id, id);
    assert!(
        matches!(&events[0], UploadEvent::Resumed { upload_id, .. } if *upload_id == id),
        "{events:?}"
    );
}

/// In a journal directory, links planted at the journal's path and at the
/// path an older build wrote its temporary file to are never written
/// through: the files they point to keep their bytes.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_symlink_is_never_written_through() {
    let (fake, scratch, stale) = a_pending_upload(1, 3 * 16 * KIB).await;
    let journal = the_journal(&scratch.journals);
    let victims = tempfile::tempdir().unwrap();
    let (precious, other) = (
        victims.path().join("precious"),
        victims.path().join("other"),
    );
    std::fs::write(&precious, b"keep me").unwrap();
    std::fs::write(&other, b"me too").unwrap();
    std::fs::remove_file(&journal).unwrap();
    std::os::unix::fs::symlink(&precious, &journal).unwrap();
    std::os::unix::fs::symlink(&other, journal.with_extension("json.tmp")).unwrap();

    let listed = &pending_uploads(Some(&scratch.journals)).unwrap()[0];
    assert!(
        listed
            .unreadable
            .as_deref()
            .is_some_and(|why| why.contains("symbolic link")),
        "{listed:?}"
    );
    let options = journaled(&scratch.journals).part_size(16 * KIB);
    let (done, events) = upload(&client(&fake), &scratch.path, &options).await;
    assert_uploaded_afresh(&fake, &done.unwrap(), &stale, &scratch.data);
    assert!(
        matches!(&events[0], UploadEvent::JournalWarning { message }
            if message.contains("is skipped") && message.contains("symbolic link")),
        "{events:?}"
    );
    assert_eq!(std::fs::read(&precious).unwrap(), b"keep me");
    assert_eq!(std::fs::read(&other).unwrap(), b"me too");
}

/// A FIFO where the journal should be: reading it the ordinary way would
/// wait for a writer forever.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_at_the_journal_path_does_not_hang_the_upload() {
    let (fake, scratch, stale) = a_pending_upload(1, 3 * 16 * KIB).await;
    let journal = the_journal(&scratch.journals);
    std::fs::remove_file(&journal).unwrap();
    let name = std::ffi::CString::new(journal.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);

    let listed = bounded(async { pending_uploads(Some(&scratch.journals)).unwrap() }).await;
    assert!(
        listed[0]
            .unreadable
            .as_deref()
            .is_some_and(|why| why.contains("not a regular file")),
        "{listed:?}"
    );
    let options = journaled(&scratch.journals).part_size(16 * KIB);
    let (done, events) = upload(&client(&fake), &scratch.path, &options).await;
    assert_uploaded_afresh(&fake, &done.unwrap(), &stale, &scratch.data);
    assert!(
        matches!(&events[0], UploadEvent::JournalWarning { message }
            if message.contains("not a regular file")),
        "{events:?}"
    );
}

/// Like ssh with `~/.ssh`: a journal directory other users can write in
/// is not used (they could plant journals or links), and says why.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_directory_others_can_write_is_not_used() {
    use std::os::unix::fs::PermissionsExt as _;
    let fake = fake(Config::default());
    let scratch = scratch(2 * 16 * KIB);
    std::fs::create_dir(&scratch.journals).unwrap();
    std::fs::set_permissions(&scratch.journals, std::fs::Permissions::from_mode(0o770)).unwrap();
    let options = journaled(&scratch.journals).part_size(16 * KIB);
    let journaled_during = Mutex::new(Vec::new());
    let journals = scratch.journals.clone();
    let events = Recorded::default();
    let record = |event: &UploadEvent| {
        if matches!(event, UploadEvent::PartSent { .. }) {
            journaled_during
                .lock()
                .unwrap()
                .push(std::fs::read_dir(&journals).unwrap().count());
        }
        events.record(event);
    };
    let done = bounded(client(&fake).uploads().upload_file_with(
        &scratch.path,
        &options,
        &record,
        std::future::pending(),
    ))
    .await;
    assert!(done.is_ok(), "{done:?}");
    let events = events.take();
    assert!(
        matches!(&events[0], UploadEvent::JournalWarning { message }
            if message.contains("other users can write in it")),
        "{events:?}"
    );
    // Nothing was ever written there.
    assert!(
        journaled_during.lock().unwrap().iter().all(|&n| n == 0),
        "{journaled_during:?}"
    );
    let err = pending_uploads(Some(&scratch.journals)).unwrap_err();
    assert!(
        err.to_string().contains("other users can write in it"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_journal_is_not_read_whole() {
    let mut huge = b"{\"version\":1,\"pad\":\"".to_vec();
    huge.resize(9 << 20, b'a');
    fresh_start_despite(&huge, "larger than 8 MiB").await;
}

/// A journal field a run checks before trusting it: `edit` spoils it, and
/// the Upload is discarded for `reason` and a new one made.
async fn discarded_for(edit: impl FnOnce(&mut serde_json::Value), reason: &str) {
    let (fake, scratch, stale) = a_pending_upload(1, 3 * 16 * KIB).await;
    edit_journal(&scratch.journals, edit);
    let (done, events) = upload(&client(&fake), &scratch.path, &journaled(&scratch.journals)).await;
    assert_uploaded_afresh(&fake, &done.unwrap(), &stale, &scratch.data);
    assert!(
        matches!(&events[0], UploadEvent::Discarded { reason: why, .. } if why == reason),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_of_another_api_is_not_resumed() {
    discarded_for(
        |record| record["base_url"] = "http://elsewhere.example/v1".into(),
        "it was created with other parameters",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_with_an_impossible_part_size_is_not_resumed() {
    discarded_for(
        |record| record["part_size"] = (openai_uploads::MAX_PART_SIZE + 1).into(),
        "its journal does not fit the file",
    )
    .await;
}

/// A journal written before accounts were recorded is still resumed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_without_an_account_is_resumed() {
    let (fake, scratch, id) = a_pending_upload(1, 3 * 16 * KIB).await;
    edit_journal(&scratch.journals, |record| {
        record.as_object_mut().unwrap().remove("account");
    });
    let options = journaled(&scratch.journals).part_size(16 * KIB);
    let (done, events) = upload(&client(&fake), &scratch.path, &options).await;
    assert_eq!(done.unwrap().upload_id, id);
    assert!(
        matches!(&events[0], UploadEvent::Resumed { upload_id, .. } if *upload_id == id),
        "{events:?}"
    );
}
