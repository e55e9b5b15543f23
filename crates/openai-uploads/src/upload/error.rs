//! [`UploadError`]: how an upload with [`Uploads::upload_file`](crate::Uploads::upload_file)
//! failed, and what became of its Upload.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use openai_runtime::{Error, one_line};

/// Why [`Uploads::upload_file`](crate::Uploads::upload_file) failed.
///
/// `Display` is one line and says what happened to the Upload, so a caller
/// can show it as it is. Server-chosen text in it (the Upload id, error
/// messages) has its control characters removed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// Nothing was created: a bad argument or file, or the create call
    /// failed.
    #[error(transparent)]
    NotStarted(#[from] Error),
    /// The upload failed after its Upload was created; the Upload was
    /// cancelled unless `cancelled` is false.
    #[error(
        "upload {} failed: {source}; {}",
        one_line(upload_id, 100),
        Outcome { upload_id, cancelled: *cancelled, cancel_error: cancel_error.as_deref(), journal: journal.is_some() }
    )]
    Failed {
        /// The Upload's id.
        upload_id: String,
        /// Whether the Upload was cancelled (or the server had cancelled or
        /// expired it already).
        cancelled: bool,
        /// Why cancelling it failed, when it did.
        cancel_error: Option<Box<Error>>,
        /// The journal kept for the Upload when it could not be cancelled:
        /// running the same upload again resumes it.
        journal: Option<PathBuf>,
        /// What made the upload fail.
        #[source]
        source: Box<Error>,
    },
    /// The upload was interrupted; its Upload, if one was created, was
    /// cancelled unless `cancelled` is false.
    #[error("interrupted; {}", match upload_id {
        Some(upload_id) => Outcome { upload_id, cancelled: *cancelled, cancel_error: cancel_error.as_deref(), journal: journal.is_some() }.to_string(),
        None => "no upload was created".to_owned(),
    })]
    Interrupted {
        /// The Upload's id, when one was created.
        upload_id: Option<String>,
        /// Whether cancelling the Upload worked.
        cancelled: bool,
        /// Why cancelling it failed, when it did.
        cancel_error: Option<Box<Error>>,
        /// The journal kept for the Upload when it could not be cancelled.
        journal: Option<PathBuf>,
    },
    /// The upload stopped because the parts left could not be sent before
    /// the Upload expires. The Upload was not cancelled: its journal is
    /// kept, and running the same upload again (on a faster link) resumes
    /// it while it lasts.
    #[error(
        "upload {} stopped: it expires in {}s, and the next part needs about {}s more to go out; {}",
        one_line(upload_id, 100),
        expires_in.as_secs(),
        needed.as_secs(),
        match journal {
            Some(_) => "its journal is kept, to resume it",
            None => "it stays pending until it expires",
        }
    )]
    Expiring {
        /// The Upload's id.
        upload_id: String,
        /// The time that was left before it expires.
        expires_in: Duration,
        /// The time the parts in flight and the next one needed at the
        /// measured rate (zero before any was measured).
        needed: Duration,
        /// The journal kept for the Upload.
        journal: Option<PathBuf>,
    },
}

impl UploadError {
    /// The Upload that may still be pending: created, and not cancelled.
    pub fn pending_upload_id(&self) -> Option<&str> {
        match self {
            Self::Failed {
                upload_id,
                cancelled: false,
                ..
            }
            | Self::Interrupted {
                upload_id: Some(upload_id),
                cancelled: false,
                ..
            }
            | Self::Expiring { upload_id, .. } => Some(upload_id),
            _ => None,
        }
    }

    /// The journal kept for an Upload that may still be pending, with which
    /// a later run resumes it.
    pub fn journal(&self) -> Option<&std::path::Path> {
        match self {
            Self::Failed { journal, .. }
            | Self::Interrupted { journal, .. }
            | Self::Expiring { journal, .. } => journal.as_deref(),
            Self::NotStarted(_) => None,
        }
    }
}

