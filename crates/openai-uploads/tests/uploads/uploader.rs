//! The chunked uploader against the stateful fake: whole uploads, failing
//! parts, interrupts, files that change while they are read.

use std::io::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use crate::common::{KEY, assert_no_key, bounded, fake, pattern};
use openai_fake::{Config, Fake, Route, UploadStatus as FakeStatus};
use openai_uploads::{
    Client, CompletedUpload, Error, Upload, UploadError, UploadEvent, UploadOptions, UploadStatus,
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

/// Options whose journals go to the test target's scratch directory, never the user's.
fn options(purpose: &str) -> UploadOptions {
    UploadOptions::new(purpose).journal_dir(concat!(env!("CARGO_TARGET_TMPDIR"), "/journals"))
}

/// The completed Upload, decoded.
fn completed(done: CompletedUpload) -> Upload {
    done.upload.expect("the reply decodes")
}

fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new()
        .prefix("train")
        .suffix(".jsonl")
        .tempfile()
        .unwrap();
    file.write_all(bytes).unwrap();
    file.flush().unwrap();
    file
}

/// The one Upload the fake saw created.
fn created_id(fake: &Fake) -> String {
    let creates: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.route == Route::CreateUpload)
        .collect();
    assert_eq!(creates.len(), 1, "{creates:?}");
    let parts = fake.requests();
    parts
        .iter()
        .find_map(|r| r.upload_id.clone())
        .expect("a request named the upload")
}

// Multi-threaded, as the CLI runs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_part_upload_arrives_byte_for_byte() {
    let fake = fake(Config::default());
    // 7 parts of 64 KiB and a short last one.
    let data = pattern(7 * 64 * KIB + 1234);
    let file = temp_file(&data);
    let options = options("fine-tune").part_size(64 * KIB).concurrency(3);
    let seen = Mutex::new(Vec::new());
    let progress = |event: &UploadEvent| {
        if let UploadEvent::PartSent { bytes, .. } = event {
            seen.lock().unwrap().push(*bytes);
        }
    };
    let upload = bounded(client(&fake).uploads().upload_file_with(
        file.path(),
        &options,
        &progress,
        std::future::pending(),
    ))
    .await
    .unwrap();
    let upload = completed(upload);

    assert_eq!(upload.status, UploadStatus::Completed);
    assert_eq!(upload.bytes, data.len() as i64);
    let name = file.path().file_name().unwrap().to_str().unwrap();
    assert_eq!(upload.filename, name);
    let made = upload
        .file
        .as_ref()
        .expect("the completed Upload has a File");
    assert_eq!(made.bytes, data.len() as i64);
    let stored = fake.file_bytes(&upload.id).expect("the fake kept the File");
    assert!(stored == data, "the fake's File differs from the file");

    assert_eq!(fake.count(Route::AddPart), 8);
    assert_eq!(fake.count(Route::CompleteUpload), 1);
    assert_eq!(fake.count(Route::CancelUpload), 0);
    let mut seen = seen.into_inner().unwrap();
    seen.sort_unstable();
    assert_eq!(
        seen,
        [1234, 65536, 65536, 65536, 65536, 65536, 65536, 65536]
    );
}

#[tokio::test]
async fn one_part_files_and_defaults_work() {
    let fake = fake(Config::default());
    let data = pattern(1000);
    let file = temp_file(&data);
    let upload = bounded(
        client(&fake)
            .uploads()
            .upload_file(file.path(), &options("batch")),
    )
    .await
    .unwrap();
    let upload = completed(upload);
    assert_eq!(upload.status, UploadStatus::Completed);
    assert_eq!(fake.file_bytes(&upload.id).unwrap(), data);
    assert_eq!(fake.count(Route::AddPart), 1);
}

#[tokio::test]
async fn the_upload_future_is_send() {
    let fake = fake(Config::default());
    let file = temp_file(&pattern(300 * KIB));
    let client = client(&fake);
    let path = file.path().to_path_buf();
    // Spawning needs a Send future.
    let task = tokio::spawn(async move {
        let options = options("assistants").part_size(100 * KIB);
        client.uploads().upload_file(path, &options).await
    });
    let upload = completed(bounded(task).await.unwrap().unwrap());
    assert_eq!(fake.count(Route::AddPart), 3);
    assert_eq!(upload.status, UploadStatus::Completed);
}

