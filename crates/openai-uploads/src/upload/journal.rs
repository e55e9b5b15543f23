//! The journal: what a later run needs to resume a pending Upload after a
//! crash, kept in the user's state directory while the Upload is pending.
//!
//! One journal per file and set of create parameters (the same command run
//! again finds it): `<dir>/<key>.json`, where the key is an md5 of the API's
//! base URL, the account (a hash of the API key, organization and project),
//! the file's absolute path and the create parameters. It records
//! the Upload's id and expiry, the create parameters and part size, the
//! file's identity (size, modification time, inode), and each acknowledged
//! part's index and id. It is written whole, to a temporary file that is
//! then renamed over it, so a crash leaves the old or the new journal,
//! never half of one.
//!
//! A run holds `<key>.lock` (an advisory lock, released by the system
//! however the process ends) while it works on the Upload, so that another
//! run, or `prune`, leaves it alone.
//!
//! The directory is trusted only when it is the user's and nobody else can
//! write in it (as ssh trusts `~/.ssh`). Nothing at a journal path is
//! followed if it is a link, nor opened in a way that can block if it is a
//! FIFO, and a journal is read up to [`MAX_JOURNAL`] bytes.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use md5::{Digest as _, Md5};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};

use super::source::Identity;

/// The journal format this build writes and reads.
pub(super) const VERSION: u64 = 1;

/// The largest journal read: 10,000 parts with ids of the longest length
/// allowed take about 3 MB.
pub(super) const MAX_JOURNAL: u64 = 8 << 20;

/// What a journal records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Record {
    pub version: u64,
    pub upload_id: String,
    /// The API's base URL, without credentials.
    pub base_url: String,
    /// Who created the Upload: a hash of the API key, organization and
    /// project ([`account`]); empty in journals written before it was kept.
    #[serde(default)]
    pub account: String,
    /// When the Upload expires, as the server said (Unix seconds).
    pub expires_at: Option<i64>,
    /// The same moment on this machine's clock (Unix seconds).
    pub deadline: Option<i64>,
    pub create: CreateParams,
    pub part_size: u64,
    pub source: Identity,
    /// Acknowledged parts: index in the file (from 0) and id.
    pub parts: Vec<(usize, String)>,
    /// What the server said that left the Upload in doubt (a reply to
    /// `complete` that confirms nothing), for the next run to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The account a client acts as, as a journal records it: a hash of its API
/// key, organization and project. Never the key itself, and short, so that
/// it tells accounts apart without standing in for the key.
pub(super) fn account(client: &openai_runtime::Client) -> String {
    let mut hasher = Md5::new();
    hasher.update(b"openai-uploads journal account\0");
    client.feed_identity(&mut |bytes| hasher.update(bytes));
    hex(&hasher.finalize()[..8])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The parameters the Upload was created with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct CreateParams {
    pub filename: String,
    pub purpose: String,
    pub bytes: u64,
    pub mime_type: String,
    pub expires_after_seconds: Option<i64>,
}

impl CreateParams {
    /// The journal's key for this file and these parameters, on this API
    /// as this account.
    pub fn key(&self, base_url: &str, account: &str, path: &Path) -> String {
        let mut hasher = Md5::new();
        for field in [
            base_url,
            account,
            &path.to_string_lossy(),
            &self.purpose,
            &self.filename,
            &self.mime_type,
            &self
                .expires_after_seconds
                .map(|seconds| seconds.to_string())
                .unwrap_or_default(),
        ] {
            hasher.update(field.as_bytes());
            hasher.update([0]);
        }
        hex(&hasher.finalize())
    }
}

impl Record {
    /// Bytes in the acknowledged parts.
    pub fn bytes_done(&self) -> u64 {
        let last = self.source.size.div_ceil(self.part_size.max(1));
        self.parts
            .iter()
            .map(|(index, _)| {
                let index = *index as u64;
                if index + 1 == last {
                    self.source.size - index * self.part_size
                } else {
                    self.part_size
                }
            })
            .sum()
    }
}

impl Record {
    /// Whether the Upload has expired, by this machine's clock.
    pub fn expired(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| deadline <= super::events::unix_now())
    }
}

