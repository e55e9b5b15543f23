//! The journaled Uploads: listing them ([`pending_uploads`]) and cancelling
//! the ones no run is working on ([`Uploads::prune_pending`]).

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use openai_runtime::Error;
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::api::{Cancel, unknown_upload};
use super::journal::{self, Loaded, Record, Slot};
use super::{cancel, default_journal_dir, events, public_base_url};
use crate::Uploads;

/// How long prune waits for each cancel, retries included.
const PRUNE_CANCEL_LIMIT: Duration = Duration::from_secs(30);

/// An Upload a journal records: one an upload left pending (it crashed, or
/// could not cancel), or one being uploaded now.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PendingUpload {
    /// The journal file.
    pub journal: PathBuf,
    /// Why the journal cannot be read, when it cannot (the other fields
    /// are then empty).
    pub unreadable: Option<String>,
    /// The Upload's id.
    pub upload_id: String,
    /// The API it was created on.
    pub base_url: String,
    /// The file being uploaded (absolute).
    pub path: PathBuf,
    /// The file's size.
    pub bytes: u64,
    /// Bytes in the parts acknowledged so far.
    pub bytes_sent: u64,
    /// Parts acknowledged so far.
    pub parts_sent: usize,
    /// Parts in all.
    pub parts: usize,
    /// When the Upload expires, as the server said (Unix seconds).
    pub expires_at: Option<i64>,
    /// Time left before it expires; zero once it has.
    pub expires_in: Option<Duration>,
    /// Whether a run is uploading it now.
    pub active: bool,
}

impl PendingUpload {
    fn of(slot: &Slot) -> Self {
        let mut pending = Self {
            journal: slot.json.clone(),
            unreadable: None,
            upload_id: String::new(),
            base_url: String::new(),
            path: PathBuf::new(),
            bytes: 0,
            bytes_sent: 0,
            parts_sent: 0,
            parts: 0,
            expires_at: None,
            expires_in: None,
            active: slot.is_locked(),
        };
        match journal::load(&slot.json) {
            Loaded::Found(record) => pending.fill(&record),
            Loaded::Unreadable(why) | Loaded::Newer(why) | Loaded::Foreign(why) => {
                pending.unreadable = Some(why);
            }
            Loaded::Missing => pending.unreadable = Some("it is gone".to_owned()),
        }
        pending
    }

    fn fill(&mut self, record: &Record) {
        self.upload_id = record.upload_id.clone();
        self.base_url = record.base_url.clone();
        self.path = record.source.path.clone();
        self.bytes = record.source.size;
        self.bytes_sent = record.bytes_done();
        self.parts_sent = record.parts.len();
        self.parts = super::part_count(record.source.size, record.part_size);
        self.expires_at = record.expires_at;
        self.expires_in = record
            .deadline
            .map(|deadline| super::secs(deadline.saturating_sub(events::unix_now())));
    }

    /// Whether it has expired, by this machine's clock.
    pub fn expired(&self) -> bool {
        self.expires_in.is_some_and(|left| left.is_zero())
    }
}

/// As `openai uploads pending` prints it: `{"journal", "unreadable"}` for a
/// journal that cannot be read; otherwise `upload_id`, `path`, `bytes`,
/// `bytes_sent`, `parts`, `parts_sent`, `expires_at`, `seconds_left` (whole
/// seconds, or null), `active`, `base_url` and `journal`. Paths are written
/// as UTF-8, lossily.
impl Serialize for PendingUpload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let journal = self.journal.to_string_lossy();
        if let Some(why) = &self.unreadable {
            let mut map = serializer.serialize_map(Some(2))?;
            map.serialize_entry("journal", &journal)?;
            map.serialize_entry("unreadable", why)?;
            return map.end();
        }
        let mut map = serializer.serialize_map(Some(11))?;
        map.serialize_entry("upload_id", &self.upload_id)?;
        map.serialize_entry("path", &self.path.to_string_lossy())?;
        map.serialize_entry("bytes", &self.bytes)?;
        map.serialize_entry("bytes_sent", &self.bytes_sent)?;
        map.serialize_entry("parts", &self.parts)?;
        map.serialize_entry("parts_sent", &self.parts_sent)?;
        map.serialize_entry("expires_at", &self.expires_at)?;
        map.serialize_entry("seconds_left", &self.expires_in.map(|left| left.as_secs()))?;
        map.serialize_entry("active", &self.active)?;
        map.serialize_entry("base_url", &self.base_url)?;
        map.serialize_entry("journal", &journal)?;
        map.end()
    }
}