// Multi-threaded, as the CLI runs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_refused_for_good_cancels_the_upload() {
    let fake = fake(Config {
        fail_part: Some(2),
        fail_part_status: 400,
        ..Config::default()
    });
    let file = temp_file(&pattern(10 * 32 * KIB));
    let options = options("fine-tune").part_size(32 * KIB).concurrency(3);
    let err = bounded(client(&fake).uploads().upload_file(file.path(), &options))
        .await
        .unwrap_err();
    assert_no_key(&err);
    let id = created_id(&fake);
    match &err {
        UploadError::Failed {
            upload_id,
            cancelled,
            cancel_error,
            journal,
            source,
        } => {
            assert_eq!(upload_id, &id);
            assert!(cancelled);
            assert!(cancel_error.is_none());
            assert!(journal.is_none());
            assert_eq!(source.status().map(|s| s.as_u16()), Some(400));
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("upload {id} failed: 400")),
        "{text}"
    );
    assert!(
        text.ends_with(&format!("; cancelled upload {id}")),
        "{text}"
    );

    assert_eq!(fake.upload(&id).unwrap().status, FakeStatus::Cancelled);
    assert_eq!(fake.count(Route::CompleteUpload), 0);
    assert_eq!(fake.count(Route::CancelUpload), 1);
    // What holds however the requests interleave. The refused Part is not
    // sent again: no other request carries its bytes. Parts in flight when
    // the Upload was cancelled may reach the server after the cancel and be
    // refused too (the Upload is no longer pending), but no more than the
    // concurrency can be: the refused one and those beside it.
    let requests = fake.requests();
    let parts: Vec<_> = requests
        .iter()
        .filter(|r| r.route == Route::AddPart)
        .collect();
    let refused: Vec<_> = parts.iter().filter(|r| r.fault.is_some()).collect();
    assert_eq!(refused.len(), 1, "{parts:?}");
    if let Some(md5) = refused[0].part.as_ref().and_then(|part| part.md5.clone()) {
        let sent = parts
            .iter()
            .filter(|r| r.part.as_ref().and_then(|p| p.md5.as_ref()) == Some(&md5))
            .count();
        assert_eq!(sent, 1, "the refused Part was sent again: {parts:?}");
    }
    let failed = parts.iter().filter(|r| r.status == Some(400)).count();
    assert!((1..=3).contains(&failed), "{parts:?}");
    // Stopped: not every Part went out.
    assert!(parts.len() < 10, "{parts:?}");
}

#[tokio::test]
async fn a_rate_limited_part_is_retried_and_the_upload_completes() {
    let fake = fake(Config {
        fail_part: Some(2),
        fail_part_status: 429,
        ..Config::default()
    });
    let data = pattern(4 * 32 * KIB);
    let file = temp_file(&data);
    let options = options("fine-tune").part_size(32 * KIB).concurrency(2);
    let upload = bounded(client(&fake).uploads().upload_file(file.path(), &options))
        .await
        .unwrap();
    assert_eq!(fake.file_bytes(&upload.upload_id).unwrap(), data);
    assert_eq!(fake.count(Route::AddPart), 5);
}

