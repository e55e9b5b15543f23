//! Building the API client from the global flags, and the async runtime it runs on.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use openai_uploads::Client;

use crate::exit::{FAILURE, USAGE, fail};
use crate::options::Global;
use crate::output::print_error;

/// Names the CLI in the `User-Agent`, after the library:
/// `openai-uploads-rs/0.1.0 (openai-cli/0.1.0)`.
const USER_AGENT_PRODUCT: &str = concat!("openai-cli/", env!("CARGO_PKG_VERSION"));

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

/// The client the global flags describe; a configuration error is printed and gives
/// exit status 2 before anything is sent.
pub fn build_client(global: &Global) -> Result<Client, ExitCode> {
    build_client_for(global, false)
}

/// [`build_client`] for a command whose requests are all admin ones
/// (`admin`): then the admin key alone is enough.
pub fn build_client_for(global: &Global, admin: bool) -> Result<Client, ExitCode> {
    let admin_key = non_empty(&global.admin_api_key).filter(|k| !k.trim().is_empty());
    let key = match global.api_key.as_deref() {
        Some(key) if !key.trim().is_empty() => key,
        // Admin requests carry the admin key; the API key is never sent.
        _ if admin && admin_key.is_some() => admin_key.unwrap_or_default(),
        _ => {
            return Err(fail(
                USAGE,
                "no API key: pass --api-key KEY or set OPENAI_API_KEY \
                 (an admin key is only for admin endpoints)",
            ));
        }
    };
    let mut builder = Client::builder()
        .api_key(key)
        .base_url(global.base_url())
        .max_retries(global.max_retries)
        .timeout(global.timeout)
        .connect_timeout(global.connect_timeout)
        .user_agent_product(USER_AGENT_PRODUCT)
        .debug(global.debug);
    // Kept for admin endpoints; the runtime never sends it with any other request.
    if let Some(admin_key) = non_empty(&global.admin_api_key) {
        builder = builder.admin_api_key(admin_key);
    }
    // The builder checks the pair (both or neither, https://, readable, matching) and
    // its error is a configuration error: exit status 2, like the checks above.
    if let Some(cert) = given(&global.mtls_client_cert_file) {
        builder = builder.mtls_client_cert_file(cert);
    }
    if let Some(key) = given(&global.mtls_client_key_file) {
        builder = builder.mtls_client_key_file(key);
    }
    if let Some(org) = non_empty(&global.organization) {
        builder = builder.organization(org);
    }
    if let Some(project) = non_empty(&global.project) {
        builder = builder.project(project);
    }
    builder.build().map_err(|err| print_error(global, &err))
}

/// A path flag's value; an empty one (an empty variable) counts as unset.
fn given(path: &Option<PathBuf>) -> Option<&Path> {
    path.as_deref().filter(|p| !p.as_os_str().is_empty())
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}