/// What [`Uploads::prune_pending`] did with a journaled Upload.
#[derive(Debug)]
#[non_exhaustive]
pub enum PruneOutcome {
    /// Cancelled; the journal is removed.
    Cancelled,
    /// The server says it is cancelled, completed or expired already; the
    /// journal is removed.
    AlreadyGone,
    /// It expired, so there was nothing to cancel; the journal is removed.
    Expired,
    /// Left alone: a run is uploading it.
    Active,
    /// Left alone: it was created on another API (see
    /// [`PendingUpload::base_url`]).
    OtherApi,
    /// Left alone: it was created with another API key, organization or
    /// project than this client's, which cannot cancel it.
    OtherAccount,
    /// The server does not know the Upload (a 404): there is nothing to
    /// cancel, and the journal is removed.
    Unknown,
    /// Left alone: the journal cannot be read (see
    /// [`PendingUpload::unreadable`]). A journal that is not JSON, or not a
    /// journal, is removed instead ([`PruneOutcome::Removed`]).
    Unreadable,
    /// The journal could not be read and was removed.
    Removed,
    /// The cancel failed; the journal is kept.
    Failed(Error),
}

impl PruneOutcome {
    /// Its name in snake case, as `openai uploads prune` prints it:
    /// `cancelled`, `already_gone`, `expired`, `active`, `other_api`,
    /// `other_account`, `unknown`, `unreadable`, `removed` or `failed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Cancelled => "cancelled",
            Self::AlreadyGone => "already_gone",
            Self::Expired => "expired",
            Self::Active => "active",
            Self::OtherApi => "other_api",
            Self::OtherAccount => "other_account",
            Self::Unknown => "unknown",
            Self::Unreadable => "unreadable",
            Self::Removed => "removed",
            Self::Failed(_) => "failed",
        }
    }
}

/// A journaled Upload and what prune did with it.
#[derive(Debug)]
#[non_exhaustive]
pub struct PrunedUpload {
    /// The Upload, as it was listed before.
    pub pending: PendingUpload,
    /// What was done.
    pub outcome: PruneOutcome,
}

/// The Uploads journaled in `dir` ([`default_journal_dir`] when `None`),
/// in the order of their journals' names. A directory that does not exist
/// holds none.
pub fn pending_uploads(dir: Option<&Path>) -> io::Result<Vec<PendingUpload>> {
    Ok(journals(dir)?.iter().map(PendingUpload::of).collect())
}

fn journals(dir: Option<&Path>) -> io::Result<Vec<Slot>> {
    let dir = match dir {
        Some(dir) => dir.to_path_buf(),
        None => default_journal_dir().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "no state directory for journals (no home directory)",
            )
        })?,
    };
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    journal::check_dir(&dir).map_err(|err| {
        io::Error::new(
            err.kind(),
            format!("the journal directory {}: {err}", dir.display()),
        )
    })?;
    let mut slots = Vec::new();
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        // Whatever is there by a journal's name, links and FIFOs included,
        // is listed (as unreadable when it is not a file), never followed.
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let directory = entry.file_type().is_ok_and(|kind| kind.is_dir());
        if path.extension().is_some_and(|ext| ext == "json") && !hidden && !directory {
            slots.push(Slot::of_json(&path));
        }
    }
    slots.sort_by(|a, b| a.json.cmp(&b.json));
    Ok(slots)
}

