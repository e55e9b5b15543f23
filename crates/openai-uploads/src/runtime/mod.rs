//! The hand-written runtime the generated code runs on.
//!
//! Self-contained on purpose: it refers to itself only through `super::`,
//! never to `crate::generated`, so the generator's snapshot tests can
//! include this module into another crate.

mod builder;
mod client;
mod error;
mod log;
mod multipart;
mod path;
mod request;
mod response;
mod retry;
mod tls;

pub use builder::{ClientBuilder, DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT};
pub use client::Client;
pub use error::{ApiErrorBody, Error, Result};
pub use multipart::{FilePart, Multipart};
pub use path::encode_path;
pub use request::Request;
pub use reqwest::Method;
pub use response::ApiResponse;
