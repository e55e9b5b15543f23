//! The chunked uploader: [`Uploads::upload_file`] and
//! [`Uploads::upload_file_with`].
//!
//! One reader goes through the file in order, hashing as it reads, and hands
//! parts to up to `concurrency` requests at a time. It waits for a free slot
//! before reading the next part, so memory stays near
//! `concurrency × part_size`. Whatever goes wrong after the Upload exists,
//! the Upload is cancelled before the error is returned.

use std::fs::File;
use std::future::Future;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use md5::{Digest as _, Md5};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use openai_runtime::{Error, FilePart, Result};

use crate::Client;
mod error;

pub use error::UploadError;

use crate::{
    AddUploadPartRequest, CompleteUploadRequest, CreateUploadRequest, CreateUploadRequestPurpose,
    FileExpirationAfter, Upload, UploadPart, Uploads,
};

/// The largest part the API accepts: 64 MiB.
pub const MAX_PART_SIZE: u64 = 64 * 1024 * 1024;
/// The largest file the API accepts: 8 GiB (the API documents "8 GB"; the
/// server has the last word on files between 8 GB and 8 GiB).
pub const MAX_UPLOAD_SIZE: u64 = 8 * 1024 * 1024 * 1024;
/// The part size unless set: the largest allowed, for the fewest requests.
pub const DEFAULT_PART_SIZE: u64 = MAX_PART_SIZE;
/// Parts in flight at once unless set.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// The `expires_after.seconds` range the API accepts: one hour to 30 days.
const EXPIRY_SECONDS: std::ops::RangeInclusive<i64> = 3600..=2_592_000;
/// After an interrupt, how long a create or complete already sent may still
/// finish: a created Upload can then be cancelled, a completed one returned.
const INTERRUPT_GRACE: Duration = Duration::from_secs(10);
/// How long the cleanup cancel may take, retries included.
const CANCEL_LIMIT: Duration = Duration::from_secs(30);
/// Bytes read (and hashed while still in cache) per read call.
const READ_BLOCK: usize = 1024 * 1024;

/// Settings for [`Uploads::upload_file`].
///
/// ```
/// use openai_uploads::UploadOptions;
///
/// let options = UploadOptions::new("fine-tune")
///     .mime_type("text/jsonl")
///     .part_size(16 * 1024 * 1024)
///     .concurrency(8);
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
    /// Bytes per part, 1 to [`MAX_PART_SIZE`]; default [`DEFAULT_PART_SIZE`].
    pub part_size: u64,
    /// Parts sent at once, at least 1; default [`DEFAULT_CONCURRENCY`].
    /// Memory use is about `concurrency × part_size`.
    pub concurrency: usize,
    /// When the File expires.
    pub expires_after: Option<FileExpirationAfter>,
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
}

impl<'c> Uploads<'c> {
    /// Uploads a file in parts: creates an Upload, sends the parts (several at
    /// once), and completes it with the parts in order and the file's md5.
    /// Returns the completed Upload, whose `file` is the new File.
    ///
    /// Everything that can be checked is checked before the first request:
    /// the path must be a regular, non-empty file of at most
    /// [`MAX_UPLOAD_SIZE`] bytes, and the options in range
    /// ([`Error::InvalidArgument`]).
    ///
    /// Once the Upload exists, any failure (a part or the completion
    /// failing, the file changing while it is read) stops sending, aborts
    /// the parts in flight and cancels the Upload; the error is
    /// [`UploadError::Failed`], which says whether the cancel worked. A part is
    /// never sent twice unless the first try surely did not reach the
    /// server.
    ///
    /// ```no_run
    /// # async fn run(client: openai_uploads::Client) -> Result<(), openai_uploads::UploadError> {
    /// use openai_uploads::UploadOptions;
    ///
    /// let upload = client
    ///     .uploads()
    ///     .upload_file("train.jsonl", &UploadOptions::new("fine-tune"))
    ///     .await?;
    /// println!("{}", upload.file.map(|file| file.id).unwrap_or_default());
    /// # Ok(()) }
    /// ```
    pub async fn upload_file(
        self,
        path: impl AsRef<Path>,
        options: &UploadOptions,
    ) -> Result<Upload, UploadError> {
        self.upload_file_with(path, options, &|_| {}, std::future::pending())
            .await
    }

