//! Building the API client from the global flags, and the async runtime it runs on.

use std::process::ExitCode;

use openai_uploads::Client;

use crate::exit::{FAILURE, USAGE, fail};
use crate::options::Global;
use crate::output::print_error;

/// The async runtime, built only once a request is certain, so that --help,
/// --version and usage errors never pay for it. One thread is enough: the
/// work is waiting on sockets (and the uploader hashes on tokio's blocking
/// pool; two workers measured no faster).
pub fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| fail(FAILURE, &format!("cannot start the async runtime: {err}")))
}

pub fn build_client(global: &Global) -> Result<Client, ExitCode> {
    let key = match global.api_key.as_deref() {
        Some(key) if !key.trim().is_empty() => key,
        _ => {
            return Err(fail(
                USAGE,
                "no API key: pass --api-key KEY or set OPENAI_API_KEY",
            ));
        }
    };
    let mut builder = Client::builder()
        .api_key(key)
        .base_url(global.base_url())
        .max_retries(global.max_retries)
        .timeout(global.timeout)
        .debug(global.debug);
    if let Some(org) = non_empty(&global.organization) {
        builder = builder.organization(org);
    }
    if let Some(project) = non_empty(&global.project) {
        builder = builder.project(project);
    }
    builder.build().map_err(|err| print_error(global, &err))
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}