/// What a journal file holds.
pub(super) enum Loaded {
    Missing,
    Found(Box<Record>),
    /// Unreadable: why.
    Unreadable(String),
    /// Written by a newer version of this program, which may still want it.
    Newer(String),
    /// Not a regular file (a link, a FIFO, a directory): not ours to read
    /// or remove.
    Foreign(String),
}

/// Reads a journal; never fails, says why it cannot be used instead.
pub(super) fn load(path: &Path) -> Loaded {
    let mut file = match open_regular(path, OpenOptions::new().read(true)) {
        Ok(file) => file,
        Err(Opened::Missing) => return Loaded::Missing,
        Err(Opened::Foreign(why)) => return Loaded::Foreign(why),
        Err(Opened::Failed(err)) => return Loaded::Unreadable(err.to_string()),
    };
    let mut bytes = Vec::new();
    if let Err(err) =
        io::Read::read_to_end(&mut io::Read::take(&mut file, MAX_JOURNAL + 1), &mut bytes)
    {
        return Loaded::Unreadable(err.to_string());
    }
    if bytes.len() as u64 > MAX_JOURNAL {
        return Loaded::Unreadable(format!(
            "it is larger than {} MiB, the most a journal can be",
            MAX_JOURNAL >> 20
        ));
    }
    match parse(&bytes) {
        Ok(record) => Loaded::Found(Box::new(record)),
        Err(Unusable::Newer(why)) => Loaded::Newer(why),
        Err(Unusable::Unreadable(why)) => Loaded::Unreadable(why),
    }
}

/// Why [`open_regular`] opened nothing.
enum Opened {
    Missing,
    Foreign(String),
    Failed(io::Error),
}

/// Opens `path` if it is a regular file, without following a link and
/// without blocking on a FIFO (which a blocking open would wait on until a
/// writer came).
fn open_regular(path: &Path, options: &mut OpenOptions) -> Result<File, Opened> {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, libc::O_NOFOLLOW | libc::O_NONBLOCK);
    let file = match options.open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(Opened::Missing),
        // O_NOFOLLOW on a link.
        #[cfg(unix)]
        Err(err) if err.raw_os_error() == Some(libc::ELOOP) => {
            return Err(Opened::Foreign(
                "it is a symbolic link, not a file; it was left alone".to_owned(),
            ));
        }
        Err(err) => return Err(Opened::Failed(err)),
    };
    match file.metadata() {
        Ok(metadata) if metadata.is_file() => Ok(file),
        Ok(_) => Err(Opened::Foreign(
            "it is not a regular file; it was left alone".to_owned(),
        )),
        Err(err) => Err(Opened::Failed(err)),
    }
}

/// Why journal bytes cannot be used.
#[derive(Debug, PartialEq, Eq)]
enum Unusable {
    Unreadable(String),
    /// Written by a newer version of this program.
    Newer(String),
}

fn parse(bytes: &[u8]) -> Result<Record, Unusable> {
    let unreadable = Unusable::Unreadable;
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|err| unreadable(format!("it is not valid JSON ({err})")))?;
    let version = value
        .get("version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| unreadable("it has no version".into()))?;
    if version > VERSION {
        return Err(Unusable::Newer(format!(
            "it was written by a newer version of this program (journal version {version}, \
             this one reads {VERSION})"
        )));
    }
    serde_json::from_value(value).map_err(|err| unreadable(format!("it is not a journal ({err})")))
}

/// The journal file and lock of one key in a directory.
#[derive(Debug, Clone)]
pub(super) struct Slot {
    pub json: PathBuf,
    lock: PathBuf,
}

impl Slot {
    pub fn new(dir: &Path, key: &str) -> Self {
        Self {
            json: dir.join(format!("{key}.json")),
            lock: dir.join(format!("{key}.lock")),
        }
    }

    /// The slot of a journal file found in a directory.
    pub fn of_json(json: &Path) -> Self {
        Self {
            json: json.to_path_buf(),
            lock: json.with_extension("lock"),
        }
    }