    /// [`Uploads::upload_file`], with progress and a way to stop.
    ///
    /// `progress` is called with the total bytes acknowledged so far, after
    /// each part. When `interrupt` completes (say, on Ctrl-C), the upload
    /// stops sending parts, aborts the parts in flight, cancels the Upload
    /// and returns [`UploadError::Interrupted`]. An interrupt while the Upload is
    /// being created or completed lets that request finish for up to 10 s,
    /// so a new Upload can be cancelled and a completed one is returned.
    ///
    /// Dropping the returned future once the Upload exists spawns its
    /// cancel on the current Tokio runtime (best effort: a runtime that is
    /// shutting down may never run it).
    pub async fn upload_file_with<F: Future<Output = ()>>(
        self,
        path: impl AsRef<Path>,
        options: &UploadOptions,
        progress: &(dyn Fn(u64) + Send + Sync),
        interrupt: F,
    ) -> Result<Upload, UploadError> {
        let plan = Plan::new(path.as_ref(), options)?;
        let mut interrupt = pin!(interrupt);

        let mut create = pin!(self.create(&plan.request));
        let upload = tokio::select! {
            created = &mut create => created?,
            () = &mut interrupt => return Err(self.interrupted_create(create).await),
        };
        let upload_id = upload.id;
        let guard = CancelOnDrop(Some((self.client.clone(), upload_id.clone())));
        let result = self
            .finish(&upload_id, plan.reader, progress, &mut interrupt)
            .await;
        // Every way out of `finish` has completed or cancelled the Upload.
        guard.disarm();
        result
    }

    /// Everything after the Upload exists: parts, then complete; on any
    /// failure or interrupt, the cancel.
    async fn finish(
        self,
        upload_id: &str,
        reader: PartReader,
        progress: &(dyn Fn(u64) + Send + Sync),
        interrupt: &mut (impl Future<Output = ()> + Unpin),
    ) -> Result<Upload, UploadError> {
        let upload_id = upload_id.to_owned();
        let sent = self
            .send_parts(&upload_id, reader, progress, interrupt)
            .await;
        let (part_ids, md5) = match sent {
            Ok(done) => done,
            Err(Stop::Failed(error)) => return Err(self.failed(&upload_id, error).await),
            Err(Stop::Interrupted) => return Err(self.interrupted(&upload_id).await),
        };

        let request = CompleteUploadRequest {
            part_ids,
            md5: Some(md5),
        };
        let mut complete = pin!(self.complete(&upload_id, &request));
        let completed = tokio::select! {
            completed = &mut complete => completed,
            () = &mut *interrupt => match tokio::time::timeout(INTERRUPT_GRACE, complete).await {
                Ok(Ok(upload)) => Ok(upload),
                _ => return Err(self.interrupted(&upload_id).await),
            },
        };
        match completed {
            Ok(upload) => Ok(upload),
            Err(error) => Err(self.failed(&upload_id, error).await),
        }
    }

    /// Sends every part; returns the part ids in file order and the md5.
    async fn send_parts(
        self,
        upload_id: &str,
        reader: PartReader,
        progress: &(dyn Fn(u64) + Send + Sync),
        interrupt: &mut (impl Future<Output = ()> + Unpin),
    ) -> Result<(Vec<String>, String), Stop> {
        let path = reader.path.clone();
        let slots = Slots {
            permits: Arc::new(Semaphore::new(reader.concurrency)),
            spare: Arc::default(),
        };
        let (parts_tx, mut parts_rx) = mpsc::channel(reader.concurrency);
        let mut part_ids = vec![String::new(); reader.parts()];
        // Stops the reader however this function ends.
        let _reader = AbortOnDrop(tokio::spawn(reader.run(slots, parts_tx)));

        let mut in_flight = FuturesUnordered::new();
        let mut md5 = None;
        let mut acknowledged = 0u64;
        while md5.is_none() || !in_flight.is_empty() {
            tokio::select! {
                biased;
                () = &mut *interrupt => return Err(Stop::Interrupted),
                Some(done) = in_flight.next() => {
                    let (index, len, sent): PartDone = done;
                    let part = sent.map_err(Stop::Failed)?;
                    part_ids[index] = part.id;
                    acknowledged += len;
                    progress(acknowledged);
                }
                read = parts_rx.recv(), if md5.is_none() => match read {
                    Some(FromReader::Part { index, bytes, slot }) => {
                        in_flight.push(self.send_part(upload_id, index, bytes, slot));
                    }
                    Some(FromReader::Done { md5: hex }) => md5 = Some(hex),
                    Some(FromReader::Failed(error)) => return Err(Stop::Failed(error)),
                    None => return Err(Stop::Failed(Error::File {
                        path,
                        source: io::Error::other("the file reader stopped unexpectedly"),
                    })),
                },
            }
        }
        Ok((part_ids, md5.unwrap_or_default()))
    }

