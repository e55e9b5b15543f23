//! Reading the file, which is never held whole, nor a part of it.
//!
//! Every byte is read twice, and neither read keeps it:
//! - each attempt at a part streams the part from the file at its offset,
//!   a chunk at a time ([`Parts::body`]), so parts go out in parallel and a
//!   retry reads its part again;
//! - one [`Reader`] goes through the whole file in order, on a thread of
//!   its own, for the md5, which is serial by nature.
//!
//! The second read of a byte mostly finds it in the page cache. Both read
//! by offset from the one file opened and checked before the Upload was
//! created, never by path again.
//!
//! Since the bytes sent and the bytes hashed for the md5 come from
//! different reads, every read of a part is checked against the others:
//! the reader and each attempt that reads a part through hash it (xxh3, far
//! cheaper than the md5), the first whole hash of a part is kept
//! ([`Checks`]), and every later one must match it. A file that changes
//! under a part, between the reader and a send or between a send and its
//! retry, stops the upload: an attempt that finds a difference fails
//! instead of sending its last chunk, so the server never accepts it, and
//! the reader reports one it finds. Once every part is acknowledged, the
//! file must still have its first size and modification time
//! ([`Parts::check_unchanged`]).

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::{Bytes, BytesMut};
use md5::{Digest as _, Md5};
use tokio::sync::oneshot;
use xxhash_rust::xxh3::Xxh3;

use openai_runtime::{Error, FilePart};

use super::source::Identity;

/// Bytes per chunk of a part as it is sent. A part in flight holds two:
/// the one going out and the next, read meanwhile.
const SEND_CHUNK: u64 = 512 * 1024;
/// The first chunk of each attempt, read before the request goes out.
const FIRST_CHUNK: u64 = 64 * 1024;
/// The reader's buffer, its only memory.
const READ_CHUNK: u64 = 1024 * 1024;

/// One part: its place in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Range {
    pub index: usize,
    pub offset: u64,
    pub len: u64,
}

/// The parts of `size` bytes in `part_size` pieces, in order.
pub(super) fn ranges(size: u64, part_size: u64) -> impl Iterator<Item = Range> {
    let part_size = part_size.max(1);
    (0..size.div_ceil(part_size)).map(move |n| {
        let offset = n * part_size;
        Range {
            index: usize::try_from(n).unwrap_or(usize::MAX),
            offset,
            len: part_size.min(size - offset),
        }
    })
}

/// The open file, and what every read of its parts must agree on.
pub(super) struct Parts {
    file: File,
    /// The path as given, for messages.
    path: PathBuf,
    /// The file as it was when the Upload was created.
    identity: Identity,
    checks: Checks,
    spare: Spare,
}

impl Parts {
    pub fn new(file: File, path: PathBuf, identity: Identity, parts: usize) -> Arc<Self> {
        Arc::new(Self {
            file,
            path,
            identity,
            checks: Checks(Mutex::new(vec![None; parts])),
            spare: Spare::default(),
        })
    }

    /// Checks, once every part is read and sent, that the file is as it
    /// was when the Upload was created: a change the parts' checks cannot
    /// see (bytes appended, or a part changed after its last read) shows
    /// in its size or modification time.
    pub async fn check_unchanged(self: &Arc<Self>) -> Result<(), Error> {
        let parts = self.clone();
        let checked =
            tokio::task::spawn_blocking(move || check_unchanged(&parts.file, &parts.identity))
                .await
                .unwrap_or_else(|join| {
                    Err(io::Error::other(format!("the file check failed: {join}")))
                });
        checked.map_err(|source| Error::File {
            path: self.path.clone(),
            source,
        })
    }

    /// The part at `range`, read from the file anew for each attempt.
    pub fn body(self: &Arc<Self>, range: Range) -> FilePart {
        let parts = self.clone();
        FilePart::from_stream(&self.path, range.len, move || attempt(parts.clone(), range))
    }
}

