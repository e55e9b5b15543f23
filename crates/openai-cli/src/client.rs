//! Building the API client from the global flags, and the async runtime it runs on.

use std::path::Path;
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
    let key = match global.api_key.as_deref() {
        Some(key) if !key.trim().is_empty() => key,
        _ => {
            return Err(fail(
                USAGE,
                "no API key: pass --api-key KEY or set OPENAI_API_KEY \
                 (an admin key is only for admin endpoints)",
            ));
        }
    };
    let mtls = mtls_files(global).map_err(|message| fail(USAGE, &message))?;
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
    if let Some((cert, key)) = mtls {
        builder = builder
            .mtls_client_cert_file(cert)
            .mtls_client_key_file(key);
    }
    if let Some(org) = non_empty(&global.organization) {
        builder = builder.organization(org);
    }
    if let Some(project) = non_empty(&global.project) {
        builder = builder.project(project);
    }
    builder.build().map_err(|err| print_error(global, &err))
}

/// The mTLS certificate and key files, checked: both or neither, an https:// base URL,
/// and files that can be read.
fn mtls_files(global: &Global) -> Result<Option<(&Path, &Path)>, String> {
    let Some((cert, key)) = global.mtls_files()? else {
        return Ok(None);
    };
    let base_url = global.base_url();
    if !base_url
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    {
        return Err(
            "mTLS (--mtls-client-cert-file) needs an https:// base URL (--base-url or \
             OPENAI_BASE_URL): a client certificate is only presented over TLS"
                .into(),
        );
    }
    for (path, what) in [(cert, "certificate"), (key, "key")] {
        if let Err(err) = std::fs::File::open(path) {
            return Err(format!(
                "cannot read the mTLS client {what} file {}: {err}",
                path.display()
            ));
        }
    }
    Ok(Some((cert, key)))
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}
