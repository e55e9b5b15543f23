//! Typed async client for the OpenAI Uploads API.
//!
//! ```no_run
//! use openai_uploads::{Client, Error, Upload};
//!
//! # async fn run() -> Result<(), Error> {
//! // OPENAI_API_KEY (required), OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID.
//! let client = Client::from_env()?;
//!
//! // Or configure everything in code.
//! let client = Client::builder()
//!     .api_key("sk-...")
//!     .base_url("http://127.0.0.1:4010/v1")
//!     .organization("org-...")
//!     .project("proj_...")
//!     .max_retries(2)
//!     .timeout(std::time::Duration::from_secs(600))
//!     .build()?;
//!
//! let upload: Upload = client.uploads().cancel("upload_abc123").await?;
//! println!("{} is {}", upload.id, upload.status);
//!
//! // The same call, with the status, headers and request id of the reply.
//! let response = client.uploads().cancel("upload_abc123").with_response().await?;
//! println!("{} (request id {:?})", response.status, response.request_id);
//!
//! // Errors carry the status, request id and OpenAI error body.
//! match client.uploads().cancel("upload_missing").await {
//!     Err(Error::Api { status, body, .. }) => eprintln!("{status}: {body:?}"),
//!     Err(other) => eprintln!("{other}"),
//!     Ok(upload) => println!("{upload:?}"),
//! }
//! # Ok(()) }
//! ```
//!
//! # Uploading a file
//! [`Uploads::upload_file`] does the whole flow: it creates an Upload, sends
//! the file in parts (up to 64 MiB each, several at once, in bounded
//! memory), and completes it with the parts in order and the file's md5.
//!
//! - A part that fails on a connection error, a timeout, 408, 429 or a 5xx
//!   reply is sent again on its own ([`UploadOptions::part_retries`]), after
//!   the wait the server asks for or a jittered backoff.
//! - While the Upload is pending, a journal in [`default_journal_dir`] (or
//!   [`UploadOptions::journal_dir`]) records it and each part sent; after a
//!   crash, the same call resumes the Upload and sends only the missing
//!   parts. [`pending_uploads`] lists the journaled Uploads and
//!   [`Uploads::prune_pending`] cancels those no run is working on.
//! - An Upload expires an hour after it is created: parts that cannot be
//!   sent in time are not sent ([`UploadError::Expiring`], the journal kept).
//!   [`UploadOptions::expires_after`] sets the File's expiry, not the
//!   Upload's.
//! - On any other failure, or when [`Uploads::upload_file_with`]'s
//!   `interrupt` fires, it cancels the Upload before returning
//!   ([`UploadError::Failed`], [`UploadError::Interrupted`]).
//! - [`UploadEvent`]s report what happens: the Upload created or resumed,
//!   bytes as they go out, each part sent or retried, warnings, the end.
//! - The result keeps the server's reply to `complete` as received
//!   ([`CompletedUpload::body`]).
//!
//! ```no_run
//! # async fn run(client: openai_uploads::Client) -> Result<(), openai_uploads::UploadError> {
//! use openai_uploads::{UploadEvent, UploadOptions};
//!
//! // Sending on `stop` (from a Ctrl-C handler, say) stops the upload.
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! # drop(stop);
//! let options = UploadOptions::new("fine-tune").concurrency(8);
//! let events = |event: &UploadEvent| {
//!     if let UploadEvent::Progress { sent, total, .. } = event {
//!         eprintln!("{sent} of {total} bytes sent");
//!     }
//! };
//! let done = client
//!     .uploads()
//!     .upload_file_with("train.jsonl", &options, &events, async {
//!         let _ = stopped.await;
//!     })
//!     .await?;
//! println!("{:?}", done.file_id());
//! # Ok(()) }
//! ```
//!
//! # Behaviour
//! - Path parameters are percent-encoded as one segment; empty, `.` and `..`
//!   are rejected with [`Error::InvalidArgument`] before anything is sent.
//! - Connection errors, timeouts, 408, 409, 429 and 5xx replies are retried
//!   ([`ClientBuilder::max_retries`], default 2), honouring `x-should-retry`,
//!   `retry-after-ms` and `retry-after` (up to 60 s), else exponential backoff
//!   from 0.5 s to 8 s with jitter. A 409 on `cancel` or `complete` is final:
//!   the Upload has already moved on, and asking again cannot change that.
//! - Requests with a multipart body (a part's bytes, [`FilePart`]) are not
//!   idempotent: they are retried only when they cannot have reached the
//!   server (no connection could be made) and on 408 and 429 replies, never
//!   after a timeout, a broken connection or a 5xx. Each retry re-sends the
//!   same bytes or re-reads the same file range.
//! - The API key never appears in `Debug` output, errors or debug logs.
//!
//! # Features
//! - `rustls` (default): rustls with the ring provider and the platform's
//!   certificate verifier; no OpenSSL. Creating a [`ClientBuilder`] installs
//!   ring as rustls' process-wide default provider if none is installed yet,
//!   so a plain `reqwest::Client::new()` can be passed to
//!   [`ClientBuilder::http_client`].
//! - `native-tls`: the platform's TLS library instead (OpenSSL on Linux).
//!   If both are on, rustls is used.
//!
//! # Runtime
//! Calls run on tokio; a current-thread runtime is enough. Timers must be
//! enabled (`Builder::enable_all()`, as `#[tokio::main]` does), since each
//! attempt has a timeout and retries sleep.
//!
//! The client, errors, retries and TLS come from the hand-written
//! [`openai_runtime`] crate, re-exported here; `generated/` comes from
//! `spec/` through `cargo xtask gen` and is never edited by hand.

mod client;
mod generated;
mod upload;

pub use client::{Client, ClientBuilder};
pub use generated::models::*;
pub use generated::resources::*;
/// The runtime the generated code runs on (requests, multipart bodies).
pub use openai_runtime as runtime;
pub use openai_runtime::{
    ApiErrorBody, ApiResponse, Call, DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, Error,
    FilePart, Result,
};
/// The `reqwest` this crate is built on, for [`ClientBuilder::http_client`].
pub use reqwest;
pub use upload::{
    CompletedUpload, DEFAULT_CONCURRENCY, DEFAULT_PART_RETRIES, DEFAULT_PART_SIZE, MAX_CONCURRENCY,
    MAX_PART_RETRIES, MAX_PART_SIZE, MAX_PARTS, MAX_UPLOAD_SIZE, PendingUpload, PruneOutcome,
    PrunedUpload, UploadError, UploadEvent, UploadOptions, default_journal_dir, pending_uploads,
};
