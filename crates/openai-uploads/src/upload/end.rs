//! How an upload ends once its Upload exists: completed, or cancelled
//! after a failure or an interrupt (its journal kept when the cancel
//! fails), or stopped by the clock with its journal kept.

use std::time::Duration;

use bytes::Bytes;

use openai_runtime::Error;

use super::api::{self, Cancel};
use super::events::{Events, Late, UploadEvent};
use super::journal::Keeper;
use super::{UploadError, UploadOptions};
use crate::{Client, Upload, Uploads};

/// A completed upload: the server's reply to `complete`, as received and
/// as far as it decodes.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CompletedUpload {
    /// The Upload's id.
    pub upload_id: String,
    /// The completed Upload, whose `file` is the new File; `None` when the
    /// reply was lost (see [`CompletedUpload::reply_lost`]) or does not
    /// decode as an [`Upload`] (`body` has it as received).
    pub upload: Option<Upload>,
    /// The reply's body, exactly as received; empty when it was lost (or
    /// when the server sent an empty one).
    pub body: Bytes,
    /// The reply's `x-request-id`.
    pub request_id: Option<String>,
    /// Whether there was no reply to keep (see [`CompletedUpload::reply_lost`]).
    lost: bool,
}

impl CompletedUpload {
    /// Whether the reply to `complete` was lost: the Upload is completed
    /// (the server said so when the call was tried again, or when cancelling
    /// it), but the API has no way to fetch it, so its File is not known.
    /// A 2xx reply with an empty body is not a lost one: the server
    /// answered, with nothing ([`CompletedUpload::body`] is empty).
    pub fn reply_lost(&self) -> bool {
        self.lost
    }

    /// The new File's id, when the reply names it.
    pub fn file_id(&self) -> Option<String> {
        if let Some(file) = self.upload.as_ref().and_then(|upload| upload.file.as_ref()) {
            return Some(file.id.clone());
        }
        let value: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        value.pointer("/file/id")?.as_str().map(str::to_owned)
    }

    pub(super) fn received(upload_id: &str, reply: api::CompletedReply) -> Self {
        Self {
            upload_id: upload_id.to_owned(),
            upload: reply.upload,
            body: reply.body,
            request_id: reply.request_id,
            lost: false,
        }
    }

    pub(super) fn lost(upload_id: &str) -> Self {
        Self {
            upload_id: upload_id.to_owned(),
            upload: None,
            body: Bytes::new(),
            request_id: None,
            lost: true,
        }
    }
}

/// How an upload ends once its Upload exists: completed, or cancelled (or
/// kept with its journal) after a failure, an interrupt or the clock.
pub(super) struct End<'a, 'c> {
    uploads: Uploads<'c>,
    upload_id: &'a str,
    options: &'a UploadOptions,
    journal: Option<Keeper>,
    events: Events<'a>,
}

impl<'a, 'c> End<'a, 'c> {
    pub(super) fn new(
        uploads: Uploads<'c>,
        upload_id: &'a str,
        options: &'a UploadOptions,
        journal: Option<Keeper>,
        events: Events<'a>,
    ) -> Self {
        Self {
            uploads,
            upload_id,
            options,
            journal,
            events,
        }
    }

    pub(super) async fn completed(self, done: CompletedUpload) -> CompletedUpload {
        if let Some(journal) = self.journal {
            journal.remove().await;
        }
        (self.events)(&UploadEvent::Completed {
            upload_id: self.upload_id.to_owned(),
            file_id: done.file_id(),
        });
        done
    }

    /// Cancels the Upload: whether that worked, why not, and the journal
    /// kept when it did not.
    async fn cancel(self) -> Cancelled {
        let outcome = cancel(
            self.uploads.client,
            self.upload_id,
            self.options.cancel_timeout,
        )
        .await
        .settled();
        let (cancelled, completed) = (outcome.cancelled, outcome.completed);
        let error = outcome.error.map(Box::new);
        let journal = match (cancelled || completed, self.journal) {
            (true, Some(journal)) => {
                journal.remove().await;
                None
            }
            (false, Some(journal)) => {
                let path = journal.path().to_path_buf();
                journal.keep().await.then_some(path)
            }
            (_, None) => None,
        };
        if cancelled {
            (self.events)(&UploadEvent::Cancelled {
                upload_id: self.upload_id.to_owned(),
            });
        }
        Cancelled {
            cancelled,
            completed,
            error,
            journal,
        }
    }

