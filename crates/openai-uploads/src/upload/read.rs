//! Reading and hashing.
//!
//! One reader goes through the file in order, a part at a time. Before
//! reading a part it waits for one of `concurrency` slots, which the part
//! holds until it is both hashed and acknowledged, so memory stays near
//! `concurrency × part_size`. The md5 is computed on a thread of its own,
//! fed each part as soon as it is read: hashing, serial by nature, overlaps
//! reading and sending. Parts an earlier run already sent (on resume) are
//! read and hashed but not handed on.

use std::fs::File;
use std::io::{self, Read as _};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::{Bytes, BytesMut};
use md5::{Digest as _, Md5};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use openai_runtime::Error;

use super::source::{Identity, Source};

/// A part to send: its place in the file and its bytes.
pub(super) struct Part {
    pub index: usize,
    pub bytes: Bytes,
    /// The part's slot, shared with the hasher.
    _buffer: Arc<Buffer>,
}

/// What the reader hands over.
pub(super) enum FromReader {
    Part(Part),
    /// The whole file was read, unchanged; its md5 in hex.
    Done {
        md5: String,
    },
    Failed(Error),
}

/// Which parts to read and what to do with them.
pub(super) struct Reader {
    file: File,
    path: PathBuf,
    identity: Identity,
    part_size: u64,
    concurrency: usize,
    /// Parts already sent: hashed, not handed on.
    sent: Vec<bool>,
}

impl Reader {
    pub fn new(source: Source, part_size: u64, concurrency: usize, sent: Vec<bool>) -> Self {
        Self {
            file: source.file,
            path: source.path,
            identity: source.identity,
            part_size,
            concurrency,
            sent,
        }
    }

    /// Starts reading on a task of its own; parts arrive on the returned
    /// channel in file order. Dropping the channel stops the reader.
    pub fn start(self) -> (mpsc::Receiver<FromReader>, AbortOnDrop) {
        let (parts, received) = mpsc::channel(self.concurrency);
        let task = tokio::spawn(self.run(parts));
        (received, AbortOnDrop(task))
    }

    async fn run(self, parts: mpsc::Sender<FromReader>) {
        let path = self.path.clone();
        let last = match self.read_all(&parts).await {
            Ok(Some(md5)) => FromReader::Done { md5 },
            Ok(None) => return,
            Err(source) => FromReader::Failed(Error::File { path, source }),
        };
        let _ = parts.send(last).await;
    }

    /// The md5, or `None` when the receiver is gone.
    async fn read_all(self, parts: &mpsc::Sender<FromReader>) -> io::Result<Option<String>> {
        let size = self.identity.size;
        let slots = Slots::new(self.concurrency);
        let (hasher, md5) = Hasher::start()?;
        let mut file = self.file;
        let mut offset = 0;
        let mut index = 0;
        while offset < size {
            // Wait for a slot before reading, so memory stays bounded.
            let (permit, used) = slots.acquire().await;
            let len = self.part_size.min(size - offset);
            let read = blocking(move || {
                let bytes = read_part(&mut file, len, used, size);
                (file, bytes)
            })
            .await?;
            file = read.0;
            let buffer = Arc::new(Buffer {
                bytes: read.1?,
                _permit: permit,
                spare: slots.spare.clone(),
            });
            let bytes = buffer.bytes.clone();
            if !hasher.add(buffer.clone()) {
                return Err(io::Error::other("the md5 thread stopped"));
            }
            if !self.sent.get(index).copied().unwrap_or(false) {
                let part = Part {
                    index,
                    bytes,
                    _buffer: buffer,
                };
                if parts.send(FromReader::Part(part)).await.is_err() {
                    return Ok(None);
                }
            }
            offset += len;
            index += 1;
        }
        let identity = self.identity;
        blocking(move || check_unchanged(file, &identity)).await??;
        drop(hasher);
        let md5 = md5
            .await
            .map_err(|_| io::Error::other("the md5 thread stopped"))?;
        Ok(Some(md5))
    }
}

/// The next `len` bytes, in a used buffer when one is big enough.
fn read_part(file: &mut File, len: u64, used: Option<BytesMut>, size: u64) -> io::Result<Bytes> {
    let len = usize::try_from(len).map_err(io::Error::other)?;
    let mut buffer = match used {
        Some(mut buffer) if buffer.len() >= len => {
            buffer.truncate(len);
            buffer
        }
        _ => BytesMut::zeroed(len),
    };
    file.read_exact(&mut buffer)
        .map_err(|err| match err.kind() {
            io::ErrorKind::UnexpectedEof => io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the file shrank while it was read (it had {size} bytes at the start)"),
            ),
            _ => err,
        })?;
    Ok(buffer.freeze())
}

