//! The chunked uploader: [`Uploads::upload_file`] and
//! [`Uploads::upload_file_with`].
//!
//! The whole flow is [`Uploads::upload_file_with`]:
//! 1. check the options and the file ([`source`]);
//! 2. look for the file's journal ([`journal`], [`resume`]): resume the
//!    Upload it records while that is still valid, or cancel it and start
//!    afresh;
//! 3. create the Upload (unless resumed) and journal it;
//! 4. send the parts the Upload lacks, each streamed from the file and
//!    retried on its own ([`send`]), journaling each one acknowledged,
//!    while one reader goes through the file for the md5 ([`read`]),
//!    unless [`UploadOptions::md5`] is off;
//! 5. complete the Upload with the parts in order and the md5, and remove
//!    the journal.
//!
//! Whatever goes wrong once the Upload exists, it is cancelled and its
//! journal removed; when the cancel fails, the journal is kept so that a
//! later run can resume or prune it ([`end`]). [`events`] tell the caller
//! what happens, as it happens; [`api`] makes the four calls.

mod api;
mod end;
mod error;
mod events;
mod journal;
mod options;
mod pending;
mod read;
mod resume;
mod send;
mod source;

use std::future::Future;
use std::path::Path;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use end::CompletedUpload;
pub use error::UploadError;
pub use events::UploadEvent;
pub use journal::default_journal_dir;
pub use options::{
    DEFAULT_CONCURRENCY, DEFAULT_PART_RETRIES, DEFAULT_PART_SIZE, MAX_CONCURRENCY,
    MAX_PART_RETRIES, MAX_PART_SIZE, MAX_PARTS, MAX_UPLOAD_SIZE, UploadOptions,
};
pub use pending::{PendingUpload, PruneOutcome, PrunedUpload, pending_uploads};

use api::Complete;
use end::{CancelOnDrop, End, cancel};
use events::{Clock, Events, Sent};
use journal::{CreateParams, Keeper, Record};
use read::Reader;
use send::{Sender, Stop};
use source::Source;

use crate::{CompleteUploadRequest, CreateUploadRequest, Uploads};

impl<'c> Uploads<'c> {
    /// Uploads a file in parts: creates an Upload, sends the parts (several at
    /// once, each retried on its own after a failure that may heal), and
    /// completes it with the parts in order and the file's md5.
    ///
    /// Everything that can be checked is checked before the first request:
    /// the path must be a regular, non-empty file of at most
    /// [`MAX_UPLOAD_SIZE`] bytes, in at most [`MAX_PARTS`] parts, and the
    /// options in range ([`Error::InvalidArgument`]).
    ///
    /// While the Upload is pending, a journal in
    /// [`UploadOptions::journal_dir`] records it, so that after a crash the
    /// same call resumes it: the parts already sent are read and hashed
    /// again but not sent. A journal for a file that changed since, or an
    /// Upload that expired, is dropped (the Upload cancelled) and a new
    /// Upload started.
    ///
    /// Once the Upload exists, a failure (a part failing for good, the
    /// completion failing, the file changing while it is read) stops
    /// sending, aborts the parts in flight and cancels the Upload; the error
    /// is [`UploadError::Failed`], which says whether the cancel worked.
    /// When the parts left cannot be sent before the Upload expires, it
    /// stops with [`UploadError::Expiring`] and keeps the journal.
    ///
    /// ```no_run
    /// # async fn run(client: openai_uploads::Client) -> Result<(), openai_uploads::UploadError> {
    /// use openai_uploads::UploadOptions;
    ///
    /// let done = client
    ///     .uploads()
    ///     .upload_file("train.jsonl", &UploadOptions::new("fine-tune"))
    ///     .await?;
    /// println!("{}", done.file_id().unwrap_or_default());
    /// # Ok(()) }
    /// ```
    pub async fn upload_file(
        self,
        path: impl AsRef<Path>,
        options: &UploadOptions,
    ) -> Result<CompletedUpload, UploadError> {
        self.upload_file_with(path, options, &|_| {}, std::future::pending())
            .await
    }