/// One attempt's bytes of a part: read a chunk ahead (from the page cache
/// where it can, else on a blocking thread), hashed, and checked once
/// whole.
///
/// The first chunk is read at once, before the request goes out, so that a
/// small part leaves with the request's head in one write, as a part held
/// in memory did: an upload that stops (and drops its parts in flight)
/// leaves no such request half sent.
fn attempt(
    parts: Arc<Parts>,
    range: Range,
) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send + 'static {
    let mut state = Attempt {
        parts,
        range,
        done: 0,
        hash: Box::new(Xxh3::new()),
        lent: VecDeque::new(),
    };
    let first = state.next_chunk(FIRST_CHUNK);
    futures_util::stream::unfold(Some(Step::Ready(first, state)), |step| async move {
        let (chunk, state) = match step? {
            Step::Ready(chunk, state) => (chunk, state),
            Step::Reading(reading) => match reading.await {
                Ok((state, chunk)) => (chunk, state),
                Err(join) => {
                    let error = io::Error::other(format!("the file reader failed: {join}"));
                    return Some((Err(error), None));
                }
            },
        };
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(error) => return Some((Err(error), None)),
        };
        // The next chunk is read while this one goes out: here, if the page
        // cache has it all, else on a blocking thread. Handing every chunk to
        // another thread and back woke threads thousands of times per GiB,
        // and they took the CPU from the md5 reader.
        let next = (state.done < state.range.len).then(|| {
            let mut state = state;
            let mut chunk = state.start(SEND_CHUNK);
            if state.fill_cached(&mut chunk) {
                let chunk = state.finish(chunk);
                return Step::Ready(chunk, state);
            }
            Step::Reading(tokio::task::spawn_blocking(move || {
                let chunk = state.fill(&mut chunk).and_then(|()| state.finish(chunk));
                (state, chunk)
            }))
        });
        Some((Ok(chunk), next))
    })
}

/// Where an attempt's stream is.
enum Step {
    Ready(io::Result<Bytes>, Attempt),
    Reading(tokio::task::JoinHandle<(Attempt, io::Result<Bytes>)>),
}

struct Attempt {
    parts: Arc<Parts>,
    range: Range,
    done: u64,
    hash: Box<Xxh3>,
    /// The chunks handed out, until the connection is done with them and
    /// their buffers can be used again.
    lent: VecDeque<Bytes>,
}

impl Attempt {
    /// The next chunk, of at most `max` bytes; the last one only if the
    /// whole part matches what was read of it before. Blocking.
    fn next_chunk(&mut self, max: u64) -> io::Result<Bytes> {
        let mut chunk = self.start(max);
        self.fill(&mut chunk)?;
        self.finish(chunk)
    }

    /// The buffer for the next chunk, nothing read into it yet.
    fn start(&mut self, max: u64) -> Chunk {
        let want = (self.range.len - self.done).min(max);
        // At most `max`, a chunk's size, so it fits.
        let want = usize::try_from(want).unwrap_or(usize::MAX);
        Chunk {
            buffer: self.buffer(want),
            filled: 0,
        }
    }

    /// Reads the rest of `chunk` from the file. Blocking.
    fn fill(&self, chunk: &mut Chunk) -> io::Result<()> {
        let size = self.parts.identity.size;
        let offset = self.offset_of(chunk);
        read_exact_at(&self.parts.file, chunk.rest(), offset, size)?;
        chunk.filled = chunk.buffer.len();
        Ok(())
    }

    /// Reads what the page cache holds of the rest of `chunk`, without
    /// blocking: true once the chunk is whole. What is left is [`fill`]'s.
    ///
    /// [`fill`]: Attempt::fill
    fn fill_cached(&self, chunk: &mut Chunk) -> bool {
        while chunk.filled < chunk.buffer.len() {
            let offset = self.offset_of(chunk);
            match read_cached(&self.parts.file, chunk.rest(), offset) {
                Some(n) if n > 0 => chunk.filled += n,
                _ => return false,
            }
        }
        true
    }

    /// Where in the file the unread rest of `chunk` starts.
    fn offset_of(&self, chunk: &Chunk) -> u64 {
        self.range.offset + self.done + chunk.filled as u64
    }

