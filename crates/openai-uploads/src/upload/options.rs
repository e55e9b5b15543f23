//! [`UploadOptions`]: what to upload as, how, and the limits checked before
//! the first request.

use std::path::PathBuf;
use std::time::Duration;

use openai_runtime::{Error, Result};

use crate::{CreateUploadRequestPurpose, FileExpirationAfter};

/// The largest part the API accepts: 64 MiB.
pub const MAX_PART_SIZE: u64 = 64 * 1024 * 1024;
/// The largest file the API accepts: 8 GiB (the API documents "8 GB"; the
/// server has the last word on files between 8 GB and 8 GiB).
pub const MAX_UPLOAD_SIZE: u64 = 8 * 1024 * 1024 * 1024;
/// The part size unless set: the largest allowed, for the fewest requests.
pub const DEFAULT_PART_SIZE: u64 = MAX_PART_SIZE;
/// Parts in flight at once unless set: as many as AWS's transfer manager
/// runs. Parts stream from the file, so this costs no memory to speak of
/// (about 1 MiB per part in flight, whatever the part size).
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The most parts in flight at once: more connections to one server gain
/// nothing.
pub const MAX_CONCURRENCY: usize = 64;
/// The most parts one upload is split into. Every part is a request, and
/// its id is kept (in memory, in the journal and in the `complete` call), so
/// a part size that would make more is refused before anything is sent.
pub const MAX_PARTS: u64 = 10_000;
/// How many times a part is sent again after a transient failure, unless
/// set.
pub const DEFAULT_PART_RETRIES: u32 = 5;
/// The most retries a part may be given.
pub const MAX_PART_RETRIES: u32 = 100;

/// The `expires_after.seconds` range the API accepts: one hour to 30 days.
const EXPIRY_SECONDS: std::ops::RangeInclusive<i64> = 3600..=2_592_000;

/// Settings for [`Uploads::upload_file`](crate::Uploads::upload_file).
///
/// ```
/// use openai_uploads::UploadOptions;
///
/// let options = UploadOptions::new("fine-tune")
///     .mime_type("text/jsonl")
///     .part_size(16 * 1024 * 1024)
///     .concurrency(8)
///     .part_retries(3);
/// assert_eq!(options.concurrency, 8);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UploadOptions {
    /// What the file is for.
    pub purpose: CreateUploadRequestPurpose,
    /// The file's MIME type; guessed from the extension when `None`
    /// (`application/octet-stream` when the extension says nothing).
    pub mime_type: Option<String>,
    /// The filename the File gets; the path's last component when `None`.
    pub filename: Option<String>,
    /// Bytes per part, 1 to [`MAX_PART_SIZE`], and large enough for at most
    /// [`MAX_PARTS`] parts; default [`DEFAULT_PART_SIZE`].
    pub part_size: u64,
    /// Parts sent at once, 1 to [`MAX_CONCURRENCY`]; default
    /// [`DEFAULT_CONCURRENCY`]. Each part streams from the file, so memory
    /// does not grow with `part_size`: about 1 MiB per part in flight.
    pub concurrency: usize,
    /// When the File expires. This is the File's expiry, not the Upload's:
    /// an Upload always expires an hour after it is created.
    pub expires_after: Option<FileExpirationAfter>,
    /// How many times a part that failed on a connection error, a timeout,
    /// a 408, 429 or 5xx reply is sent again, up to [`MAX_PART_RETRIES`];
    /// default [`DEFAULT_PART_RETRIES`]. A 409 is not retried: it says the
    /// Upload is no longer pending. The client's own retries do not apply
    /// to parts.
    pub part_retries: u32,
    /// Send the file's md5 with `complete`, so that the server checks the
    /// file it assembled against the one read here; default `true`. The md5
    /// is serial, about half a gigabyte a second on one core: when parts go
    /// out faster than that (many in flight against a slow server, on a
    /// fast link), the upload waits for it. `false` completes without it, as
    /// openai-python's `upload_file_chunked` does; each part is still
    /// checked against its retries, and the file's size and modification
    /// time at the end.
    pub md5: bool,
    /// Keep a journal of the pending Upload, so that a later run can resume
    /// it after a crash; default `true`.
    pub journal: bool,
    /// Resume the Upload a journal records for this file, when it is still
    /// valid; default `true`. `false` cancels such an Upload and starts
    /// afresh.
    pub resume: bool,
    /// Where journals are kept; [`default_journal_dir`](crate::default_journal_dir)
    /// when `None`.
    pub journal_dir: Option<PathBuf>,
    /// After an interrupt, how long a create or complete already sent may
    /// still finish, so that a new Upload can be cancelled and a completed
    /// one returned; default 10 s.
    pub interrupt_grace: Duration,
    /// How long the cancel after a failure or an interrupt may take,
    /// retries included; default 30 s.
    pub cancel_timeout: Duration,
}