impl Uploads<'_> {
    /// Cancels the Uploads journaled in `dir` ([`default_journal_dir`] when
    /// `None`) that no run is working on, and removes their journals. Leaves
    /// alone those a run is uploading now, those created on another API
    /// than this client's, and journals of a newer version of this program.
    /// When a cancel fails, the journal is kept for another try.
    pub async fn prune_pending(self, dir: Option<&Path>) -> io::Result<Vec<PrunedUpload>> {
        let base_url = public_base_url(self.client.base_url());
        let account = journal::account(self.client);
        let mut pruned = Vec::new();
        for slot in journals(dir)? {
            let pending = PendingUpload::of(&slot);
            let outcome = self.prune_one(&slot, &base_url, &account).await;
            pruned.push(PrunedUpload { pending, outcome });
        }
        Ok(pruned)
    }

    async fn prune_one(self, slot: &Slot, base_url: &str, account: &str) -> PruneOutcome {
        // Held until the journal is gone, so no run starts on it meanwhile.
        let lock = match slot.lock() {
            Ok(Some(lock)) => lock,
            Ok(None) => return PruneOutcome::Active,
            Err(err) => {
                return PruneOutcome::Failed(Error::File {
                    path: slot.json.clone(),
                    source: err,
                });
            }
        };
        let record = match journal::load(&slot.json) {
            Loaded::Found(record) => record,
            Loaded::Newer(_) | Loaded::Foreign(_) => return PruneOutcome::Unreadable,
            Loaded::Unreadable(_) | Loaded::Missing => {
                return finish(slot, lock, PruneOutcome::Removed);
            }
        };
        if record.base_url != base_url {
            return PruneOutcome::OtherApi;
        }
        if !record.account.is_empty() && record.account != account {
            return PruneOutcome::OtherAccount;
        }
        if record.expired() {
            return finish(slot, lock, PruneOutcome::Expired);
        }
        match cancel(self.client, &record.upload_id, PRUNE_CANCEL_LIMIT).await {
            Cancel::Cancelled => finish(slot, lock, PruneOutcome::Cancelled),
            Cancel::Gone | Cancel::AlreadyCompleted => {
                finish(slot, lock, PruneOutcome::AlreadyGone)
            }
            Cancel::Failed(err) if unknown_upload(&err) => {
                finish(slot, lock, PruneOutcome::Unknown)
            }
            Cancel::Failed(err) => PruneOutcome::Failed(err),
        }
    }
}

/// Removes a pruned journal and its lock.
fn finish(slot: &Slot, lock: journal::Lock, outcome: PruneOutcome) -> PruneOutcome {
    match slot.remove() {
        Ok(()) => {
            lock.remove();
            outcome
        }
        Err(err) => PruneOutcome::Failed(Error::File {
            path: slot.json.clone(),
            source: err,
        }),
    }
}

#[cfg(test)]
mod serialize_tests {
    use super::*;

    fn pending() -> PendingUpload {
        PendingUpload {
            journal: "/j/k.json".into(),
            unreadable: None,
            upload_id: "upload_1".into(),
            base_url: "http://127.0.0.1:9/v1".into(),
            path: "/data/train.jsonl".into(),
            bytes: 100,
            bytes_sent: 64,
            parts_sent: 1,
            parts: 2,
            expires_at: Some(1719188511),
            expires_in: Some(Duration::from_millis(3_599_900)),
            active: false,
        }
    }

    /// The exact lines `openai uploads pending` prints.
    #[test]
    fn serializes_as_the_cli_lists_it() {
        assert_eq!(
            serde_json::to_string(&pending()).unwrap(),
            r#"{"upload_id":"upload_1","path":"/data/train.jsonl","bytes":100,"bytes_sent":64,"parts":2,"parts_sent":1,"expires_at":1719188511,"seconds_left":3599,"active":false,"base_url":"http://127.0.0.1:9/v1","journal":"/j/k.json"}"#
        );
        let unknown = PendingUpload {
            expires_at: None,
            expires_in: None,
            ..pending()
        };
        assert!(
            serde_json::to_string(&unknown)
                .unwrap()
                .contains(r#""expires_at":null,"seconds_left":null,"#)
        );
        let unreadable = PendingUpload {
            unreadable: Some("it is not valid JSON".into()),
            ..pending()
        };
        assert_eq!(
            serde_json::to_string(&unreadable).unwrap(),
            r#"{"journal":"/j/k.json","unreadable":"it is not valid JSON"}"#
        );
    }
}