    /// [`Uploads::upload_file`], telling `events` what happens, with a way to
    /// stop.
    ///
    /// `events` is called on the caller's task with each [`UploadEvent`]:
    /// the Upload created or resumed, progress about ten times a second as
    /// bytes go out, each part sent or retried, warnings, and the end.
    ///
    /// When `interrupt` completes (say, on Ctrl-C), the upload stops sending
    /// parts, aborts the parts in flight, cancels the Upload and returns
    /// [`UploadError::Interrupted`]. An interrupt while the Upload is being
    /// created or completed lets that request finish for up to
    /// [`UploadOptions::interrupt_grace`], so a new Upload can be cancelled
    /// and a completed one is returned.
    ///
    /// Dropping the returned future once the Upload exists spawns its
    /// cancel on the current Tokio runtime (best effort: a runtime that is
    /// shutting down may never run it).
    pub async fn upload_file_with<F: Future<Output = ()>>(
        self,
        path: impl AsRef<Path>,
        options: &UploadOptions,
        events: &(dyn Fn(&UploadEvent) + Send + Sync),
        interrupt: F,
    ) -> Result<CompletedUpload, UploadError> {
        let mut interrupt = pin!(interrupt);
        loop {
            // Set when a resumed Upload turns out unknown to the server: its
            // journal is gone, and the next round starts a new Upload.
            let forgotten = Arc::new(AtomicBool::new(false));
            let result = self
                .upload_once(path.as_ref(), options, events, &mut interrupt, &forgotten)
                .await;
            if !forgotten.load(Ordering::SeqCst) {
                return result;
            }
        }
    }

    async fn upload_once(
        self,
        path: &Path,
        options: &UploadOptions,
        events: Events<'_>,
        mut interrupt: &mut (impl Future<Output = ()> + Unpin),
        forgotten: &Arc<AtomicBool>,
    ) -> Result<CompletedUpload, UploadError> {
        let source = Source::open(path, options)?;
        let params = CreateParams {
            filename: source.filename.clone(),
            purpose: options.purpose.as_str().to_owned(),
            bytes: source.size(),
            mime_type: source.mime_type.clone(),
            expires_after_seconds: options.expires_after.as_ref().map(|e| e.seconds),
        };
        let base_url = public_base_url(self.client.base_url());
        let account = journal::account(self.client);

        // The journal: resume what an earlier run left, or make way.
        let slot = match options.journal {
            true => resume::open_journal(
                options,
                &params.key(&base_url, &account, &source.identity.path),
                events,
            ),
            false => None,
        };
        let resumed = match &slot {
            Some((slot, _)) => {
                let take_over = resume::take_over(
                    self.client,
                    slot,
                    &params,
                    &base_url,
                    &source,
                    options,
                    events,
                );
                // Cancelling a stale Upload can take a while: an interrupt
                // meanwhile stops here, the journal kept for another run.
                tokio::select! {
                    // An interrupt that came before is seen before anything is cancelled.
                    biased;
                    () = &mut interrupt => return Err(UploadError::Interrupted {
                        upload_id: None,
                        cancelled: false,
                        cancel_error: None,
                        journal: None,
                    }),
                    resumed = take_over => resumed,
                }
            }
            None => None,
        };
        let was_resumed = resumed.is_some();

        // The Upload: the journaled one, or a new one.
        let record = match resumed {
            Some(record) => record,
            None => {
                let created = self.create_upload(&source, options, &mut interrupt).await?;
                let expires_in = events::expires_in(created.created_at, created.expires_at);
                (events)(&UploadEvent::Created {
                    upload_id: created.id.clone(),
                    bytes: source.size(),
                    parts: part_count(source.size(), options.part_size),
                    part_size: options.part_size,
                    expires_at: created.expires_at.unwrap_or_default(),
                });
                Record {
                    version: journal::VERSION,
                    upload_id: created.id,
                    base_url,
                    account,
                    note: None,
                    expires_at: created.expires_at,
                    deadline: expires_in
                        .map(|left| events::unix_now().saturating_add(secs_i64(left))),
                    create: params,
                    part_size: options.part_size,
                    source: source.identity.clone(),
                    parts: Vec::new(),
                }
            }
        };
        let upload_id = record.upload_id.clone();
        let journal = match slot {
            Some((slot, lock)) => match Keeper::start(
                slot,
                lock,
                record.clone(),
                was_resumed.then(|| forgotten.clone()),
            )
            .await
            {
                Ok(keeper) => Some(keeper),
                Err(err) => {
                    (events)(&UploadEvent::JournalWarning {
                        message: format!("cannot write the journal: {err}"),
                    });
                    None
                }
            },
            None => None,
        };
        let guard = CancelOnDrop(Some((
            self.client.clone(),
            upload_id.clone(),
            journal.as_ref().map(|journal| journal.path().to_path_buf()),
        )));
        let result = self
            .finish(record, source, options, journal, events, &mut interrupt)
            .await;
        // Every way out of `finish` has completed, cancelled or kept the
        // Upload.
        guard.disarm();
        result
    }

