//! The hand-written runtime that generated OpenAI clients run on.
//!
//! It holds what every operation shares: the [`Client`] with its
//! configuration ([`ClientBuilder`]), the [`Request`] a generated method
//! builds and the [`Call`] it returns, sending with retries and timeouts,
//! decoding into [`ApiResponse`] within a size limit (or streaming a
//! download as a [`ByteStream`]), the one [`Error`] type, path encoding, multipart bodies
//! ([`FilePart`], [`Multipart`]), TLS (extra roots, mutual TLS), and
//! [`text`]: server-chosen text made safe for a terminal.
//!
//! Beyond single calls: [`sse`] reads server-sent event streams
//! ([`Client::stream_events`]), [`paging`] walks every page of a list,
//! [`download`] writes a binary reply to a file without ever leaving half
//! a file behind, and [`webhooks`] checks the signature of a webhook the
//! API sent.
//!
//! It knows nothing about any particular resource. A generated library
//! wraps [`Client`] in a type of its own (so it can add resource methods to
//! it) and names that type in [`ClientBuilder`]'s parameter; see
//! [`ClientBuilder`].
//!
//! # Features
//! - `rustls` (default): rustls with the ring provider and the platform's
//!   root certificates (on Linux loaded once, see the README); no OpenSSL.
//! - `native-tls`: the platform's TLS library (OpenSSL on Linux). If both are
//!   on, rustls is used.
//! - `cli`: [`cli`], what generated command-line code shares (merging flags
//!   with a JSON or YAML object on stdin, and `@file` arguments).

mod body;
mod builder;
pub mod call;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
mod cli_reply;
mod client;
mod client_type;
pub mod download;
mod enums;
mod error;
mod int_enum;
mod log;
mod multipart;
pub mod paging;
mod path;
mod query;
mod reply;
mod request;
mod response;
mod retry;
#[cfg(feature = "rustls")]
mod roots;
pub mod sse;
#[cfg(feature = "cli")]
pub mod table;
pub mod text;
mod tls;
pub mod union;
pub mod webhooks;

pub use body::ByteStream;
pub use builder::{
    ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT,
};
pub use call::Call;
pub use client::{Client, FailedAttempt};
pub use error::{ApiErrorBody, Error, Result, one_line};
pub use multipart::{FilePart, Multipart};
pub use path::encode_path;
pub use request::Request;
pub use reqwest::Method;
pub use response::ApiResponse;

/// For the macros [`open_enum!`] and [`constant!`].
#[doc(hidden)]
pub use serde as __serde;