    /// Takes the lock; `None` when another run holds it.
    pub fn lock(&self) -> io::Result<Option<Lock>> {
        loop {
            let mut options = OpenOptions::new();
            options.read(true).write(true).create(true).truncate(false);
            let file = open_regular(&self.lock, &mut options).map_err(|why| match why {
                Opened::Failed(err) => err,
                Opened::Foreign(why) => io::Error::other(format!(
                    "{}: {}",
                    self.lock.display(),
                    why.replace("it was left alone", "it cannot be a lock")
                )),
                Opened::Missing => io::Error::from(io::ErrorKind::NotFound),
            })?;
            if !try_lock(&file)? {
                return Ok(None);
            }
            // A run that finished may have removed the file between our
            // open and our lock: a lock on it would keep nobody out.
            if same_file(&file, &self.lock) {
                return Ok(Some(Lock {
                    _file: file,
                    path: self.lock.clone(),
                }));
            }
        }
    }

    /// Whether a run holds the lock now.
    pub fn is_locked(&self) -> bool {
        match open_regular(&self.lock, OpenOptions::new().read(true)) {
            Ok(file) => !matches!(try_lock(&file), Ok(true)),
            Err(_) => false,
        }
    }

    /// Writes the journal whole: to a fresh temporary file (created
    /// exclusively, so never through a link someone planted, and private
    /// to the user), synced, then renamed over the journal, which replaces
    /// whatever is at its path rather than writing through it.
    pub fn write(&self, bytes: &[u8]) -> io::Result<()> {
        // A bare file name's parent is "", which tempfile reads as the current directory.
        let dir = self.json.parent().unwrap_or(Path::new(""));
        let mut file = tempfile::Builder::new()
            .prefix(".journal-")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        file.write_all(bytes)?;
        file.as_file().sync_data()?;
        file.persist(&self.json).map_err(|err| err.error)?;
        Ok(())
    }

    /// Removes the journal (not the lock, which its holder removes).
    pub fn remove(&self) -> io::Result<()> {
        match std::fs::remove_file(&self.json) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }
}

/// A held lock; dropping it releases it.
#[derive(Debug)]
pub(super) struct Lock {
    _file: File,
    path: PathBuf,
}

