//! The `reqwest::Client` a [`ClientBuilder`](super::ClientBuilder) makes when
//! none is given: rustls (ring, platform verifier) by default, else native-tls.

use super::{Error, Result};

/// Builds the HTTP client. `https` is false when the base URL is plain
/// `http://`: then no root certificates are loaded, which keeps start-up cheap.
pub(super) fn http_client(https: bool) -> Result<reqwest::Client> {
    let builder = reqwest::Client::builder();
    #[cfg(feature = "rustls")]
    let builder = builder.tls_backend_preconfigured(rustls_config(https)?);
    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    if https {
        return Err(Error::Config(
            "an https:// base URL needs the `rustls` or `native-tls` feature".into(),
        ));
    }
    #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
    let _ = https;
    builder
        .build()
        .map_err(|err| Error::Config(format!("could not set up the HTTP client: {err}")))
}

#[cfg(feature = "rustls")]
fn rustls_config(https: bool) -> Result<rustls::ClientConfig> {
    use rustls_platform_verifier::BuilderVerifierExt;
    use std::sync::Arc;

    let tls_error = |err: rustls::Error| Error::Config(format!("could not set up TLS: {err}"));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?;
    let config = if https {
        builder
            .with_platform_verifier()
            .map_err(tls_error)?
            .with_no_client_auth()
    } else {
        // Plain http needs no roots; a redirect to https fails verification.
        builder
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
    };
    Ok(config)
}

/// With only reqwest's `rustls-no-provider`, `reqwest::Client::new()` panics
/// unless a process-wide rustls provider is installed. Install ring (what this
/// crate uses) if nothing else is, so a caller's own client for
/// [`ClientBuilder::http_client`](super::ClientBuilder::http_client) works.
pub(super) fn install_default_provider() {
    #[cfg(feature = "rustls")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            if rustls::crypto::CryptoProvider::get_default().is_none() {
                // Losing a race with another installer is fine.
                let _ = rustls::crypto::ring::default_provider().install_default();
            }
        });
    }
}