    async fn send_part(self, upload_id: &str, index: usize, bytes: Bytes, slot: Slot) -> PartDone {
        let len = bytes.len() as u64;
        let request = AddUploadPartRequest {
            data: FilePart::from_bytes(bytes.clone()),
        };
        let sent = self.parts().create(upload_id, &request).await;
        drop(request);
        slot.release(bytes);
        (index, len, sent)
    }

    /// After an interrupt during create: wait briefly for the Upload, so it
    /// can be cancelled rather than left pending.
    async fn interrupted_create(self, create: impl Future<Output = Result<Upload>>) -> UploadError {
        match tokio::time::timeout(INTERRUPT_GRACE, create).await {
            Ok(Ok(upload)) => self.interrupted(&upload.id).await,
            _ => UploadError::Interrupted {
                upload_id: None,
                cancelled: false,
                cancel_error: None,
            },
        }
    }

    async fn interrupted(self, upload_id: &str) -> UploadError {
        let (cancelled, cancel_error) = self.cancel_quietly(upload_id).await;
        UploadError::Interrupted {
            upload_id: Some(upload_id.to_owned()),
            cancelled,
            cancel_error,
        }
    }

    async fn failed(self, upload_id: &str, source: Error) -> UploadError {
        let (cancelled, cancel_error) = self.cancel_quietly(upload_id).await;
        UploadError::Failed {
            upload_id: upload_id.to_owned(),
            cancelled,
            cancel_error,
            source: Box::new(source),
        }
    }

    /// The cleanup cancel, bounded: with the client's own timeout and
    /// retries it could otherwise keep a Ctrl-C waiting for many minutes.
    async fn cancel_quietly(self, upload_id: &str) -> (bool, Option<Box<Error>>) {
        match tokio::time::timeout(CANCEL_LIMIT, self.cancel(upload_id)).await {
            Ok(Ok(_)) => (true, None),
            Ok(Err(error)) => (false, Some(Box::new(error))),
            Err(_) => {
                let error = Error::Timeout {
                    method: reqwest::Method::POST,
                    path: format!("/uploads/{upload_id}/cancel"),
                    timeout: CANCEL_LIMIT,
                };
                (false, Some(Box::new(error)))
            }
        }
    }
}

/// A part's index, length, and how sending it went.
type PartDone = (usize, u64, Result<UploadPart>);

/// Why sending parts stopped early.
enum Stop {
    Failed(Error),
    Interrupted,
}

/// Everything checked and opened before the first request.
struct Plan {
    request: CreateUploadRequest,
    reader: PartReader,
}

impl Plan {
    fn new(path: &Path, options: &UploadOptions) -> Result<Self> {
        check_options(options)?;
        let bad_path = |reason: String| Error::invalid_argument("path", reason);
        let shown = path.display();
        // Checked before opening: opening a FIFO would block.
        let metadata =
            std::fs::metadata(path).map_err(|err| bad_path(format!("{shown}: {err}")))?;
        if !metadata.is_file() {
            return Err(bad_path(format!("{shown} is not a regular file")));
        }
        let file = File::open(path).map_err(|err| bad_path(format!("{shown}: {err}")))?;
        // The open file's own size, in case the path changed in between.
        let metadata = file
            .metadata()
            .map_err(|err| bad_path(format!("{shown}: {err}")))?;
        let size = metadata.len();
        if size == 0 {
            return Err(bad_path(format!(
                "{shown} is empty; an Upload needs at least one byte"
            )));
        }
        if size > MAX_UPLOAD_SIZE {
            return Err(bad_path(format!(
                "{shown} is {size} bytes, over the limit of {MAX_UPLOAD_SIZE} bytes (8 GiB)"
            )));
        }
        let filename = match &options.filename {
            Some(name) => name.clone(),
            None => path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .ok_or_else(|| bad_path(format!("{shown} has no file name")))?,
        };
        let mime_type = match &options.mime_type {
            Some(mime_type) => mime_type.clone(),
            None => guess_mime_type(path),
        };
        let request = CreateUploadRequest {
            filename,
            purpose: options.purpose.clone(),
            bytes: i64::try_from(size).unwrap_or(i64::MAX),
            mime_type,
            expires_after: options.expires_after.clone(),
        };
        let reader = PartReader {
            file,
            path: path.to_path_buf(),
            size,
            modified: metadata.modified().ok(),
            part_size: options.part_size,
            concurrency: options.concurrency,
        };
        Ok(Self { request, reader })
    }
}