impl Lock {
    /// Releases the lock and removes its file, once the journal is gone.
    pub fn remove(self) {
        // Removed while still held, so no other run can take a lock that
        // keeps nobody out (see `Slot::lock`).
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Creates the journal directory (private to the user where that exists).
pub(super) fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    check_dir(dir)
}

/// Fails unless `dir` is a directory of this user that no one else may
/// write in: in a directory others can write to, another user could plant
/// or swap journals (and their Upload ids) or links.
pub(super) fn check_dir(dir: &Path) -> io::Result<()> {
    let metadata = std::fs::metadata(dir)?;
    if !metadata.is_dir() {
        return Err(io::Error::other("it is not a directory"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        // SAFETY: getuid cannot fail and touches no memory.
        let uid = unsafe { libc::getuid() };
        if metadata.uid() != uid {
            return Err(io::Error::other(format!(
                "it belongs to another user (uid {}), so it is not used",
                metadata.uid()
            )));
        }
        if metadata.mode() & 0o022 != 0 {
            return Err(io::Error::other(format!(
                "other users can write in it (mode {:o}), so it is not used until that is fixed \
                 (chmod go-w)",
                metadata.mode() & 0o7777
            )));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn try_lock(file: &File) -> io::Result<bool> {
    use std::os::fd::AsRawFd as _;
    // SAFETY: flock on a descriptor this `File` owns and keeps open.
    let done = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if done == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    if err.kind() == io::ErrorKind::WouldBlock {
        Ok(false)
    } else {
        Err(err)
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
use portable::{same_file, try_lock};

/// Systems without Unix file locks and inode numbers.
#[cfg(not(unix))]
mod portable {
    use std::fs::File;
    use std::io;
    use std::path::Path;

    /// Without advisory locks, every journal counts as free.
    pub(super) fn try_lock(_: &File) -> io::Result<bool> {
        Ok(true)
    }

    pub(super) fn same_file(_: &File, path: &Path) -> bool {
        path.exists()
    }
}

/// Where journals are kept unless
/// [`UploadOptions::journal_dir`](crate::UploadOptions::journal_dir) says
/// otherwise: `openai/uploads` in the user's state directory,
/// `$XDG_STATE_HOME` (when set to an absolute path), else
/// `~/.local/state` on Linux and other Unix systems,
/// `~/Library/Application Support` on macOS and `%LOCALAPPDATA%` on
/// Windows. `None` when there is no home directory to put it in.
pub fn default_journal_dir() -> Option<PathBuf> {
    Some(state_home()?.join("openai").join("uploads"))
}

fn state_home() -> Option<PathBuf> {
    state_home_in(&|name| std::env::var_os(name))
}

/// [`state_home`] with the environment `env` gives.
fn state_home_in(env: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    if let Some(dir) = absolute_env(env, "XDG_STATE_HOME") {
        return Some(dir);
    }
    if cfg!(windows) {
        return absolute_env(env, "LOCALAPPDATA");
    }
    let home = absolute_env(env, "HOME")?;
    if cfg!(target_os = "macos") {
        Some(home.join("Library").join("Application Support"))
    } else {
        Some(home.join(".local").join("state"))
    }
}

/// A variable that names an absolute path; a relative one would depend on
/// the directory the command runs in.
fn absolute_env(env: &dyn Fn(&str) -> Option<std::ffi::OsString>, name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env(name)?);
    dir.is_absolute().then_some(dir)
}

/// The journal of the Upload being worked on: updated after each
/// acknowledged part and written by a task of its own, which coalesces
/// updates that arrive while a write is under way.
pub(super) struct Keeper {
    shared: Arc<Shared>,
    written: watch::Receiver<u64>,
    task: tokio::task::JoinHandle<()>,
    /// Held while this run works on the Upload.
    lock: Option<Lock>,
    /// For an Upload an earlier run created: set when the server turns out
    /// not to know it any more, so that the caller starts afresh.
    forgotten: Option<Arc<AtomicBool>>,
}

struct Shared {
    slot: Slot,
    state: Mutex<State>,
    changed: Notify,
    /// The last version on disk; `u64::MAX` once writing stopped.
    written: watch::Sender<u64>,
    /// Held while the file is written or removed; true once removed, after
    /// which nothing writes it again.
    disk: Mutex<bool>,
}

struct State {
    record: Record,
    /// Bumped by every change.
    version: u64,
    /// The first write that failed; later ones are not tried.
    error: Option<String>,
    /// Reported to the caller already.
    reported: bool,
}

impl Keeper {
    /// Writes `record` now (so a crash right after creating the Upload
    /// leaves a journal), then keeps it up to date. `forgotten` is given
    /// for a resumed Upload (see [`Keeper::forget`]).
    pub async fn start(
        slot: Slot,
        lock: Lock,
        record: Record,
        forgotten: Option<Arc<AtomicBool>>,
    ) -> io::Result<Self> {
        let bytes = serialize(&record)?;
        let first = slot.clone();
        tokio::task::spawn_blocking(move || first.write(&bytes))
            .await
            .map_err(io::Error::other)??;
        let (written_tx, written) = watch::channel(0);
        let shared = Arc::new(Shared {
            slot,
            state: Mutex::new(State {
                record,
                version: 0,
                error: None,
                reported: false,
            }),
            changed: Notify::new(),
            written: written_tx,
            disk: Mutex::new(false),
        });
        let task = tokio::spawn(write_changes(shared.clone()));
        Ok(Self {
            shared,
            written,
            task,
            lock: Some(lock),
            forgotten,
        })
    }

    /// Whether the Upload was created by an earlier run.
    pub fn resumed(&self) -> bool {
        self.forgotten.is_some()
    }

    /// Records what the server said that leaves the Upload in doubt, for
    /// the next run to show.
    pub fn note(&self, note: String) {
        let mut state = self.shared.state();
        state.record.note = Some(note);
        state.version += 1;
        drop(state);
        self.shared.changed.notify_one();
    }

    /// Removes the journal of a resumed Upload the server no longer knows,
    /// and tells the caller to start afresh.
    pub async fn forget(mut self) {
        if let Some(flag) = self.forgotten.take() {
            flag.store(true, Ordering::SeqCst);
        }
        self.remove().await;
    }

    /// Records an acknowledged part.
    pub fn acknowledge(&self, index: usize, part_id: &str) {
        let mut state = self.shared.state();
        state.record.parts.push((index, part_id.to_owned()));
        state.version += 1;
        drop(state);
        self.shared.changed.notify_one();
    }

    /// A write that failed, once.
    pub fn take_error(&self) -> Option<String> {
        let mut state = self.shared.state();
        if state.reported {
            return None;
        }
        let error = state.error.clone()?;
        state.reported = true;
        Some(error)
    }

    pub fn path(&self) -> &Path {
        &self.shared.slot.json
    }

    /// Waits until every change is on disk (or writing failed), and keeps
    /// the journal for a later run. Whether it is complete.
    pub async fn keep(mut self) -> bool {
        let version = self.shared.state().version;
        let _ = self.written.wait_for(|&written| written >= version).await;
        self.shared.state().error.is_none()
    }

    /// Removes the journal: the Upload is completed or cancelled.
    pub async fn remove(mut self) {
        self.task.abort();
        let shared = self.shared.clone();
        let lock = self.lock.take();
        let _ = tokio::task::spawn_blocking(move || {
            let mut removed = lock_ignoring_poison(&shared.disk);
            *removed = true;
            if shared.slot.remove().is_ok()
                && let Some(lock) = lock
            {
                lock.remove();
            }
        })
        .await;
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        lock_ignoring_poison(&self.state)
    }

    /// Writes the journal unless it was removed meanwhile.
    fn write(&self, bytes: &[u8]) -> io::Result<()> {
        let removed = lock_ignoring_poison(&self.disk);
        if *removed {
            return Ok(());
        }
        self.slot.write(bytes)
    }
}

fn lock_ignoring_poison<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn write_changes(shared: Arc<Shared>) {
    loop {
        shared.changed.notified().await;
        let (version, bytes) = {
            let state = shared.state();
            (state.version, serialize(&state.record))
        };
        let writer = shared.clone();
        let written = match bytes {
            Ok(bytes) => tokio::task::spawn_blocking(move || writer.write(&bytes))
                .await
                .unwrap_or_else(|err| Err(io::Error::other(err))),
            Err(err) => Err(err),
        };
        match written {
            Ok(()) => {
                shared.written.send_replace(version);
            }
            Err(err) => {
                shared.state().error = Some(format!(
                    "cannot write the journal {}: {err}",
                    shared.slot.json.display()
                ));
                // Let `keep` return.
                shared.written.send_replace(u64::MAX);
                return;
            }
        }
    }
}

fn serialize(record: &Record) -> io::Result<Vec<u8>> {
    serde_json::to_vec_pretty(record).map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            version: VERSION,
            upload_id: "upload_1".into(),
            base_url: "http://127.0.0.1:1/v1".into(),
            expires_at: Some(2000),
            deadline: Some(2001),
            create: CreateParams {
                filename: "a.jsonl".into(),
                purpose: "batch".into(),
                bytes: 25,
                mime_type: "text/jsonl".into(),
                expires_after_seconds: None,
            },
            part_size: 10,
            source: Identity {
                path: "/tmp/a.jsonl".into(),
                size: 25,
                modified: Some((1, 2)),
                inode: Some((3, 4)),
            },
            parts: vec![(2, "part_c".into()), (0, "part_a".into())],
            account: "0123456789abcdef".into(),
            note: None,
        }
    }

    #[test]
    fn round_trips_and_counts_bytes() {
        let record = record();
        assert_eq!(record.bytes_done(), 5 + 10);
        let bytes = serialize(&record).unwrap();
        assert_eq!(parse(&bytes).unwrap(), record);
    }

    #[test]
    fn bad_journals_say_why() {
        let unreadable = |bytes: &[u8], want: &str| match parse(bytes) {
            Err(Unusable::Unreadable(why)) => assert!(why.contains(want), "{why}"),
            other => panic!("{other:?}"),
        };
        unreadable(b"{\"version\":1,", "not valid JSON");
        unreadable(b"{}", "no version");
        unreadable(b"{\"version\":1}", "not a journal");
        // Told apart by its kind, not by its wording.
        match parse(b"{\"version\":2}") {
            Err(Unusable::Newer(why)) => assert!(why.contains("newer version"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn keys_differ_by_file_and_parameters() {
        let create = record().create;
        let key = create.key("http://a/v1", "acct", Path::new("/x"));
        assert_eq!(key.len(), 32);
        assert_eq!(key, create.key("http://a/v1", "acct", Path::new("/x")));
        assert_ne!(key, create.key("http://b/v1", "acct", Path::new("/x")));
        assert_ne!(key, create.key("http://a/v1", "other", Path::new("/x")));
        assert_ne!(key, create.key("http://a/v1", "acct", Path::new("/y")));
        let other = CreateParams {
            purpose: "fine-tune".into(),
            ..create.clone()
        };
        assert_ne!(key, other.key("http://a/v1", "acct", Path::new("/x")));
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_keeps_others_out_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let slot = Slot::new(dir.path(), "k");
        let lock = slot.lock().unwrap().expect("free");
        assert!(slot.is_locked());
        assert!(slot.lock().unwrap().is_none());
        drop(lock);
        assert!(!slot.is_locked());
        let lock = slot.lock().unwrap().expect("free again");
        lock.remove();
        assert!(!dir.path().join("k.lock").exists());
    }

    #[test]
    fn writes_replace_the_journal_whole() {
        let dir = tempfile::tempdir().unwrap();
        let slot = Slot::new(dir.path(), "k");
        slot.write(b"{\"version\":1}").unwrap();
        slot.write(&serialize(&record()).unwrap()).unwrap();
        assert!(matches!(load(&slot.json), Loaded::Found(found) if *found == record()));
        assert!(!dir.path().join("k.json.tmp").exists());
        slot.remove().unwrap();
        assert!(matches!(load(&slot.json), Loaded::Missing));
        slot.remove().unwrap();
    }

    #[test]
    fn the_state_directory_comes_from_absolute_variables_only() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| std::ffi::OsString::from(value))
            }
        };
        let both = env(&[("XDG_STATE_HOME", "/xdg"), ("HOME", "/home/u")]);
        assert_eq!(state_home_in(&both), Some(PathBuf::from("/xdg")));
        let relative = env(&[("XDG_STATE_HOME", "xdg"), ("HOME", "/home/u")]);
        let home = env(&[("HOME", "/home/u")]);
        if cfg!(all(unix, not(target_os = "macos"))) {
            let want = Some(PathBuf::from("/home/u/.local/state"));
            assert_eq!(state_home_in(&relative), want);
            assert_eq!(state_home_in(&home), want);
            assert_eq!(state_home_in(&env(&[("HOME", "home/u")])), None);
            assert_eq!(state_home_in(&env(&[])), None);
        }
        // The real environment, as the uploader sees it.
        if let Some(home) = std::env::var_os("HOME").filter(|home| Path::new(home).is_absolute())
            && std::env::var_os("XDG_STATE_HOME").is_none()
            && cfg!(all(unix, not(target_os = "macos")))
        {
            assert_eq!(
                default_journal_dir(),
                Some(Path::new(&home).join(".local/state/openai/uploads"))
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn same_file_tells_a_replaced_file_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.lock");
        let file = File::create(&path).unwrap();
        assert!(same_file(&file, &path));
        std::fs::remove_file(&path).unwrap();
        assert!(!same_file(&file, &path));
        File::create(&path).unwrap();
        assert!(!same_file(&file, &path));
    }

    /// A Keeper whose journal directory is `dir`, started.
    async fn keeper(dir: &Path) -> Keeper {
        let slot = Slot::new(dir, "k");
        let lock = slot.lock().unwrap().expect("free");
        Keeper::start(slot, lock, record(), None).await.unwrap()
    }

    #[tokio::test]
    async fn keep_waits_until_every_part_is_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let keeper = keeper(dir.path()).await;
        for index in 3..40 {
            keeper.acknowledge(index, &format!("part_{index}"));
        }
        let path = keeper.path().to_path_buf();
        assert!(keeper.keep().await);
        let Loaded::Found(kept) = load(&path) else {
            panic!("no journal");
        };
        assert_eq!(kept.parts.len(), 2 + 37);
        assert_eq!(kept.parts.last(), Some(&(39, "part_39".to_owned())));
    }

    #[tokio::test]
    async fn a_failed_write_is_reported_once_and_keep_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let journals = dir.path().join("journals");
        std::fs::create_dir(&journals).unwrap();
        let keeper = keeper(&journals).await;
        assert_eq!(keeper.take_error(), None);
        // No directory to write the next version in.
        std::fs::remove_dir_all(&journals).unwrap();
        keeper.acknowledge(5, "part_f");
        let written = keeper.written.clone();
        let mut written = written;
        tokio::time::timeout(
            std::time::Duration::from_secs(20),
            written.wait_for(|&version| version == u64::MAX),
        )
        .await
        .expect("the write ends")
        .unwrap();
        let error = keeper.take_error().expect("the error");
        assert!(error.starts_with("cannot write the journal "), "{error}");
        assert_eq!(keeper.take_error(), None, "only once");
        assert!(!keeper.keep().await);
    }

    #[tokio::test]
    async fn dropping_the_keeper_stops_its_writer() {
        let dir = tempfile::tempdir().unwrap();
        let keeper = keeper(dir.path()).await;
        let mut written = keeper.written.clone();
        drop(keeper);
        // The writer task held the sender; aborted, it lets it go.
        let closed = tokio::time::timeout(std::time::Duration::from_secs(20), async {
            while written.changed().await.is_ok() {}
        })
        .await;
        assert!(closed.is_ok(), "the writer task still runs");
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_others_can_write_or_that_is_not_one_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let journals = dir.path().join("j");
        create_dir(&journals).unwrap();
        assert_eq!(
            std::fs::metadata(&journals).unwrap().permissions().mode() & 0o777,
            0o700
        );
        for mode in [0o720, 0o702, 0o777] {
            std::fs::set_permissions(&journals, std::fs::Permissions::from_mode(mode)).unwrap();
            let err = check_dir(&journals).unwrap_err().to_string();
            assert!(
                err.contains("other users can write in it"),
                "{mode:o}: {err}"
            );
        }
        std::fs::set_permissions(&journals, std::fs::Permissions::from_mode(0o755)).unwrap();
        check_dir(&journals).unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"").unwrap();
        assert!(check_dir(&file).is_err());
        assert!(create_dir(&file.join("under")).is_err());
    }

    #[test]
    fn bytes_done_counts_a_short_last_part() {
        let mut record = record();
        record.parts = vec![(0, "a".into()), (1, "b".into()), (2, "c".into())];
        assert_eq!(record.bytes_done(), 25);
        record.parts = vec![(1, "b".into())];
        assert_eq!(record.bytes_done(), 10);
    }

    #[test]
    fn expiry_is_by_the_local_deadline() {
        let mut record = record();
        record.deadline = None;
        assert!(!record.expired());
        record.deadline = Some(super::super::events::unix_now() - 1);
        assert!(record.expired());
        record.deadline = Some(super::super::events::unix_now() + 3600);
        assert!(!record.expired());
    }

    #[test]
    fn an_account_is_a_short_hash_that_tells_accounts_apart() {
        let client = |key: &str, project: Option<&str>| {
            let mut builder = openai_runtime::Client::builder()
                .api_key(key)
                .base_url("http://127.0.0.1:9/v1");
            if let Some(project) = project {
                builder = builder.project(project);
            }
            builder.build().unwrap()
        };
        let one = account(&client("sk-one", None));
        assert_eq!(one.len(), 16);
        assert!(!one.contains("sk-one"));
        assert_eq!(one, account(&client("sk-one", None)));
        assert_ne!(one, account(&client("sk-two", None)));
        assert_ne!(one, account(&client("sk-one", Some("proj_x"))));
    }

    #[test]
    fn a_journal_is_read_up_to_its_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let mut bytes = serialize(&record()).unwrap();
        // Trailing white space is still JSON: exactly the cap is read.
        bytes.resize(usize::try_from(MAX_JOURNAL).unwrap(), b' ');
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(load(&path), Loaded::Found(found) if *found == record()));
        bytes.push(b' ');
        std::fs::write(&path, &bytes).unwrap();
        match load(&path) {
            Loaded::Unreadable(why) => assert!(why.contains("larger than 8 MiB"), "{why}"),
            _ => panic!("read past the cap"),
        }
    }

    #[cfg(unix)]
    #[test]
    fn only_a_link_is_called_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"").unwrap();
        // A path through a file: an error, but no link.
        match load(&file.join("k.json")) {
            Loaded::Unreadable(why) => assert!(!why.contains("link"), "{why}"),
            _ => panic!("not unreadable"),
        }
        let link = dir.path().join("l.json");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        match load(&link) {
            Loaded::Foreign(why) => assert!(why.contains("symbolic link"), "{why}"),
            _ => panic!("a link was followed"),
        }
    }

    #[test]
    fn a_journal_that_cannot_be_removed_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let slot = Slot::new(dir.path(), "k");
        slot.remove().unwrap();
        std::fs::create_dir(&slot.json).unwrap();
        assert!(slot.remove().is_err());
    }
}
