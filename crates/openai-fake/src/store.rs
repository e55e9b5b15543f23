//! The in-memory Uploads and the rules for changing them.

use std::collections::{BTreeMap, HashMap, HashSet};

use bytes::Bytes;

use crate::error::ApiError;
use crate::model::{FileObject, Upload, UploadPart, UploadStatus};
use crate::params::{MAX_UPLOAD_BYTES, NewUpload};

/// The seed page's example id, pending at start.
pub const SEED_UPLOAD_ID: &str = "upload_abc123";

/// A Part's bytes, as the chunks they arrived in (kept as received, not
/// copied into one buffer), or just their count when the fake keeps no
/// data (no md5 check and no File bytes wanted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartBody {
    Chunks(Vec<Bytes>),
    Counted(u64),
}

impl PartBody {
    pub fn len(&self) -> u64 {
        match self {
            Self::Chunks(chunks) => chunks.iter().map(|c| c.len() as u64).sum(),
            Self::Counted(len) => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The chunks, unless only the size was kept.
    pub fn chunks(&self) -> Option<&[Bytes]> {
        match self {
            Self::Chunks(chunks) => Some(chunks),
            Self::Counted(_) => None,
        }
    }
}

/// Every Upload the fake knows, by id, with its Parts.
///
/// Part data is reference-counted [`Bytes`]: handing it out for hashing or
/// assembly copies nothing.
#[derive(Debug, Default)]
pub struct Store {
    uploads: BTreeMap<String, Entry>,
}

#[derive(Debug)]
struct Entry {
    upload: Upload,
    /// Parts by id; emptied once the Upload is no longer pending.
    parts: HashMap<String, PartBody>,
    /// Parts received and their bytes, listed at completion or not.
    parts_added: usize,
    received: u64,
    /// `expires_after.seconds` from create, for the File.
    file_ttl_secs: Option<u64>,
    /// The File's contents, in order, once completed (unless discarded).
    file_data: Option<Vec<Bytes>>,
}

impl Entry {
    fn new(upload: Upload) -> Self {
        Self {
            upload,
            parts: HashMap::new(),
            parts_added: 0,
            received: 0,
            file_ttl_secs: None,
            file_data: None,
        }
    }

    /// A pending Upload whose time has come becomes expired and drops its
    /// Parts; other states never change with time.
    fn expire_if_due(&mut self, now: u64) {
        if self.upload.status == UploadStatus::Pending && now >= self.upload.expires_at {
            self.upload.status = UploadStatus::Expired;
            self.parts = HashMap::new();
        }
    }
}

impl Store {
    /// The uploads a fresh fake starts with.
    pub fn seeded(now: u64, ttl_secs: u64) -> Self {
        let mut store = Self::default();
        store.insert(Upload::pending(
            SEED_UPLOAD_ID,
            "training_examples.jsonl",
            "fine-tune",
            2_147_483_648,
            now,
            ttl_secs,
        ));
        store
    }

    /// Adds or replaces an Upload (without Parts).
    pub fn insert(&mut self, upload: Upload) {
        self.uploads.insert(upload.id.clone(), Entry::new(upload));
    }

    /// The Upload as a client would see it at `now`.
    pub fn get(&mut self, id: &str, now: u64) -> Option<Upload> {
        self.live(id, now).ok().map(|entry| entry.upload.clone())
    }

    /// Every Upload as a client would see it at `now`, in id order.
    pub fn all(&mut self, now: u64) -> Vec<Upload> {
        self.uploads
            .values_mut()
            .map(|entry| {
                entry.expire_if_due(now);
                entry.upload.clone()
            })
            .collect()
    }

    /// Sets the `expires_at` an Upload reports; a pending Upload whose
    /// new time has come expires (and drops its Parts) at once. Returns the
    /// Upload as seen at `now`.
    pub fn set_expires_at(&mut self, id: &str, expires_at: u64, now: u64) -> Option<Upload> {
        let entry = self.uploads.get_mut(id)?;
        entry.upload.expires_at = expires_at;
        entry.expire_if_due(now);
        Some(entry.upload.clone())
    }

    /// Expires a pending Upload at `now`; leaves other states alone.
    pub fn expire(&mut self, id: &str, now: u64) -> Option<Upload> {
        let entry = self.uploads.get_mut(id)?;
        if entry.upload.status == UploadStatus::Pending {
            entry.upload.expires_at = now;
            entry.expire_if_due(now);
        }
        Some(entry.upload.clone())
    }

    /// A new pending Upload that expires `ttl_secs` after `now`.
    pub fn create(&mut self, new: NewUpload, now: u64, ttl_secs: u64) -> Upload {
        let id = loop {
            let id = new_id("upload_");
            if !self.uploads.contains_key(&id) {
                break id;
            }
        };
        let upload = Upload::pending(&id, &new.filename, &new.purpose, new.bytes, now, ttl_secs);
        let mut entry = Entry::new(upload.clone());
        entry.file_ttl_secs = new.file_ttl_secs;
        self.uploads.insert(id, entry);
        upload
    }

    /// Moves a pending Upload to `cancelled`.
    ///
    /// Cancelling an Upload that is not pending (already cancelled, completed
    /// or expired) is refused with a 400. The API reference does not say what
    /// happens then: this is our assumption about the API.
    pub fn cancel(&mut self, id: &str, now: u64) -> Result<Upload, ApiError> {
        let entry = self.pending(id, now, "cancel")?;
        entry.upload.status = UploadStatus::Cancelled;
        entry.parts = HashMap::new();
        Ok(entry.upload.clone())
    }

    /// Fails unless the Upload exists and is pending: checked before a
    /// Part's body is read, and again when it is stored.
    pub fn ensure_pending(&mut self, id: &str, now: u64, action: &str) -> Result<(), ApiError> {
        self.pending(id, now, action).map(|_| ())
    }

    /// Stores a Part of a pending Upload.
    ///
    /// The running total is checked against the 8 GiB limit only, not
    /// against the Upload's `bytes`: a client may send a Part again and list
    /// only one copy, and the API checks `bytes` at completion.
    pub fn add_part(&mut self, id: &str, data: PartBody, now: u64) -> Result<UploadPart, ApiError> {
        let entry = self.pending(id, now, "add a part to")?;
        let len = data.len();
        if entry.received.saturating_add(len) > MAX_UPLOAD_BYTES {
            return Err(ApiError::bad_request(format!(
                "Upload '{id}' already holds {} bytes in parts; this part of {len} bytes \
                 would exceed the limit of {MAX_UPLOAD_BYTES} bytes (8 GiB).",
                entry.received
            )));
        }
        let part_id = loop {
            let part_id = new_id("part_");
            if !entry.parts.contains_key(&part_id) {
                break part_id;
            }
        };
        entry.received += len;
        entry.parts_added += 1;
        entry.parts.insert(part_id.clone(), data);
        Ok(UploadPart {
            id: part_id,
            object: "upload.part".to_owned(),
            created_at: now,
            upload_id: id.to_owned(),
        })
    }

    /// Checks a completion request and hands out the listed Parts' data, in
    /// order, for hashing outside the lock. Changes nothing.
    pub fn parts_to_complete(
        &mut self,
        id: &str,
        part_ids: &[String],
        now: u64,
    ) -> Result<Vec<PartBody>, ApiError> {
        let entry = self.pending(id, now, "complete")?;
        let mut seen = HashSet::with_capacity(part_ids.len());
        let mut data = Vec::with_capacity(part_ids.len());
        for part_id in part_ids {
            if !seen.insert(part_id.as_str()) {
                return Err(ApiError::invalid_value(
                    "part_ids",
                    format!("Part '{part_id}' is listed more than once in 'part_ids'."),
                ));
            }
            let part = entry.parts.get(part_id).ok_or_else(|| {
                ApiError::invalid_value(
                    "part_ids",
                    format!("Part '{part_id}' does not belong to upload '{id}'."),
                )
            })?;
            data.push(part.clone());
        }
        let total: u64 = data.iter().map(PartBody::len).sum();
        if total != entry.upload.bytes {
            return Err(ApiError::invalid_value(
                "part_ids",
                format!(
                    "The parts listed hold {total} bytes, but upload '{id}' was created \
                     with bytes={}.",
                    entry.upload.bytes
                ),
            ));
        }
        Ok(data)
    }

    /// Completes a pending Upload whose Parts [`Store::parts_to_complete`]
    /// accepted: makes the File, drops the Part buffers, and keeps `data` as
    /// the File's contents when `keep` is set (and the data was kept). Fails
    /// if the Upload left `pending` meanwhile (a cancel that won the race,
    /// or expiry).
    pub fn finish_complete(
        &mut self,
        id: &str,
        data: Vec<PartBody>,
        keep: bool,
        now: u64,
    ) -> Result<Upload, ApiError> {
        let entry = self.pending(id, now, "complete")?;
        let upload = &mut entry.upload;
        upload.status = UploadStatus::Completed;
        upload.file = Some(FileObject {
            id: new_id("file-"),
            object: "file".to_owned(),
            bytes: upload.bytes,
            created_at: now,
            expires_at: entry.file_ttl_secs.map(|ttl| now.saturating_add(ttl)),
            filename: upload.filename.clone(),
            purpose: upload.purpose.clone(),
            status: "processed".to_owned(),
        });
        entry.parts = HashMap::new();
        entry.file_data = if keep {
            data.iter()
                .map(|part| part.chunks().map(<[Bytes]>::to_vec))
                .collect::<Option<Vec<Vec<Bytes>>>>()
                .map(|parts| parts.concat())
        } else {
            None
        };
        Ok(entry.upload.clone())
    }

    /// The completed Upload's File contents, as the Parts it was made of.
    pub fn file_data(&self, id: &str) -> Option<Vec<Bytes>> {
        self.uploads.get(id)?.file_data.clone()
    }

    /// How many Parts the Upload was sent (and stored), and their bytes.
    pub fn parts_received(&self, id: &str) -> Option<(usize, u64)> {
        let entry = self.uploads.get(id)?;
        Some((entry.parts_added, entry.received))
    }

    fn pending(&mut self, id: &str, now: u64, action: &str) -> Result<&mut Entry, ApiError> {
        let entry = self.live(id, now)?;
        if entry.upload.status != UploadStatus::Pending {
            return Err(ApiError::not_pending(
                id,
                action,
                entry.upload.status.as_str(),
            ));
        }
        Ok(entry)
    }

    /// Looks up an Upload, expiring it first if its time has passed.
    fn live(&mut self, id: &str, now: u64) -> Result<&mut Entry, ApiError> {
        let entry = self
            .uploads
            .get_mut(id)
            .ok_or_else(|| ApiError::no_such_upload(id))?;
        entry.expire_if_due(now);
        Ok(entry)
    }
}

/// `prefix` and 24 random hex digits.
fn new_id(prefix: &str) -> String {
    format!("{prefix}{:024x}", fastrand::u128(..) >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_upload_is_pending_for_the_ttl() {
        let mut store = Store::seeded(1_000, 3_600);
        let upload = store.get(SEED_UPLOAD_ID, 1_000).expect("seeded");
        assert_eq!(upload.status, UploadStatus::Pending);
        assert_eq!(upload.expires_at, 4_600);
        assert_eq!(
            store.get(SEED_UPLOAD_ID, 4_599).unwrap().status,
            UploadStatus::Pending
        );
        assert_eq!(
            store.get(SEED_UPLOAD_ID, 4_600).unwrap().status,
            UploadStatus::Expired
        );
    }

    #[test]
    fn cancel_moves_pending_to_cancelled_once() {
        let mut store = Store::seeded(1_000, 3_600);
        let upload = store.cancel(SEED_UPLOAD_ID, 1_001).expect("pending");
        assert_eq!(upload.status, UploadStatus::Cancelled);
        let again = store.cancel(SEED_UPLOAD_ID, 1_002).unwrap_err();
        assert_eq!(again.status.as_u16(), 400);
        assert!(
            again.message.contains("already cancelled"),
            "{}",
            again.message
        );
    }

    #[test]
    fn expired_upload_cannot_be_cancelled() {
        let mut store = Store::seeded(1_000, 10);
        let err = store.cancel(SEED_UPLOAD_ID, 1_010).unwrap_err();
        assert_eq!(err.status.as_u16(), 400);
        assert!(err.message.contains("already expired"), "{}", err.message);
    }

    #[test]
    fn cancelled_upload_does_not_expire() {
        let mut store = Store::seeded(1_000, 10);
        store.cancel(SEED_UPLOAD_ID, 1_001).unwrap();
        assert_eq!(
            store.get(SEED_UPLOAD_ID, 9_999).unwrap().status,
            UploadStatus::Cancelled
        );
    }

    #[test]
    fn expiry_can_be_set_or_forced_without_waiting() {
        let mut store = Store::seeded(1_000, 3_600);
        let later = store.set_expires_at(SEED_UPLOAD_ID, 9_000, 1_001).unwrap();
        assert_eq!(
            (later.status, later.expires_at),
            (UploadStatus::Pending, 9_000)
        );
        let gone = store.expire(SEED_UPLOAD_ID, 1_002).unwrap();
        assert_eq!(
            (gone.status, gone.expires_at),
            (UploadStatus::Expired, 1_002)
        );
        // Expired for good: a later `expires_at` does not revive it.
        let still = store.set_expires_at(SEED_UPLOAD_ID, 9_000, 1_003).unwrap();
        assert_eq!(still.status, UploadStatus::Expired);
        assert_eq!(store.all(1_003), [still]);

        store.insert(Upload::pending("upload_x", "a", "batch", 1, 1_000, 3_600));
        store.cancel("upload_x", 1_000).unwrap();
        let cancelled = store.expire("upload_x", 1_004).unwrap();
        assert_eq!(cancelled.status, UploadStatus::Cancelled);
        assert_eq!(cancelled.expires_at, 4_600);
        assert_eq!(store.expire("upload_nope", 1_004), None);
        assert_eq!(store.set_expires_at("upload_nope", 1, 1_004), None);
    }

    #[test]
    fn unknown_id_is_404() {
        let mut store = Store::seeded(1_000, 10);
        let err = store.cancel("upload_nope", 1_000).unwrap_err();
        assert_eq!(err.status.as_u16(), 404);
        assert_eq!(err.message, "No such upload: 'upload_nope'");
    }
}

#[cfg(test)]
mod lifecycle_tests {
    use super::*;

    fn new_upload(bytes: u64) -> NewUpload {
        NewUpload {
            filename: "a.jsonl".into(),
            purpose: "fine-tune".into(),
            bytes,
            mime_type: "text/jsonl".into(),
            file_ttl_secs: None,
        }
    }

    fn part(store: &mut Store, id: &str, data: &'static [u8]) -> String {
        store
            .add_part(
                id,
                PartBody::Chunks(data.chunks(2).map(Bytes::from_static).collect()),
                1_000,
            )
            .expect("part")
            .id
    }

    #[test]
    fn create_makes_a_pending_upload_with_fresh_ids() {
        let mut store = Store::default();
        let one = store.create(new_upload(10), 1_000, 3_600);
        let two = store.create(new_upload(10), 1_000, 3_600);
        assert_ne!(one.id, two.id);
        assert!(
            one.id.starts_with("upload_") && one.id.len() == 7 + 24,
            "{}",
            one.id
        );
        assert_eq!(one.status, UploadStatus::Pending);
        assert_eq!((one.created_at, one.expires_at), (1_000, 4_600));
        assert_eq!(one.file, None);
        assert_eq!(store.get(&one.id, 1_000), Some(one.clone()));
        assert_eq!(
            store.get(&one.id, 4_600).unwrap().status,
            UploadStatus::Expired
        );
    }

    #[test]
    fn complete_assembles_in_the_listed_order_and_makes_a_file() {
        let mut store = Store::default();
        let mut new = new_upload(6);
        new.file_ttl_secs = Some(7_200);
        let id = store.create(new, 1_000, 3_600).id;
        let a = part(&mut store, &id, b"abc");
        let b = part(&mut store, &id, b"def");
        assert!(a.starts_with("part_") && a != b);
        assert_eq!(store.parts_received(&id), Some((2, 6)));
        let order = [b.clone(), a.clone()];
        let data = store.parts_to_complete(&id, &order, 1_001).unwrap();
        let done = store.finish_complete(&id, data, true, 1_002).unwrap();
        assert_eq!(done.status, UploadStatus::Completed);
        let file = done.file.expect("a File");
        assert!(file.id.starts_with("file-"), "{}", file.id);
        assert_eq!(
            (file.bytes, file.created_at, file.expires_at),
            (6, 1_002, Some(8_202))
        );
        assert_eq!(
            (file.filename.as_str(), file.purpose.as_str()),
            ("a.jsonl", "fine-tune")
        );
        assert_eq!(file.status, "processed");
        assert_eq!(store.file_data(&id).unwrap().concat(), b"defabc");
        // Part buffers are gone; a second completion is refused.
        assert!(store.uploads[&id].parts.is_empty());
        let err = store.parts_to_complete(&id, &order, 1_003).unwrap_err();
        assert!(err.message.contains("already completed"), "{}", err.message);
        // Completed uploads never expire.
        assert_eq!(
            store.get(&id, 99_999).unwrap().status,
            UploadStatus::Completed
        );
    }

    #[test]
    fn completion_checks_the_listed_parts() {
        let mut store = Store::default();
        let id = store.create(new_upload(6), 1_000, 3_600).id;
        let other = store.create(new_upload(3), 1_000, 3_600).id;
        let a = part(&mut store, &id, b"abc");
        let b = part(&mut store, &id, b"def");
        let foreign = part(&mut store, &other, b"xyz");

        let err = store
            .parts_to_complete(&id, std::slice::from_ref(&a), 1_000)
            .unwrap_err();
        assert_eq!(err.param, Some("part_ids"));
        assert!(
            err.message.contains("hold 3 bytes") && err.message.contains("bytes=6"),
            "{}",
            err.message
        );

        let err = store
            .parts_to_complete(&id, &[a.clone(), foreign.clone()], 1_000)
            .unwrap_err();
        assert!(
            err.message
                .contains(&format!("'{foreign}' does not belong to upload '{id}'"))
        );

        let err = store
            .parts_to_complete(&id, &[a.clone(), a.clone()], 1_000)
            .unwrap_err();
        assert!(err.message.contains("more than once"), "{}", err.message);

        // A part sent twice may be listed once: the total is what counts.
        let again = part(&mut store, &id, b"abc");
        assert_eq!(store.parts_received(&id), Some((3, 9)));
        store.parts_to_complete(&id, &[again, b], 1_000).unwrap();
    }

    #[test]
    fn cancel_and_expiry_refuse_parts_and_completion() {
        let mut store = Store::default();
        let id = store.create(new_upload(3), 1_000, 10).id;
        let a = part(&mut store, &id, b"abc");
        store.cancel(&id, 1_001).unwrap();
        let err = store
            .add_part(&id, PartBody::Counted(1), 1_001)
            .unwrap_err();
        assert_eq!(err.status.as_u16(), 400);
        assert!(
            err.message.contains("Cannot add a part to upload")
                && err.message.contains("already cancelled")
        );
        let err = store.parts_to_complete(&id, &[a], 1_001).unwrap_err();
        assert!(
            err.message.contains("Cannot complete") && err.message.contains("already cancelled")
        );

        let id = store.create(new_upload(3), 1_000, 10).id;
        let a = part(&mut store, &id, b"abc");
        let err = store
            .add_part(&id, PartBody::Counted(1), 1_010)
            .unwrap_err();
        assert!(err.message.contains("already expired"), "{}", err.message);
        assert!(store.parts_to_complete(&id, &[a], 1_010).is_err());
        assert!(store.uploads[&id].parts.is_empty());
        assert!(store.cancel(&id, 1_010).is_err());
    }

    #[test]
    fn a_cancel_between_the_checks_and_the_finish_wins() {
        let mut store = Store::default();
        let id = store.create(new_upload(3), 1_000, 3_600).id;
        let a = part(&mut store, &id, b"abc");
        let data = store.parts_to_complete(&id, &[a], 1_000).unwrap();
        store.cancel(&id, 1_000).unwrap();
        let err = store.finish_complete(&id, data, true, 1_000).unwrap_err();
        assert!(err.message.contains("already cancelled"), "{}", err.message);
        assert_eq!(store.file_data(&id), None);
    }

    #[test]
    fn counted_parts_check_the_total_but_keep_no_file() {
        let mut store = Store::default();
        let id = store.create(new_upload(5), 1_000, 3_600).id;
        let a = store.add_part(&id, PartBody::Counted(2), 1_000).unwrap().id;
        let b = store.add_part(&id, PartBody::Counted(2), 1_000).unwrap().id;
        let err = store
            .parts_to_complete(&id, &[a.clone(), b.clone()], 1_000)
            .unwrap_err();
        assert!(err.message.contains("hold 4 bytes"), "{}", err.message);
        let c = store.add_part(&id, PartBody::Counted(1), 1_000).unwrap().id;
        let data = store.parts_to_complete(&id, &[a, b, c], 1_000).unwrap();
        let done = store.finish_complete(&id, data, true, 1_000).unwrap();
        assert_eq!(done.file.unwrap().bytes, 5);
        assert_eq!(store.file_data(&id), None);
    }

    #[test]
    fn discarded_files_keep_no_bytes() {
        let mut store = Store::default();
        let id = store.create(new_upload(3), 1_000, 3_600).id;
        let a = part(&mut store, &id, b"abc");
        let data = store.parts_to_complete(&id, &[a], 1_000).unwrap();
        let done = store.finish_complete(&id, data, false, 1_000).unwrap();
        assert_eq!(done.status, UploadStatus::Completed);
        assert_eq!(store.file_data(&id), None);
    }

    #[test]
    fn the_total_of_parts_is_capped_at_8_gib() {
        let mut store = Store::default();
        let id = store.create(new_upload(MAX_UPLOAD_BYTES), 1_000, 3_600).id;
        store.uploads.get_mut(&id).unwrap().received = MAX_UPLOAD_BYTES - 2;
        part(&mut store, &id, b"ab");
        let err = store
            .add_part(&id, PartBody::Counted(1), 1_000)
            .unwrap_err();
        assert!(
            err.message
                .contains("would exceed the limit of 8589934592 bytes"),
            "{}",
            err.message
        );
    }
}