/// `cancelled upload_x`, or how cancelling it failed.
struct Outcome<'a> {
    upload_id: &'a str,
    cancelled: bool,
    cancel_error: Option<&'a Error>,
    journal: bool,
}

impl fmt::Display for Outcome<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = one_line(self.upload_id, 100);
        let kept = if self.journal {
            "; its journal is kept"
        } else {
            ""
        };
        match (self.cancelled, self.cancel_error) {
            (true, _) => write!(f, "cancelled upload {id}"),
            (false, Some(error)) => write!(
                f,
                "cancelling upload {id} failed too: {error}; it may stay pending until it \
                 expires{kept}"
            ),
            (false, None) => write!(
                f,
                "upload {id} was not cancelled; it may stay pending until it expires{kept}"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, raw: &str) -> Error {
        Error::Api {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            request_id: None,
            method: reqwest::Method::POST,
            path: "/uploads/upload_x/parts".into(),
            body: serde_json::from_str::<serde_json::Value>(raw)
                .ok()
                .and_then(|v| serde_json::from_value(v["error"].clone()).ok())
                .map(Box::new),
            raw: raw.into(),
        }
    }

    #[test]
    fn says_what_happened_to_the_upload() {
        let cancelled = UploadError::Failed {
            upload_id: "upload_x".into(),
            cancelled: true,
            cancel_error: None,
            journal: None,
            source: Box::new(api(500, r#"{"error":{"message":"boom"}}"#)),
        };
        assert_eq!(
            cancelled.to_string(),
            "upload upload_x failed: 500 Internal Server Error: boom; cancelled upload upload_x"
        );
        assert_eq!(cancelled.pending_upload_id(), None);
        let stuck = UploadError::Failed {
            upload_id: "upload_x".into(),
            cancelled: false,
            cancel_error: Some(Box::new(api(404, r#"{"error":{"message":"gone"}}"#))),
            journal: Some("/state/k.json".into()),
            source: Box::new(api(500, r#"{"error":{"message":"boom"}}"#)),
        };
        assert_eq!(
            stuck.to_string(),
            "upload upload_x failed: 500 Internal Server Error: boom; cancelling upload upload_x \
             failed too: 404 Not Found: gone; it may stay pending until it expires; its journal \
             is kept"
        );
        assert_eq!(stuck.pending_upload_id(), Some("upload_x"));
        assert_eq!(stuck.journal(), Some(std::path::Path::new("/state/k.json")));
        let interrupted = UploadError::Interrupted {
            upload_id: Some("upload_x".into()),
            cancelled: true,
            cancel_error: None,
            journal: None,
        };
        assert_eq!(
            interrupted.to_string(),
            "interrupted; cancelled upload upload_x"
        );
        let early = UploadError::Interrupted {
            upload_id: None,
            cancelled: false,
            cancel_error: None,
            journal: None,
        };
        assert_eq!(early.to_string(), "interrupted; no upload was created");
        let expiring = UploadError::Expiring {
            upload_id: "upload_x".into(),
            expires_in: Duration::from_secs(40),
            needed: Duration::from_secs(300),
            journal: Some("/state/k.json".into()),
        };
        assert_eq!(
            expiring.to_string(),
            "upload upload_x stopped: it expires in 40s, and the next part needs about 300s more \
             to go out; its journal is kept, to resume it"
        );
        assert_eq!(expiring.pending_upload_id(), Some("upload_x"));
    }

    #[test]
    fn a_hostile_id_cannot_drive_the_terminal() {
        let error = UploadError::Interrupted {
            upload_id: Some("upload_\x1b]0;owned\x07\r\nfake line".into()),
            cancelled: false,
            cancel_error: None,
            journal: None,
        };
        let text = error.to_string();
        assert!(!text.chars().any(char::is_control), "{text:?}");
    }

    #[test]
    fn stays_small() {
        // Keeps `Result<_, UploadError>` cheap (clippy::result_large_err).
        assert!(std::mem::size_of::<UploadError>() <= 128);
    }
}