/// Checks, once everything is read, that the file is as it was when the
/// Upload was created.
fn check_unchanged(mut file: File, identity: &Identity) -> io::Result<()> {
    let mut probe = [0u8; 1];
    if read_some(&mut file, &mut probe)? > 0 {
        return Err(changed(format!(
            "the file grew while it was read (it had {} bytes at the start)",
            identity.size
        )));
    }
    let now = Identity::of(identity.path.clone(), &file.metadata()?);
    if now.size != identity.size {
        return Err(changed(format!(
            "the file changed size while it was read ({} bytes at the start, {} now)",
            identity.size, now.size
        )));
    }
    if now.modified != identity.modified {
        return Err(changed(
            "the file was modified while it was read".to_owned(),
        ));
    }
    Ok(())
}

fn changed(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
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

/// The md5 thread: hashes parts in the order it is given them.
struct Hasher(std::sync::mpsc::Sender<Arc<Buffer>>);

impl Hasher {
    /// Starts the thread; the digest arrives once the `Hasher` is dropped.
    fn start() -> io::Result<(Self, oneshot::Receiver<String>)> {
        let (parts, received) = std::sync::mpsc::channel::<Arc<Buffer>>();
        let (digest, md5) = oneshot::channel();
        std::thread::Builder::new()
            .name("openai-upload-md5".to_owned())
            .spawn(move || {
                let mut hasher = Md5::new();
                for part in received {
                    hasher.update(&part.bytes);
                }
                let hex = hasher
                    .finalize()
                    .iter()
                    .map(|byte| format!("{byte:02x}"))
                    .collect();
                let _ = digest.send(hex);
            })?;
        Ok((Self(parts), md5))
    }

    /// Queues a part; false when the thread is gone.
    fn add(&self, part: Arc<Buffer>) -> bool {
        self.0.send(part).is_ok()
    }
}

/// `concurrency` permits, and buffers that parts are done with, for the
/// reader to fill again (a new buffer costs a page fault every 4 KiB).
struct Slots {
    permits: Arc<Semaphore>,
    spare: Arc<Mutex<Vec<BytesMut>>>,
}

impl Slots {
    fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            spare: Arc::default(),
        }
    }

    /// Waits for a free slot, and a used buffer if there is one.
    async fn acquire(&self) -> (OwnedSemaphorePermit, Option<BytesMut>) {
        // The semaphore is never closed.
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .unwrap_or_else(|_| unreachable!("the semaphore is never closed"));
        (permit, lock(&self.spare).pop())
    }
}

/// A part's bytes and its slot, freed once the part is hashed and sent.
struct Buffer {
    bytes: Bytes,
    _permit: OwnedSemaphorePermit,
    spare: Arc<Mutex<Vec<BytesMut>>>,
}

impl Drop for Buffer {
    fn drop(&mut self) {
        // Kept for reuse when nothing else holds the bytes any more.
        if let Ok(buffer) = std::mem::take(&mut self.bytes).try_into_mut() {
            lock(&self.spare).push(buffer);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Aborts a task when dropped.
pub(super) struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_into_used_buffers() {
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, b"The quick brown fox").unwrap();
        std::io::Seek::rewind(&mut file).unwrap();
        let bytes = read_part(&mut file, 4, None, 19).unwrap();
        assert_eq!(&bytes[..], b"The ");
        let used = BytesMut::from(&[b'x'; 10][..]);
        let bytes = read_part(&mut file, 5, Some(used), 19).unwrap();
        assert_eq!(&bytes[..], b"quick");
        let err = read_part(&mut file, 50, None, 19).unwrap_err();
        assert!(err.to_string().contains("shrank"), "{err}");
    }

    #[tokio::test]
    async fn the_md5_thread_hashes_in_order() {
        let (hasher, md5) = Hasher::start().unwrap();
        let slots = Slots::new(2);
        for text in ["The quick brown fox ", "jumps over the lazy dog"] {
            let (permit, _) = slots.acquire().await;
            hasher.add(Arc::new(Buffer {
                bytes: Bytes::from(text),
                _permit: permit,
                spare: slots.spare.clone(),
            }));
        }
        drop(hasher);
        assert_eq!(md5.await.unwrap(), "9e107d9d372bb6826bd81d3542a419d6");
    }
}
