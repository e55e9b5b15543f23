//! The `openai` binary end to end, against wiremock.

mod bidi;
mod config;
mod dropin;
mod edges;
mod errors;
mod flag_plan;
mod formats;
mod generated;
mod help;
mod hostile;
mod journal_round;
mod mtls;
mod readme;
mod stdin;
mod support;
mod upload;
mod upload_memory;
mod upload_replies;
mod upload_resume;
mod usage;
mod whole_api;