    /// Hashes a chunk read whole, and checks the part once it is all read.
    fn finish(&mut self, chunk: Chunk) -> io::Result<Bytes> {
        let Chunk { buffer, .. } = chunk;
        self.hash.update(&buffer);
        self.done += buffer.len() as u64;
        if self.done == self.range.len
            && !self
                .parts
                .checks
                .agree(self.range.index, self.hash.digest128())
        {
            return Err(changed_part(self.range.index));
        }
        let chunk = buffer.freeze();
        self.lent.push_back(chunk.clone());
        Ok(chunk)
    }

    /// A buffer of `len` bytes: one the connection has finished with, if
    /// any (neither allocated nor zeroed again), else a new one.
    fn buffer(&mut self, len: usize) -> BytesMut {
        for _ in 0..self.lent.len() {
            match self.lent.pop_front().map(Bytes::try_into_mut) {
                Some(Ok(buffer)) => self.parts.spare.put(buffer),
                Some(Err(still_lent)) => self.lent.push_back(still_lent),
                None => break,
            }
        }
        match self.parts.spare.take() {
            Some(mut buffer) => {
                buffer.resize(len, 0);
                buffer
            }
            None => BytesMut::zeroed(len),
        }
    }
}

/// A chunk being read: its buffer, of the chunk's length, and how much of
/// it is read.
struct Chunk {
    buffer: BytesMut,
    filled: usize,
}

impl Chunk {
    /// The part of the buffer not read into yet.
    fn rest(&mut self) -> &mut [u8] {
        &mut self.buffer[self.filled..]
    }
}

/// One read into `buffer` at `offset` that does not wait for the disk
/// (`preadv2` with `RWF_NOWAIT`): the bytes read, or `None` when it would
/// have to wait, or cannot say (an error, a kernel or a platform without
/// the flag). 0 is the end of the file.
#[cfg(all(target_os = "linux", any(target_env = "gnu", target_env = "musl")))]
fn read_cached(file: &File, buffer: &mut [u8], offset: u64) -> Option<usize> {
    use std::os::fd::AsRawFd as _;
    let iov = libc::iovec {
        iov_base: buffer.as_mut_ptr().cast(),
        iov_len: buffer.len(),
    };
    let offset = libc::off_t::try_from(offset).ok()?;
    // SAFETY: `iov` describes `buffer`, which is valid for writes of its
    // length and outlives the call; `file` keeps the descriptor open.
    let n = unsafe { libc::preadv2(file.as_raw_fd(), &iov, 1, offset, libc::RWF_NOWAIT) };
    usize::try_from(n).ok()
}

#[cfg(not(all(target_os = "linux", any(target_env = "gnu", target_env = "musl"))))]
fn read_cached(_: &File, _: &mut [u8], _: u64) -> Option<usize> {
    None
}

/// Send buffers the connections are done with, for the next chunks.
#[derive(Default)]
struct Spare(Mutex<Vec<BytesMut>>);

impl Spare {
    /// At most this many are kept.
    const MAX: usize = 16;

    fn put(&self, buffer: BytesMut) {
        let mut spare = lock(&self.0);
        if spare.len() < Self::MAX && buffer.capacity() >= SEND_CHUNK as usize {
            spare.push(buffer);
        }
    }

