//! Parts streamed from the file: a retried Part sends the same bytes, read
//! from the file again, and a file that changes between a Part's first send
//! and its retry stops the upload.
#![cfg(unix)]

use std::os::unix::fs::FileExt as _;
use std::path::Path;
use std::time::Duration;

use crate::common::{KEY, Recorded, bounded, fake, md5_hex, pattern};
use openai_fake::{Config, Fake, FaultKind, FlakyParts, Route, UploadStatus};
use openai_uploads::{
    Client, CompletedUpload, Error, UploadError, UploadEvent, UploadOptions, pending_uploads,
};

const KIB: u64 = 1024;

fn client(fake: &Fake) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(fake.base_url())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The md5 of each part of `data`, in order.
fn part_md5s(data: &[u8], part_size: u64) -> Vec<String> {
    data.chunks(part_size as usize).map(md5_hex).collect()
}

/// The md5 of each parts request whose body the fake read whole, with its
/// status, in the order they arrived.
fn attempts(fake: &Fake) -> Vec<(String, Option<u16>)> {
    fake.requests()
        .into_iter()
        .filter(|r| r.route == Route::AddPart)
        .filter_map(|r| Some((r.part?.md5?, r.status)))
        .collect()
}

async fn upload_with(
    client: &Client,
    path: &Path,
    options: &UploadOptions,
    on_event: impl Fn(&UploadEvent) + Send + Sync,
) -> (Result<CompletedUpload, UploadError>, Vec<UploadEvent>) {
    let recorded = Recorded::default();
    let events = |event: &UploadEvent| {
        on_event(event);
        recorded.record(event);
    };
    let result = bounded(client.uploads().upload_file_with(
        path,
        options,
        &events,
        std::future::pending(),
    ))
    .await;
    (result, recorded.take())
}

/// Each Part fails twice (a 502, then a connection closed after its body
/// was read) and is sent a third time: every attempt at a Part carries
/// exactly the Part's bytes, as the fake's md5 of each request shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_part_sends_exactly_the_same_bytes() {
    let fake = fake(Config {
        flaky_parts: Some(FlakyParts {
            parts: usize::MAX,
            faults: vec![FaultKind::Status(502), FaultKind::Reset],
        }),
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("train.jsonl");
    // Parts of several send chunks, and a short last one.
    let part_size = 1536 * KIB;
    let data = pattern(3 * part_size + 1000);
    std::fs::write(&path, &data).unwrap();
    let options = UploadOptions::new("fine-tune")
        .journal_dir(dir.path().join("journals"))
        .part_size(part_size)
        .concurrency(2);

    let (done, events) = upload_with(&client(&fake), &path, &options, |_| {}).await;
    let done = done.unwrap();
    assert_eq!(fake.file_bytes(&done.upload_id).unwrap(), data);

    let expected = part_md5s(&data, part_size);
    let attempts = attempts(&fake);
    assert_eq!(attempts.len(), 3 * expected.len(), "{attempts:?}");
    for md5 in &expected {
        let statuses: Vec<_> = attempts
            .iter()
            .filter(|(sent, _)| sent == md5)
            .map(|(_, status)| *status)
            .collect();
        // The 502, the reset (no reply), the success: three times the same bytes.
        assert_eq!(statuses, [Some(502), None, Some(200)], "{attempts:?}");
    }
    let retried = events
        .iter()
        .filter(|event| matches!(event, UploadEvent::PartRetried { .. }))
        .count();
    assert_eq!(retried, 2 * expected.len());
}

/// The first Part fails once; before its retry, a byte in it changes (same
/// size). The retry finds the Part is not what was sent and hashed before:
/// the upload stops, the Upload is cancelled and its journal removed, and
/// the changed bytes never reach the server whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_changed_before_its_retry_stops_the_upload() {
    let fake = fake(Config {
        flaky_parts: Some(FlakyParts::each_fails(1, 1, FaultKind::Status(500))),
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("train.jsonl");
    let journals = dir.path().join("journals");
    let part_size = 1024 * KIB;
    let data = pattern(4 * part_size);
    std::fs::write(&path, &data).unwrap();
    let options = UploadOptions::new("fine-tune")
        .journal_dir(&journals)
        .part_size(part_size)
        .concurrency(1);
    let mut changed = data.clone();
    let at = part_size / 2;
    changed[at as usize] ^= 0xff;
    let edit = |event: &UploadEvent| {
        if let UploadEvent::PartRetried { index: 0, .. } = event {
            // In place, as an editor or a log writer would.
            let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            file.write_all_at(&changed[at as usize..=at as usize], at)
                .unwrap();
        }
    };

    let (result, events) = upload_with(&client(&fake), &path, &options, edit).await;
    let err = result.unwrap_err();
    let id = fake.uploads()[0].id.clone();
    match &err {
        UploadError::Failed {
            upload_id,
            cancelled: true,
            cancel_error: None,
            journal: None,
            source,
        } => {
            assert_eq!(upload_id, &id);
            match &**source {
                Error::File {
                    path: named,
                    source,
                } => {
                    assert_eq!(named, &path);
                    assert_eq!(source.kind(), std::io::ErrorKind::InvalidData);
                }
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains(
            "the file changed during the upload: part 1 is not what was read of it before"
        ),
        "{text}"
    );
    assert_eq!(fake.upload(&id).unwrap().status, UploadStatus::Cancelled);
    assert_eq!(fake.count(Route::CompleteUpload), 0);
    assert!(pending_uploads(Some(&journals)).unwrap().is_empty());
    assert!(
        events
            .iter()
            .any(|e| matches!(e, UploadEvent::PartRetried { index: 0, .. }))
    );
    // The first attempt carried the original bytes; no request carried the
    // changed part whole.
    let original = md5_hex(&data[..part_size as usize]);
    let edited = md5_hex(&changed[..part_size as usize]);
    let attempts = attempts(&fake);
    assert_eq!(attempts[0], (original, Some(500)), "{attempts:?}");
    assert!(
        attempts.iter().all(|(md5, _)| *md5 != edited),
        "{attempts:?}"
    );
}

/// A Part changed before the sequential reader reaches it, after its first
/// send went through: the reader's hash disagrees with the send's, and the
/// upload stops before it is completed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_sent_then_changed_stops_the_upload_before_complete() {
    let fake = fake(Config::default());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("train.jsonl");
    let part_size = 64 * KIB;
    let data = pattern(4 * part_size);
    std::fs::write(&path, &data).unwrap();
    // Long ago, so that the edit surely moves it.
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000))
        .unwrap();
    let options = UploadOptions::new("fine-tune")
        .journal_dir(dir.path().join("journals"))
        .part_size(part_size)
        .concurrency(1);
    // The last part changes once the first is acknowledged; whether the
    // reader or the last part's send reads it first, one of them finds
    // the other disagrees (or the modification time gives it away).
    let edit = |event: &UploadEvent| {
        if let UploadEvent::PartSent { index: 0, .. } = event {
            let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            file.write_all_at(b"!", 4 * part_size - 1).unwrap();
        }
    };
    let (result, _) = upload_with(&client(&fake), &path, &options, edit).await;
    let err = result.unwrap_err();
    assert!(
        matches!(
            &err,
            UploadError::Failed {
                cancelled: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("the file "), "{err}");
    assert_eq!(fake.count(Route::CompleteUpload), 0);
}
