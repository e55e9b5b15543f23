//! The fake's own wire types.
//!
//! Written by hand and independent of `openai_uploads`, so a mistake in the
//! generated models cannot hide behind the same mistake here.

use serde::{Deserialize, Serialize};

/// An Upload as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    pub id: String,
    /// Always `"upload"`.
    pub object: String,
    pub bytes: u64,
    pub created_at: u64,
    pub filename: String,
    pub purpose: String,
    pub status: UploadStatus,
    pub expires_at: u64,
    /// The File made by completing the Upload; `null` until then.
    pub file: Option<FileObject>,
}

impl Upload {
    /// A pending Upload created at `created_at` that expires `ttl_secs` later.
    pub fn pending(
        id: &str,
        filename: &str,
        purpose: &str,
        bytes: u64,
        created_at: u64,
        ttl_secs: u64,
    ) -> Self {
        Self {
            id: id.to_owned(),
            object: "upload".to_owned(),
            bytes,
            created_at,
            filename: filename.to_owned(),
            purpose: purpose.to_owned(),
            status: UploadStatus::Pending,
            expires_at: created_at.saturating_add(ttl_secs),
            file: None,
        }
    }
}

/// The lifecycle of an Upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadStatus {
    Pending,
    Completed,
    Cancelled,
    Expired,
}

impl UploadStatus {
    /// The value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }
}

/// A File, as nested in a completed Upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileObject {
    pub id: String,
    /// Always `"file"`.
    pub object: String,
    pub bytes: u64,
    pub created_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    pub filename: String,
    pub purpose: String,
    pub status: String,
}

/// A Part added to an Upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadPart {
    pub id: String,
    /// Always `"upload.part"`.
    pub object: String,
    pub created_at: u64,
    pub upload_id: String,
}
