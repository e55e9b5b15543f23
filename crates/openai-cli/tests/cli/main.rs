//! The `openai` binary end to end, against wiremock.

mod config;
mod errors;
mod formats;
mod help;
mod support;
mod usage;
