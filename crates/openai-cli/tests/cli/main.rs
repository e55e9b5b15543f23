//! The `openai` binary end to end, against wiremock.

mod config;
mod errors;
mod formats;
mod generated;
mod help;
mod support;
mod upload;
mod usage;
