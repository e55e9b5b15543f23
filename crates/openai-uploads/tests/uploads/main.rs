//! The uploads crate's integration tests, in one test binary (one build
//! and one link instead of one per area): each module covers one area, and
//! `common` holds what they share. `from_env`'s test changes the
//! environment, so it has a binary of its own (`tests/env.rs`).

mod common;
mod config;
mod debug_log;
mod errors;
mod multipart;
mod retries;
mod streamed_parts;
mod upload_serde;
mod uploader;
mod uploader_resilience;
mod uploader_wire;
mod wire;