impl UploadOptions {
    /// Defaults for a file with this purpose.
    pub fn new(purpose: impl Into<CreateUploadRequestPurpose>) -> Self {
        Self {
            purpose: purpose.into(),
            mime_type: None,
            filename: None,
            part_size: DEFAULT_PART_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            expires_after: None,
            part_retries: DEFAULT_PART_RETRIES,
            md5: true,
            journal: true,
            resume: true,
            journal_dir: None,
            interrupt_grace: Duration::from_secs(10),
            cancel_timeout: Duration::from_secs(30),
        }
    }

    /// Sets [`UploadOptions::mime_type`].
    pub fn mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.mime_type = Some(mime_type.into());
        self
    }

    /// Sets [`UploadOptions::filename`].
    pub fn filename(mut self, filename: impl Into<String>) -> Self {
        self.filename = Some(filename.into());
        self
    }

    /// Sets [`UploadOptions::part_size`].
    pub fn part_size(mut self, part_size: u64) -> Self {
        self.part_size = part_size;
        self
    }

    /// Sets [`UploadOptions::concurrency`].
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// Sets [`UploadOptions::expires_after`].
    pub fn expires_after(mut self, expires_after: FileExpirationAfter) -> Self {
        self.expires_after = Some(expires_after);
        self
    }

    /// Sets [`UploadOptions::part_retries`].
    pub fn part_retries(mut self, part_retries: u32) -> Self {
        self.part_retries = part_retries;
        self
    }

    /// Sets [`UploadOptions::md5`].
    pub fn md5(mut self, md5: bool) -> Self {
        self.md5 = md5;
        self
    }

    /// Sets [`UploadOptions::journal`].
    pub fn journal(mut self, journal: bool) -> Self {
        self.journal = journal;
        self
    }

    /// Sets [`UploadOptions::resume`].
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    /// Sets [`UploadOptions::journal_dir`].
    pub fn journal_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.journal_dir = Some(dir.into());
        self
    }

    /// Sets [`UploadOptions::interrupt_grace`].
    pub fn interrupt_grace(mut self, grace: Duration) -> Self {
        self.interrupt_grace = grace;
        self
    }

    /// Sets [`UploadOptions::cancel_timeout`].
    pub fn cancel_timeout(mut self, timeout: Duration) -> Self {
        self.cancel_timeout = timeout;
        self
    }

    /// Checks everything that does not depend on the file.
    pub(super) fn check(&self) -> Result<()> {
        if self.part_size == 0 || self.part_size > MAX_PART_SIZE {
            return Err(Error::invalid_argument(
                "part_size",
                format!(
                    "{} bytes is not between 1 byte and {MAX_PART_SIZE} bytes (64 MiB)",
                    self.part_size
                ),
            ));
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(Error::invalid_argument(
                "concurrency",
                format!(
                    "{} is not between 1 and {MAX_CONCURRENCY} parts in flight",
                    self.concurrency
                ),
            ));
        }
        if self.part_retries > MAX_PART_RETRIES {
            return Err(Error::invalid_argument(
                "part_retries",
                format!(
                    "{} is over the limit of {MAX_PART_RETRIES}",
                    self.part_retries
                ),
            ));
        }
        if self
            .filename
            .as_deref()
            .is_some_and(|name| name.trim().is_empty())
        {
            return Err(Error::invalid_argument("filename", "must not be empty"));
        }
        if self
            .mime_type
            .as_deref()
            .is_some_and(|mime| mime.trim().is_empty())
        {
            return Err(Error::invalid_argument("mime_type", "must not be empty"));
        }
        if let Some(expiry) = &self.expires_after
            && !EXPIRY_SECONDS.contains(&expiry.seconds)
        {
            return Err(Error::invalid_argument(
                "expires_after.seconds",
                format!(
                    "{} is not between {} (1 hour) and {} (30 days)",
                    expiry.seconds,
                    EXPIRY_SECONDS.start(),
                    EXPIRY_SECONDS.end()
                ),
            ));
        }
        Ok(())
    }

    /// Checks the part count a file of `size` bytes makes, before anything
    /// is allocated for its parts.
    pub(super) fn check_parts(&self, size: u64) -> Result<()> {
        let parts = size.div_ceil(self.part_size);
        if parts > MAX_PARTS {
            let smallest = size.div_ceil(MAX_PARTS);
            return Err(Error::invalid_argument(
                "part_size",
                format!(
                    "{} bytes per part would split the file's {size} bytes into {parts} parts, \
                     over the limit of {MAX_PARTS}; use parts of at least {smallest} bytes",
                    self.part_size
                ),
            ));
        }
        Ok(())
    }
}