    /// After a failure. When completing failed but the Upload turns out to
    /// be completed, the upload succeeded.
    pub(super) async fn failed(
        mut self,
        source: Error,
        completing: bool,
    ) -> Result<CompletedUpload, UploadError> {
        let upload_id = self.upload_id.to_owned();
        let events = self.events;
        // An Upload an earlier run created that the server no longer knows:
        // its journal would make every run fail the same way.
        if api::unknown_upload(&source)
            && let Some(journal) = self.journal.take_if(|journal| journal.resumed())
        {
            journal.forget().await;
            (events)(&UploadEvent::Discarded {
                upload_id: upload_id.clone(),
                reason: format!(
                    "the server does not know it ({})",
                    openai_runtime::one_line(&source.to_string(), 200)
                ),
                cancelled: false,
            });
            return Err(UploadError::Failed {
                upload_id,
                cancelled: false,
                cancel_error: None,
                journal: None,
                source: Box::new(source),
            });
        }
        // A 2xx reply to `complete` that does not confirm it: the Upload
        // may be completed, so it is not cancelled; the journal keeps what
        // the server said, and the next run completes it or hears why not.
        if completing && matches!(&source, Error::Decode { status, .. } if status.is_success()) {
            let journal = match self.journal {
                Some(journal) => {
                    journal.note(openai_runtime::one_line(&source.to_string(), 400));
                    let path = journal.path().to_path_buf();
                    journal.keep().await.then_some(path)
                }
                None => None,
            };
            return Err(UploadError::Failed {
                upload_id,
                cancelled: false,
                cancel_error: None,
                journal,
                source: Box::new(source),
            });
        }
        let outcome = self.cancel().await;
        if outcome.completed && completing {
            return Ok(completed_after_all(&upload_id, events));
        }
        Err(UploadError::Failed {
            upload_id,
            cancelled: outcome.cancelled,
            cancel_error: outcome.error,
            journal: outcome.journal,
            source: Box::new(source),
        })
    }

    pub(super) async fn interrupted(self) -> UploadError {
        let upload_id = self.upload_id.to_owned();
        let outcome = self.cancel().await;
        UploadError::Interrupted {
            upload_id: Some(upload_id),
            cancelled: outcome.cancelled,
            cancel_error: outcome.error,
            journal: outcome.journal,
        }
    }

    /// An interrupt while completing, and the complete did not finish in
    /// time: cancelled, unless it turns out completed.
    pub(super) async fn interrupted_completing(self) -> Result<CompletedUpload, UploadError> {
        let upload_id = self.upload_id.to_owned();
        let events = self.events;
        let outcome = self.cancel().await;
        if outcome.completed {
            return Ok(completed_after_all(&upload_id, events));
        }
        Err(UploadError::Interrupted {
            upload_id: Some(upload_id),
            cancelled: outcome.cancelled,
            cancel_error: outcome.error,
            journal: outcome.journal,
        })
    }

    /// The Upload cannot be finished in time: stop, keep the journal, and
    /// leave the Upload pending for a run on a faster link.
    pub(super) async fn expiring(self, late: Late) -> UploadError {
        let journal = match self.journal {
            Some(journal) => {
                let path = journal.path().to_path_buf();
                journal.keep().await.then_some(path)
            }
            None => None,
        };
        UploadError::Expiring {
            upload_id: self.upload_id.to_owned(),
            expires_in: late.left,
            needed: late.needed,
            journal,
        }
    }
}

/// The cancel found the Upload completed: the `complete` whose reply was
/// lost went through, so the upload succeeded, its File unknown.
fn completed_after_all(upload_id: &str, events: Events<'_>) -> CompletedUpload {
    (events)(&UploadEvent::Completed {
        upload_id: upload_id.to_owned(),
        file_id: None,
    });
    CompletedUpload::lost(upload_id)
}

/// What a cancel came to.
struct Cancelled {
    cancelled: bool,
    /// The server says the Upload is completed.
    completed: bool,
    error: Option<Box<Error>>,
    journal: Option<std::path::PathBuf>,
}

/// The cleanup cancel, bounded: with the client's own timeout and retries
/// it could otherwise keep a Ctrl-C waiting for many minutes.
pub(super) async fn cancel(client: &Client, upload_id: &str, limit: Duration) -> Cancel {
    match tokio::time::timeout(limit, api::cancel(client, upload_id)).await {
        Ok(outcome) => outcome,
        Err(_) => Cancel::Failed(Error::Timeout {
            method: reqwest::Method::POST,
            path: format!("/uploads/{upload_id}/cancel"),
            timeout: limit,
        }),
    }
}

/// Cancels the Upload if the uploader's future is dropped before it is
/// done, and removes its journal once it is cancelled.
pub(super) struct CancelOnDrop(pub(super) Option<(Client, String, Option<std::path::PathBuf>)>);

impl CancelOnDrop {
    pub(super) fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some((client, upload_id, journal)) = self.0.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let settled = api::cancel(&client, &upload_id).await.settled();
                if let (true, Some(journal)) = (settled.cancelled || settled.completed, journal) {
                    let _ = std::fs::remove_file(journal);
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_reply_is_still_a_completed_upload() {
        let done = CompletedUpload::lost("upload_1");
        assert!(done.reply_lost());
        assert_eq!(done.file_id(), None);
        let done = CompletedUpload {
            body: Bytes::from_static(br#"{"id":"upload_1","file":{"id":"file_9"},"new":1}"#),
            lost: false,
            ..done
        };
        assert!(!done.reply_lost());
        assert_eq!(done.file_id().as_deref(), Some("file_9"));
    }
}