fn check_options(options: &UploadOptions) -> Result<()> {
    if options.part_size == 0 || options.part_size > MAX_PART_SIZE {
        return Err(Error::invalid_argument(
            "part_size",
            format!(
                "{} bytes is not between 1 byte and {MAX_PART_SIZE} bytes (64 MiB)",
                options.part_size
            ),
        ));
    }
    if options.concurrency == 0 {
        return Err(Error::invalid_argument(
            "concurrency",
            "at least one part must be in flight",
        ));
    }
    if options.concurrency > Semaphore::MAX_PERMITS {
        return Err(Error::invalid_argument(
            "concurrency",
            format!("{} is too many", options.concurrency),
        ));
    }
    if options
        .filename
        .as_deref()
        .is_some_and(|name| name.trim().is_empty())
    {
        return Err(Error::invalid_argument("filename", "must not be empty"));
    }
    if options
        .mime_type
        .as_deref()
        .is_some_and(|mime| mime.trim().is_empty())
    {
        return Err(Error::invalid_argument("mime_type", "must not be empty"));
    }
    if let Some(expiry) = &options.expires_after
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

/// The MIME type for a path's extension; `application/octet-stream` when
/// unknown.
fn guess_mime_type(path: &Path) -> String {
    let extension = path
        .extension()
        .map(|ext| ext.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        // JSON Lines, the format of fine-tuning and batch files, which
        // mime_guess does not know.
        Some("jsonl") => "text/jsonl".to_owned(),
        _ => mime_guess::from_path(path)
            .first_or_octet_stream()
            .essence_str()
            .to_owned(),
    }
}

/// Memory for parts: `concurrency` permits, and the buffers of parts
/// already sent, for the reader to fill again (new buffers cost a page fault
/// every 4 KiB).
#[derive(Clone)]
struct Slots {
    permits: Arc<Semaphore>,
    spare: Arc<Mutex<Vec<BytesMut>>>,
}

impl Slots {
    /// Waits for a free slot; `None` once closed.
    async fn acquire(&self) -> Option<(Slot, Option<BytesMut>)> {
        let permit = self.permits.clone().acquire_owned().await.ok()?;
        let buffer = lock(&self.spare).pop();
        let slot = Slot {
            _permit: permit,
            spare: self.spare.clone(),
        };
        Some((slot, buffer))
    }
}

/// One part's claim on memory, held until the part is sent.
struct Slot {
    _permit: OwnedSemaphorePermit,
    spare: Arc<Mutex<Vec<BytesMut>>>,
}

impl Slot {
    /// Frees the slot, keeping the part's buffer when nothing else holds it.
    fn release(self, bytes: Bytes) {
        if let Ok(buffer) = bytes.try_into_mut() {
            lock(&self.spare).push(buffer);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the reader hands over.
enum FromReader {
    /// Part `index`, holding a slot until it is sent.
    Part {
        index: usize,
        bytes: Bytes,
        slot: Slot,
    },
    /// The whole file was read, unchanged; its md5 in hex.
    Done {
        md5: String,
    },
    Failed(Error),
}

/// Reads the file in order, one part at a time, hashing as it goes.
struct PartReader {
    file: File,
    path: PathBuf,
    /// The size when the file was opened; the Upload was created for it.
    size: u64,
    modified: Option<SystemTime>,
    part_size: u64,
    concurrency: usize,
}

impl PartReader {
    fn parts(&self) -> usize {
        usize::try_from(self.size.div_ceil(self.part_size)).unwrap_or(usize::MAX)
    }

    async fn run(self, slots: Slots, parts: mpsc::Sender<FromReader>) {
        let path = self.path.clone();
        let result = self.read_all(slots, &parts).await;
        let last = match result {
            Ok(Some(md5)) => FromReader::Done { md5 },
            Ok(None) => return,
            Err(source) => FromReader::Failed(Error::File { path, source }),
        };
        let _ = parts.send(last).await;
    }

    /// The md5, or `None` when the receiver is gone.
    async fn read_all(
        self,
        slots: Slots,
        parts: &mpsc::Sender<FromReader>,
    ) -> io::Result<Option<String>> {
        let mut state = ReadState {
            file: self.file,
            hasher: Md5::new(),
            size: self.size,
        };
        let mut offset = 0;
        let mut index = 0;
        while offset < self.size {
            // Wait for a slot before reading, so memory stays bounded.
            let Some((slot, buffer)) = slots.acquire().await else {
                return Ok(None);
            };
            let len = self.part_size.min(self.size - offset);
            let (returned, bytes) = blocking(move || {
                let mut state = state;
                let bytes = state.read_part(len, buffer);
                (state, bytes)
            })
            .await?;
            state = returned;
            let bytes = bytes?;
            if parts
                .send(FromReader::Part { index, bytes, slot })
                .await
                .is_err()
            {
                return Ok(None);
            }
            offset += len;
            index += 1;
        }
        let modified = self.modified;
        blocking(move || state.finish(modified)).await?.map(Some)
    }
}

/// The reader's file and running hash, moved to a blocking thread per part.
struct ReadState {
    file: File,
    hasher: Md5,
    size: u64,
}

impl ReadState {
    /// The next `len` bytes, hashed block by block while in cache, in a
    /// used buffer when one is big enough.
    fn read_part(&mut self, len: u64, used: Option<BytesMut>) -> io::Result<Bytes> {
        let len = usize::try_from(len).map_err(io::Error::other)?;
        let mut buffer = match used {
            Some(mut buffer) if buffer.len() >= len => {
                buffer.truncate(len);
                buffer
            }
            _ => BytesMut::zeroed(len),
        };
        for block in buffer.chunks_mut(READ_BLOCK) {
            read_exact(&mut self.file, block, self.size)?;
            self.hasher.update(&*block);
        }
        Ok(buffer.freeze())
    }

    /// Checks that the file is as it was when the Upload was created; the
    /// md5 in hex.
    fn finish(mut self, modified: Option<SystemTime>) -> io::Result<String> {
        let mut probe = [0u8; 1];
        if read_some(&mut self.file, &mut probe)? > 0 {
            return Err(changed(format!(
                "the file grew while it was read (it had {} bytes at the start)",
                self.size
            )));
        }
        let metadata = self.file.metadata()?;
        if metadata.len() != self.size {
            return Err(changed(format!(
                "the file changed size while it was read ({} bytes at the start, {} now)",
                self.size,
                metadata.len()
            )));
        }
        if modified.is_some() && metadata.modified().ok() != modified {
            return Err(changed(
                "the file was modified while it was read".to_owned(),
            ));
        }
        let digest = self.hasher.finalize();
        Ok(digest.iter().map(|byte| format!("{byte:02x}")).collect())
    }
}

fn changed(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn read_exact(file: &mut File, buffer: &mut [u8], size: u64) -> io::Result<()> {
    file.read_exact(buffer).map_err(|err| match err.kind() {
        io::ErrorKind::UnexpectedEof => io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the file shrank while it was read (it had {size} bytes at the start)"),
        ),
        _ => err,
    })
}

fn read_some(file: &mut File, buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        match file.read(buffer) {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| io::Error::other(format!("the file reader failed: {err}")))
}

/// Cancels the Upload if the uploader's future is dropped before it is done.
struct CancelOnDrop(Option<(Client, String)>);

impl CancelOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some((client, upload_id)) = self.0.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = client.uploads().cancel(&upload_id).await;
            });
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types_come_from_the_extension() {
        let guess = |name: &str| guess_mime_type(Path::new(name));
        assert_eq!(guess("train.jsonl"), "text/jsonl");
        assert_eq!(guess("TRAIN.JSONL"), "text/jsonl");
        assert_eq!(guess("notes.txt"), "text/plain");
        assert_eq!(guess("data.json"), "application/json");
        assert_eq!(guess("photo.png"), "image/png");
        assert_eq!(guess("doc.pdf"), "application/pdf");
        assert_eq!(guess("blob"), "application/octet-stream");
        assert_eq!(guess("weird.zzzz"), "application/octet-stream");
    }

    #[test]
    fn md5_of_known_input() {
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, b"The quick brown fox jumps over the lazy dog")
            .unwrap();
        std::io::Seek::rewind(&mut file).unwrap();
        let mut state = ReadState {
            file,
            hasher: Md5::new(),
            size: 43,
        };
        let bytes = state.read_part(40, None).unwrap();
        assert_eq!(&bytes[..9], b"The quick");
        // A used buffer is refilled, cut to the length.
        let used = BytesMut::from(&[b'x'; 10][..]);
        let bytes = state.read_part(3, Some(used)).unwrap();
        assert_eq!(&bytes[..], b"dog");
        assert_eq!(
            state.finish(None).unwrap(),
            "9e107d9d372bb6826bd81d3542a419d6"
        );
    }
}
