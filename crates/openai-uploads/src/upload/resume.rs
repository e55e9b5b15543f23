//! Finding the journal of a file and judging it: resume the Upload it
//! records, or cancel that Upload and make way for a new one.

use super::end::cancel;
use super::events::{Events, UploadEvent};
use super::journal::{self, CreateParams, Loaded, Lock, Record, Slot};
use super::options::{self, UploadOptions};
use super::source::Source;
use super::{default_journal_dir, part_count};
use crate::Client;

/// The journaled Upload for this file, when it can be resumed; when it
/// cannot, it is cancelled (if still pending), said so, and dropped.
pub(super) async fn take_over(
    client: &Client,
    slot: &Slot,
    params: &CreateParams,
    base_url: &str,
    source: &Source,
    options: &UploadOptions,
    events: Events<'_>,
) -> Option<Record> {
    let record = match journal::load(&slot.json) {
        Loaded::Missing => return None,
        Loaded::Found(record) => record,
        Loaded::Foreign(why) => {
            (events)(&UploadEvent::JournalWarning {
                message: format!(
                    "the journal path {} is skipped: {why}; starting a new Upload",
                    slot.json.display()
                ),
            });
            return None;
        }
        Loaded::Unreadable(why) | Loaded::Newer(why) => {
            (events)(&UploadEvent::JournalWarning {
                message: format!(
                    "the journal {} cannot be used: {why}; starting a new Upload",
                    slot.json.display()
                ),
            });
            return None;
        }
    };
    if let Some(note) = &record.note {
        (events)(&UploadEvent::JournalWarning {
            message: format!(
                "the last run left Upload {} in doubt: {note}",
                openai_runtime::one_line(&record.upload_id, 100)
            ),
        });
    }
    let expired = record.expired();
    let account = journal::account(client);
    let why = if !options.resume {
        Some("resuming is turned off".to_owned())
    } else if expired {
        Some("it expired".to_owned())
    } else if !record.account.is_empty() && record.account != account {
        // Another account cannot see it, let alone cancel it.
        return None;
    } else {
        resumable(&record, params, base_url, source)
    };
    let Some(reason) = why else {
        let parts = part_count(source.size(), record.part_size);
        (events)(&UploadEvent::Resumed {
            upload_id: record.upload_id.clone(),
            bytes: source.size(),
            parts,
            part_size: record.part_size,
            parts_done: record.parts.len(),
            bytes_done: record.bytes_done(),
            expires_at: record.expires_at.unwrap_or_default(),
        });
        return Some(*record);
    };
    // An Upload found completed is not pending any more, but it was not
    // cancelled either.
    let cancelled = !expired
        && cancel(client, &record.upload_id, options.cancel_timeout)
            .await
            .settled()
            .cancelled;
    (events)(&UploadEvent::Discarded {
        upload_id: record.upload_id.clone(),
        reason,
        cancelled,
    });
    let slot = slot.clone();
    let _ = tokio::task::spawn_blocking(move || slot.remove()).await;
    None
}

/// Why a journaled Upload cannot be resumed, if it cannot.
fn resumable(
    record: &Record,
    params: &CreateParams,
    base_url: &str,
    source: &Source,
) -> Option<String> {
    if let Some(change) = record.source.changed(&source.identity) {
        return Some(format!("the file changed since ({change})"));
    }
    if record.base_url != base_url || record.create != *params {
        return Some("it was created with other parameters".to_owned());
    }
    let fits = (1..=options::MAX_PART_SIZE).contains(&record.part_size)
        && source.size().div_ceil(record.part_size) <= options::MAX_PARTS;
    let parts = part_count(source.size(), record.part_size);
    let mut seen = vec![false; if fits { parts } else { 0 }];
    let consistent = fits
        && !record.upload_id.is_empty()
        && record.parts.iter().all(|(index, part_id)| {
            !part_id.is_empty()
                && seen
                    .get_mut(*index)
                    .is_some_and(|seen| !std::mem::replace(seen, true))
        });
    (!consistent).then(|| "its journal does not fit the file".to_owned())
}

/// The journal's slot for `key`, locked for this run; `None` (said why)
/// when there is no place for it or another run holds it.
pub(super) fn open_journal(
    options: &UploadOptions,
    key: &str,
    events: Events<'_>,
) -> Option<(Slot, Lock)> {
    let warn = |message: String| (events)(&UploadEvent::JournalWarning { message });
    let Some(dir) = options.journal_dir.clone().or_else(default_journal_dir) else {
        warn("no state directory to keep a journal in (no home directory)".to_owned());
        return None;
    };
    if let Err(err) = journal::create_dir(&dir) {
        warn(format!(
            "no journal is kept (a crash cannot be resumed): the journal directory {}: {err}",
            dir.display()
        ));
        return None;
    }
    let slot = Slot::new(&dir, key);
    match slot.lock() {
        Ok(Some(lock)) => Some((slot, lock)),
        Ok(None) => {
            warn(format!(
                "another run is uploading this file (its journal is {}); this one keeps no journal",
                slot.json.display()
            ));
            None
        }
        Err(err) => {
            warn(format!(
                "cannot lock the journal {}: {err}",
                slot.json.display()
            ));
            None
        }
    }
}