    /// Everything once the Upload exists: the parts it lacks, then
    /// complete; on a failure or an interrupt, the cancel.
    async fn finish(
        self,
        record: Record,
        source: Source,
        options: &UploadOptions,
        journal: Option<Keeper>,
        events: Events<'_>,
        interrupt: &mut (impl Future<Output = ()> + Unpin),
    ) -> Result<CompletedUpload, UploadError> {
        let upload_id = record.upload_id.as_str();
        let parts = part_count(source.size(), record.part_size);
        let mut part_ids = vec![None; parts];
        for (index, part_id) in &record.parts {
            if let Some(slot) = part_ids.get_mut(*index) {
                *slot = Some(part_id.clone());
            }
        }
        let expires_in = record
            .deadline
            .map(|deadline| secs(deadline.saturating_sub(events::unix_now())));
        let total = source.size();
        let sent = Sent::starting_at(record.bytes_done());
        let file = read::Parts::new(source.file, source.path, source.identity, parts);
        let reading = options.md5.then(|| {
            Reader {
                parts: file.clone(),
                part_size: record.part_size,
            }
            .start()
        });
        // The parts an earlier run sent are read for the md5, not sent.
        let missing = read::ranges(total, record.part_size)
            .filter(|range| part_ids.get(range.index).is_some_and(Option::is_none))
            .collect();
        let mut sender = Sender {
            client: self.client,
            upload_id,
            total,
            retries: options.part_retries,
            concurrency: options.concurrency,
            events,
            clock: Clock::new(expires_in, sent.get()),
            sent,
            journal: journal.as_ref(),
        };
        let sent = sender
            .send_all(&file, missing, reading, &mut part_ids, interrupt)
            .await;
        let md5 = match sent {
            Ok(md5) => md5,
            Err(stop) => {
                let end = End::new(self, upload_id, options, journal, events);
                return match stop {
                    Stop::Failed(error) => end.failed(error, false).await,
                    Stop::Interrupted => Err(end.interrupted().await),
                    Stop::Expiring(late) => Err(end.expiring(late).await),
                };
            }
        };

        let request = CompleteUploadRequest {
            part_ids: part_ids.into_iter().flatten().collect(),
            md5,
        };
        let mut complete = pin!(api::complete(self.client, upload_id, &request));
        let completed = tokio::select! {
            completed = &mut complete => completed,
            () = &mut *interrupt => match tokio::time::timeout(options.interrupt_grace, complete).await {
                Ok(Ok(reply)) => Ok(reply),
                _ => {
                    let end = End::new(self, upload_id, options, journal, events);
                    return end.interrupted_completing().await;
                }
            },
        };
        let end = End::new(self, upload_id, options, journal, events);
        match completed {
            Ok(Complete::Completed(reply)) => Ok(end
                .completed(CompletedUpload::received(upload_id, *reply))
                .await),
            // A retry of a `complete` whose reply was lost.
            Ok(Complete::AlreadyCompleted) => {
                Ok(end.completed(CompletedUpload::lost(upload_id)).await)
            }
            Err(err) => end.failed(err, true).await,
        }
    }

    /// Creates the Upload. An interrupt meanwhile lets the create finish
    /// for a while, so that the new Upload can be cancelled.
    async fn create_upload(
        self,
        source: &Source,
        options: &UploadOptions,
        interrupt: &mut (impl Future<Output = ()> + Unpin),
    ) -> Result<api::Created, UploadError> {
        let request = CreateUploadRequest {
            filename: source.filename.clone(),
            purpose: options.purpose.clone(),
            bytes: i64::try_from(source.size()).unwrap_or(i64::MAX),
            mime_type: source.mime_type.clone(),
            expires_after: options.expires_after.clone(),
        };
        let mut create = pin!(api::create(self.client, &request));
        tokio::select! {
            created = &mut create => Ok(created?),
            () = interrupt => {
                let created = tokio::time::timeout(options.interrupt_grace, create).await;
                let upload_id = match created {
                    Ok(Ok(created)) => created.id,
                    _ => return Err(UploadError::Interrupted {
                        upload_id: None,
                        cancelled: false,
                        cancel_error: None,
                        journal: None,
                    }),
                };
                let settled = cancel(self.client, &upload_id, options.cancel_timeout)
                    .await
                    .settled();
                Err(UploadError::Interrupted {
                    upload_id: Some(upload_id),
                    cancelled: settled.cancelled,
                    cancel_error: settled.error.map(Box::new),
                    journal: None,
                })
            }
        }
    }
}

/// How many parts of `part_size` make `size` bytes (checked to be at most
/// [`MAX_PARTS`] before this is used).
fn part_count(size: u64, part_size: u64) -> usize {
    usize::try_from(size.div_ceil(part_size.max(1))).unwrap_or(usize::MAX)
}

fn secs(seconds: i64) -> Duration {
    Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
}

fn secs_i64(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// The base URL without credentials, as journals record it.
fn public_base_url(base_url: &str) -> String {
    match reqwest::Url::parse(base_url) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.as_str().trim_end_matches('/').to_owned()
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journals_never_record_credentials() {
        assert_eq!(
            public_base_url("https://user:secret@proxy.example/v1/"),
            "https://proxy.example/v1"
        );
        assert_eq!(
            public_base_url("http://127.0.0.1:9/v1"),
            "http://127.0.0.1:9/v1"
        );
    }
}