    fn take(&self) -> Option<BytesMut> {
        lock(&self.0).pop()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Per part, the hash of its bytes the first time they were read whole.
struct Checks(Mutex<Vec<Option<u128>>>);

impl Checks {
    /// Keeps `hash` as part `index`'s if it is the first, else compares:
    /// false when the part's bytes differ from the first read's.
    fn agree(&self, index: usize, hash: u128) -> bool {
        let mut hashes = lock(&self.0);
        match hashes.get_mut(index) {
            Some(Some(first)) => *first == hash,
            Some(slot) => {
                *slot = Some(hash);
                true
            }
            None => false,
        }
    }
}

/// The sequential read for the md5.
pub(super) struct Reader {
    pub parts: Arc<Parts>,
    pub part_size: u64,
}

impl Reader {
    /// Starts reading on a thread of its own.
    pub fn start(self) -> Reading {
        let (done, result) = oneshot::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let path = self.parts.path.clone();
        let spawned = std::thread::Builder::new()
            .name("openai-upload-md5".to_owned())
            .spawn(move || {
                let outcome = match self.read_all(&stopped) {
                    Ok(Some(md5)) => Ok(md5),
                    Ok(None) => return,
                    Err(source) => Err(Error::File {
                        path: self.parts.path.clone(),
                        source,
                    }),
                };
                let _ = done.send(outcome);
            });
        match spawned {
            Ok(_) => Reading { result, stop },
            Err(source) => {
                let (failed, result) = oneshot::channel();
                let _ = failed.send(Err(Error::File { path, source }));
                Reading { result, stop }
            }
        }
    }

    /// The md5 in hex, or `None` once told to stop.
    fn read_all(&self, stop: &AtomicBool) -> io::Result<Option<String>> {
        let file = &self.parts.file;
        let size = self.parts.identity.size;
        let mut md5 = Md5::new();
        let mut buffer = vec![0u8; usize::try_from(READ_CHUNK.min(size)).unwrap_or(0)];
        for Range { index, offset, len } in ranges(size, self.part_size) {
            let mut hash = Xxh3::new();
            let mut done = 0;
            while done < len {
                if stop.load(Ordering::Relaxed) {
                    return Ok(None);
                }
                let want = usize::try_from((len - done).min(READ_CHUNK)).unwrap_or(0);
                let chunk = &mut buffer[..want];
                read_exact_at(file, chunk, offset + done, size)?;
                md5.update(&*chunk);
                hash.update(chunk);
                done += want as u64;
            }
            if !self.parts.checks.agree(index, hash.digest128()) {
                return Err(changed_part(index));
            }
        }
        Ok(Some(
            md5.finalize()
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect(),
        ))
    }
}

/// The reader at work: its outcome, and stopping it when dropped.
pub(super) struct Reading {
    pub result: oneshot::Receiver<Result<String, Error>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Reading {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Fills `buffer` from the file, of `size` bytes at the start, at `offset`.
fn read_exact_at(file: &File, mut buffer: &mut [u8], mut offset: u64, size: u64) -> io::Result<()> {
    while !buffer.is_empty() {
        match read_at(file, buffer, offset) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the file shrank while it was read (it had {size} bytes at the start)"),
                ));
            }
            Ok(n) => {
                buffer = &mut buffer[n..];
                offset += n as u64;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

#[cfg(unix)]
fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buffer, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    // Moves the file's cursor, which no read here relies on.
    std::os::windows::fs::FileExt::seek_read(file, buffer, offset)
}

#[cfg(not(any(unix, windows)))]
fn read_at(_: &File, _: &mut [u8], _: u64) -> io::Result<usize> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "reading a file at an offset is not supported on this platform",
    ))
}

