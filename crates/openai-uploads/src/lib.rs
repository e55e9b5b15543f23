//! Typed async client for the OpenAI Uploads API.
//!
//! `runtime/` is written by hand; `generated/` comes from `spec/` through
//! `cargo xtask gen` and is never edited by hand.

mod generated;
#[doc(hidden)]
pub mod runtime;

pub use generated::models::*;
pub use generated::resources::*;
pub use runtime::{ApiResponse, Client, ClientBuilder, Error, Result};