// Multi-threaded, as the CLI runs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_aborts_parts_in_flight_and_cancels() {
    // Parts hang in the fake, so the interrupt finds three in flight.
    let fake = fake(Config {
        part_delay: Duration::from_secs(60),
        ..Config::default()
    });
    let file = temp_file(&pattern(8 * 16 * KIB));
    let options = options("fine-tune").part_size(16 * KIB).concurrency(3);
    let interrupted = AtomicBool::new(false);
    let interrupt = async {
        while fake.count(Route::AddPart) < 3 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        interrupted.store(true, Ordering::SeqCst);
    };
    let err = bounded(client(&fake).uploads().upload_file_with(
        file.path(),
        &options,
        &|_| {},
        interrupt,
    ))
    .await
    .unwrap_err();
    assert!(interrupted.load(Ordering::SeqCst));
    let id = created_id(&fake);
    match &err {
        UploadError::Interrupted {
            upload_id,
            cancelled,
            cancel_error,
            journal: None,
        } => {
            assert_eq!(upload_id.as_deref(), Some(id.as_str()));
            assert!(cancelled);
            assert!(cancel_error.is_none(), "{cancel_error:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!("interrupted; cancelled upload {id}")
    );
    assert_eq!(fake.upload(&id).unwrap().status, FakeStatus::Cancelled);

    // No part was sent after the interrupt, and none in flight was answered.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let parts: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.route == Route::AddPart)
        .collect();
    assert_eq!(parts.len(), 3, "{parts:?}");
    assert!(parts.iter().all(|r| r.status.is_none()), "{parts:?}");
    assert_eq!(fake.count(Route::CompleteUpload), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_upload_future_cancels_the_upload() {
    // Parts hang in the fake; the caller gives up (a select!, a timeout).
    let fake = fake(Config {
        part_delay: Duration::from_secs(60),
        ..Config::default()
    });
    let file = temp_file(&pattern(4 * 16 * KIB));
    let options = options("fine-tune").part_size(16 * KIB).concurrency(2);
    let client = client(&fake);
    let upload = client.uploads().upload_file(file.path(), &options);
    let gave_up = async {
        while fake.count(Route::AddPart) < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::select! {
        result = upload => panic!("the upload should hang, not end: {result:?}"),
        () = bounded(gave_up) => {}
    }
    // The future is dropped now; its guard spawned the cancel.
    let id = created_id(&fake);
    bounded(async {
        while fake.upload(&id).unwrap().status != FakeStatus::Cancelled {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(fake.count(Route::CancelUpload), 1);
    assert_eq!(fake.count(Route::CompleteUpload), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_upload_is_not_cancelled_afterwards() {
    let fake = fake(Config::default());
    let file = temp_file(&pattern(3 * 16 * KIB));
    let options = options("fine-tune").part_size(16 * KIB);
    let upload = bounded(client(&fake).uploads().upload_file(file.path(), &options))
        .await
        .unwrap();
    assert_eq!(completed(upload).status, UploadStatus::Completed);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(fake.count(Route::CancelUpload), 0);
}

// Multi-threaded, as the CLI runs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_while_parts_flow_stops_them() {
    // Parts complete steadily; the interrupt comes mid-stream.
    let fake = fake(Config {
        part_delay: Duration::from_millis(20),
        ..Config::default()
    });
    let file = temp_file(&pattern(60 * 4 * KIB));
    let options = options("fine-tune").part_size(4 * KIB).concurrency(2);
    let at_interrupt = Mutex::new(0);
    let interrupt = async {
        while fake.count(Route::AddPart) < 6 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        *at_interrupt.lock().unwrap() = fake.count(Route::AddPart);
    };
    let err = bounded(client(&fake).uploads().upload_file_with(
        file.path(),
        &options,
        &|_| {},
        interrupt,
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            UploadError::Interrupted {
                cancelled: true,
                ..
            }
        ),
        "{err:?}"
    );
    let id = created_id(&fake);
    assert_eq!(fake.upload(&id).unwrap().status, FakeStatus::Cancelled);
    // At most the two parts already on their way arrive after it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = *at_interrupt.lock().unwrap();
    let parts = fake.count(Route::AddPart);
    assert!(
        parts <= seen + 2,
        "{parts} part requests, {seen} at the interrupt"
    );
    assert_eq!(fake.count(Route::CompleteUpload), 0);
}

/// An interrupt that came before the upload began (a Ctrl-C while the
/// journal was read) stops it before anything is created.
#[tokio::test]
async fn an_interrupt_before_anything_creates_nothing() {
    let fake = fake(Config::default());
    let file = temp_file(&pattern(100));
    let err = bounded(client(&fake).uploads().upload_file_with(
        file.path(),
        &options("fine-tune"),
        &|_| {},
        std::future::ready(()),
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(
            &err,
            UploadError::Interrupted {
                upload_id: None,
                cancelled: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

/// Uploads `file` one 16 KiB part at a time, calling `after_first_part`
/// once the first part is acknowledged; expects a file error.
async fn upload_changing_file(
    file: &tempfile::NamedTempFile,
    after_first_part: impl Fn() + Send + Sync,
) -> (Fake, String, std::io::Error) {
    let fake = fake(Config::default());
    let options = options("fine-tune").part_size(16 * KIB).concurrency(1);
    let first = AtomicBool::new(true);
    let progress = |event: &UploadEvent| {
        if matches!(event, UploadEvent::PartSent { .. }) && first.swap(false, Ordering::SeqCst) {
            after_first_part();
        }
    };
    let err = bounded(client(&fake).uploads().upload_file_with(
        file.path(),
        &options,
        &progress,
        std::future::pending(),
    ))
    .await
    .unwrap_err();
    let id = created_id(&fake);
    assert_eq!(fake.upload(&id).unwrap().status, FakeStatus::Cancelled);
    assert_eq!(fake.count(Route::CompleteUpload), 0);
    let text = err.to_string();
    assert!(
        text.ends_with(&format!("; cancelled upload {id}")),
        "{text}"
    );
    match err {
        UploadError::Failed {
            upload_id,
            cancelled: true,
            source,
            ..
        } => {
            assert_eq!(upload_id, id);
            match *source {
                Error::File { path, source } => {
                    assert_eq!(path, file.path());
                    (fake, text, source)
                }
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_file_that_grows_fails_and_cancels() {
    let file = temp_file(&pattern(4 * 16 * KIB));
    let path = file.path().to_path_buf();
    let (_fake, text, source) = upload_changing_file(&file, move || {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"more").unwrap();
    })
    .await;
    assert_eq!(source.kind(), std::io::ErrorKind::InvalidData);
    assert!(
        text.contains("the file grew while it was read (it had 65536 bytes at the start)"),
        "{text}"
    );
}

#[tokio::test]
async fn a_file_that_shrinks_fails_and_cancels() {
    let file = temp_file(&pattern(4 * 16 * KIB));
    let path = file.path().to_path_buf();
    let (fake, text, source) = upload_changing_file(&file, move || {
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(40 * KIB).unwrap();
    })
    .await;
    assert_eq!(source.kind(), std::io::ErrorKind::UnexpectedEof);
    assert!(text.contains("the file shrank while it was read"), "{text}");
    // The short part was never sent.
    assert!(fake.count(Route::AddPart) <= 3);
}

#[tokio::test]
async fn a_file_modified_in_place_fails_and_cancels() {
    let file = temp_file(&pattern(4 * 16 * KIB));
    let path = file.path().to_path_buf();
    let (_fake, text, _) = upload_changing_file(&file, move || {
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000))
            .unwrap();
    })
    .await;
    assert!(
        text.contains("the file was modified while it was read"),
        "{text}"
    );
}

#[tokio::test]
async fn an_upload_that_expires_meanwhile_is_not_reported_pending() {
    // The Upload expires behind the uploader's back after part 1: part 2 is
    // refused, and the cancel finds it expired already.
    let fake = fake(Config::default());
    let file = temp_file(&pattern(3 * 16 * KIB));
    let options = options("fine-tune").part_size(16 * KIB).concurrency(1);
    let first = AtomicBool::new(true);
    let progress = |event: &UploadEvent| {
        if matches!(event, UploadEvent::PartSent { .. }) && first.swap(false, Ordering::SeqCst) {
            fake.state().advance_time(Duration::from_secs(7200));
        }
    };
    let err = bounded(client(&fake).uploads().upload_file_with(
        file.path(),
        &options,
        &progress,
        std::future::pending(),
    ))
    .await
    .unwrap_err();
    let id = created_id(&fake);
    assert_eq!(fake.upload(&id).unwrap().status, FakeStatus::Expired);
    match &err {
        UploadError::Failed {
            cancelled: true,
            cancel_error: None,
            journal: None,
            source,
            ..
        } => assert_eq!(source.status().map(|s| s.as_u16()), Some(400)),
        other => panic!("{other:?}"),
    }
    // Nothing to cancel or resume: no command to suggest.
    assert_eq!(err.pending_upload_id(), None);
    assert_eq!(fake.count(Route::AddPart), 2);
    assert_eq!(fake.count(Route::CancelUpload), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_counts_bytes_as_they_go_out_not_when_acknowledged() {
    // The fake holds each part's reply: the bytes are out long before the ack.
    let fake = fake(Config {
        part_delay: Duration::from_millis(600),
        ..Config::default()
    });
    let data = pattern(2 * 256 * KIB);
    let file = temp_file(&data);
    let options = options("fine-tune").part_size(256 * KIB).concurrency(1);
    let events = Mutex::new(Vec::new());
    let record = |event: &UploadEvent| events.lock().unwrap().push(event.clone());
    bounded(client(&fake).uploads().upload_file_with(
        file.path(),
        &options,
        &record,
        std::future::pending(),
    ))
    .await
    .unwrap();
    let events = events.into_inner().unwrap();
    let first_ack = events
        .iter()
        .position(|event| matches!(event, UploadEvent::PartSent { .. }))
        .unwrap();
    let before_ack: Vec<u64> = events[..first_ack]
        .iter()
        .filter_map(|event| match event {
            UploadEvent::Progress {
                sent,
                total,
                expires_in,
                ..
            } => {
                assert_eq!(*total, 512 * KIB);
                assert!(expires_in.is_some_and(|left| left > Duration::from_secs(3000)));
                Some(*sent)
            }
            _ => None,
        })
        .collect();
    assert!(before_ack.contains(&(256 * KIB)), "{before_ack:?}");
    // Never more than the file, and it ends at the whole file.
    let last = events.iter().rev().find_map(|event| match event {
        UploadEvent::Progress { sent, .. } => Some(*sent),
        _ => None,
    });
    assert_eq!(last, Some(512 * KIB));
}