/// Whether the file still has the size and modification time of
/// `identity`, and nothing past its end. Blocking.
fn check_unchanged(file: &File, identity: &Identity) -> io::Result<()> {
    let mut probe = [0u8; 1];
    let grew = loop {
        match read_at(file, &mut probe, identity.size) {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            other => break other? > 0,
        }
    };
    if grew {
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

fn changed_part(index: usize) -> io::Error {
    changed(format!(
        "the file changed during the upload: part {} is not what was read of it before",
        index + 1
    ))
}

fn changed(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    use futures_util::StreamExt as _;

    fn file_with(bytes: &[u8]) -> (tempfile::NamedTempFile, File) {
        let named = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(named.path(), bytes).unwrap();
        let file = File::open(named.path()).unwrap();
        (named, file)
    }

    fn parts_of(named: &tempfile::NamedTempFile, file: File, parts: usize) -> Arc<Parts> {
        let identity = Identity::of(named.path().to_path_buf(), &file.metadata().unwrap());
        Parts::new(file, named.path().to_path_buf(), identity, parts)
    }

    #[test]
    fn ranges_cover_the_file_in_order() {
        let all: Vec<_> = ranges(10, 4).map(|r| (r.index, r.offset, r.len)).collect();
        assert_eq!(all, [(0, 0, 4), (1, 4, 4), (2, 8, 2)]);
        assert_eq!(ranges(8, 4).count(), 2);
        assert_eq!(ranges(1, 64).map(|r| r.len).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn the_first_whole_hash_is_the_reference() {
        let checks = Checks(Mutex::new(vec![None; 2]));
        assert!(checks.agree(0, 7));
        assert!(checks.agree(0, 7));
        assert!(!checks.agree(0, 8));
        assert!(checks.agree(1, 8));
        assert!(!checks.agree(2, 8), "no such part");
    }

    async fn collect(parts: &Arc<Parts>, range: Range) -> io::Result<Vec<u8>> {
        let mut stream = std::pin::pin!(attempt(parts.clone(), range));
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn an_attempt_reads_its_range_and_a_changed_retry_fails() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let (named, file) = file_with(&data);
        let parts = parts_of(&named, file, 2);
        let range = Range {
            index: 1,
            offset: 1_000_000,
            len: 2_000_000,
        };
        assert_eq!(collect(&parts, range).await.unwrap(), &data[1_000_000..]);
        assert_eq!(collect(&parts, range).await.unwrap(), &data[1_000_000..]);
        // Same length, one byte different, as an editor might leave it.
        let mut edited = data.clone();
        edited[2_999_999] ^= 1;
        std::fs::write(named.path(), &edited).unwrap();
        let err = collect(&parts, range).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("part 2 is not what"), "{err}");
    }

    /// An attempt at the one part, of `len` bytes from the start, with
    /// `done` of them read.
    fn attempt_at(parts: Arc<Parts>, len: u64, done: u64) -> Attempt {
        Attempt {
            parts,
            range: Range {
                index: 0,
                offset: 0,
                len,
            },
            done,
            hash: Box::new(Xxh3::new()),
            lent: VecDeque::new(),
        }
    }

    #[cfg(all(target_os = "linux", any(target_env = "gnu", target_env = "musl")))]
    #[test]
    fn a_cached_chunk_is_read_whole_without_blocking() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 249) as u8).collect();
        // Just written, so in the page cache.
        let (named, file) = file_with(&data);
        let attempt = attempt_at(parts_of(&named, file, 1), 250_000, 50_000);
        let mut chunk = Chunk {
            buffer: BytesMut::zeroed(200_000),
            filled: 0,
        };
        assert!(attempt.fill_cached(&mut chunk));
        assert_eq!(chunk.filled, 200_000);
        assert_eq!(&chunk.buffer[..], &data[50_000..250_000]);
    }

    #[test]
    fn a_chunk_past_the_end_is_left_to_the_blocking_read_which_says_so() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 247) as u8).collect();
        let (named, file) = file_with(&data);
        let mut attempt = attempt_at(parts_of(&named, file, 1), 400_000, 100_000);
        let mut chunk = attempt.start(SEND_CHUNK);
        assert_eq!(chunk.buffer.len(), 300_000);
        assert!(!attempt.fill_cached(&mut chunk));
        // What was there is kept (on Linux), and the rest is not invented.
        assert!(
            chunk.filled == 0 || chunk.filled == 200_000,
            "{}",
            chunk.filled
        );
        assert_eq!(
            &chunk.buffer[..chunk.filled],
            &data[100_000..100_000 + chunk.filled]
        );
        let err = attempt.fill(&mut chunk).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(err.to_string().contains("shrank"), "{err}");
    }

    /// Pages dropped from the cache: the chunk reads go to the blocking
    /// threads (in part at least), and the bytes are the same.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_part_out_of_the_page_cache_is_read_the_same() {
        use std::os::fd::AsRawFd as _;
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 241) as u8).collect();
        let (named, file) = file_with(&data);
        file.sync_all().unwrap();
        // SAFETY: a plain system call on an open descriptor.
        let advised =
            unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        assert_eq!(advised, 0);
        let parts = parts_of(&named, file, 1);
        let range = Range {
            index: 0,
            offset: 0,
            len: 3_000_000,
        };
        assert_eq!(collect(&parts, range).await.unwrap(), data);
    }

    #[test]
    fn a_chunk_the_connection_is_done_with_is_read_into_again() {
        let data: Vec<u8> = (0..2_000_000u32).map(|i| (i % 253) as u8).collect();
        let (named, file) = file_with(&data);
        let mut attempt = attempt_at(parts_of(&named, file, 1), 2_000_000, 0);
        let first = attempt.next_chunk(SEND_CHUNK).unwrap();
        let second = attempt.next_chunk(SEND_CHUNK).unwrap();
        let reused = first.as_ptr();
        assert_eq!(&first[..], &data[..SEND_CHUNK as usize]);
        drop(first);
        // `second` is still out; the buffer of `first` is taken again.
        let third = attempt.next_chunk(SEND_CHUNK).unwrap();
        assert_eq!(third.as_ptr(), reused);
        let at = 2 * SEND_CHUNK as usize;
        assert_eq!(&third[..], &data[at..at + SEND_CHUNK as usize]);
        assert_ne!(second.as_ptr(), reused);
    }

    #[tokio::test]
    async fn an_attempt_past_the_end_says_the_file_shrank() {
        let (named, file) = file_with(b"The quick brown fox");
        let parts = parts_of(&named, file, 1);
        let range = Range {
            index: 0,
            offset: 10,
            len: 20,
        };
        let err = collect(&parts, range).await.unwrap_err();
        assert!(err.to_string().contains("shrank"), "{err}");
    }

    #[tokio::test]
    async fn the_reader_hashes_in_order_and_checks_the_parts() {
        let text = b"The quick brown fox jumps over the lazy dog";
        let (named, file) = file_with(text);
        let parts = parts_of(&named, file, 5);
        let reader = Reader {
            parts: parts.clone(),
            part_size: 10,
        };
        let mut reading = reader.start();
        let md5 = (&mut reading.result).await.unwrap().unwrap();
        assert_eq!(md5, "9e107d9d372bb6826bd81d3542a419d6");
        // What the reader saw is what every send must see.
        let range = ranges(text.len() as u64, 10).nth(4).unwrap();
        assert_eq!(collect(&parts, range).await.unwrap(), b"dog");
        parts.check_unchanged().await.unwrap();
        std::fs::write(
            named.path(),
            b"The quick brown fox jumps over the lazy dog!",
        )
        .unwrap();
        let err = parts.check_unchanged().await.unwrap_err();
        assert!(err.to_string().contains("grew"), "{err}");
    }

    #[tokio::test]
    async fn the_reader_reports_a_part_sent_otherwise() {
        let (named, file) = file_with(b"abcdefgh");
        let parts = parts_of(&named, file, 2);
        // As if a send had read other bytes for part 2 first.
        assert!(parts.checks.agree(1, 42));
        let reader = Reader {
            parts,
            part_size: 4,
        };
        let mut reading = reader.start();
        let err = (&mut reading.result).await.unwrap().unwrap_err();
        assert!(err.to_string().contains("part 2 is not what"), "{err}");
    }

    #[tokio::test]
    async fn the_reader_checks_parts_of_many_chunks() {
        // Parts of one and a half chunks, so that chunks end inside parts,
        // and more chunks than buffers.
        let chunk = READ_CHUNK as usize;
        let data: Vec<u8> = (0..7 * chunk / 2).map(|i| (i % 251) as u8).collect();
        let part_size = 3 * READ_CHUNK / 2;
        let hashes = || {
            data.chunks(part_size as usize)
                .map(xxhash_rust::xxh3::xxh3_128)
                .collect::<Vec<_>>()
        };
        let (named, file) = file_with(&data);
        let parts = parts_of(&named, file, 3);
        let mut reading = Reader {
            parts: parts.clone(),
            part_size,
        }
        .start();
        let md5 = (&mut reading.result).await.unwrap().unwrap();
        let expected: String = Md5::digest(&data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(md5, expected);
        for (index, hash) in hashes().into_iter().enumerate() {
            assert!(parts.checks.agree(index, hash), "part {}", index + 1);
        }

        // A send that read the last part otherwise.
        let (named, file) = file_with(&data);
        let parts = parts_of(&named, file, 3);
        assert!(parts.checks.agree(2, hashes()[2] ^ 1));
        let mut reading = Reader { parts, part_size }.start();
        let err = (&mut reading.result).await.unwrap().unwrap_err();
        assert!(err.to_string().contains("part 3 is not what"), "{err}");
    }
}
