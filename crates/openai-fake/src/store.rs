//! The in-memory Uploads and the rules for changing them.

use std::collections::BTreeMap;

use crate::error::ApiError;
use crate::model::{Upload, UploadStatus};

/// The seed page's example id, pending at start.
pub const SEED_UPLOAD_ID: &str = "upload_abc123";

/// Every Upload the fake knows, by id.
#[derive(Debug, Default)]
pub struct Store {
    uploads: BTreeMap<String, Upload>,
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

    pub fn insert(&mut self, upload: Upload) {
        self.uploads.insert(upload.id.clone(), upload);
    }

    /// The Upload as a client would see it at `now`.
    pub fn get(&mut self, id: &str, now: u64) -> Option<Upload> {
        self.live(id, now).ok().cloned()
    }

    /// Moves a pending Upload to `cancelled`.
    ///
    /// Cancelling an Upload that is not pending (already cancelled, completed
    /// or expired) is refused with a 400. The API reference does not say what
    /// happens then: this is our assumption about the API.
    pub fn cancel(&mut self, id: &str, now: u64) -> Result<Upload, ApiError> {
        let upload = self.live(id, now)?;
        if upload.status != UploadStatus::Pending {
            return Err(ApiError::not_pending(id, "cancel", upload.status.as_str()));
        }
        upload.status = UploadStatus::Cancelled;
        Ok(upload.clone())
    }

    /// Looks up an Upload, expiring it first if its time has passed.
    fn live(&mut self, id: &str, now: u64) -> Result<&mut Upload, ApiError> {
        let upload = self
            .uploads
            .get_mut(id)
            .ok_or_else(|| ApiError::no_such_upload(id))?;
        if upload.status == UploadStatus::Pending && now >= upload.expires_at {
            upload.status = UploadStatus::Expired;
        }
        Ok(upload)
    }
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
        assert!(again.message.contains("'cancelled'"), "{}", again.message);
    }

    #[test]
    fn expired_upload_cannot_be_cancelled() {
        let mut store = Store::seeded(1_000, 10);
        let err = store.cancel(SEED_UPLOAD_ID, 1_010).unwrap_err();
        assert_eq!(err.status.as_u16(), 400);
        assert!(err.message.contains("'expired'"), "{}", err.message);
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
    fn unknown_id_is_404() {
        let mut store = Store::seeded(1_000, 10);
        let err = store.cancel("upload_nope", 1_000).unwrap_err();
        assert_eq!(err.status.as_u16(), 404);
        assert_eq!(err.message, "No such upload: 'upload_nope'");
    }
}
