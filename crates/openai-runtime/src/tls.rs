//! The `reqwest::Client` a [`ClientBuilder`](super::ClientBuilder) makes when
//! none is given: rustls (ring, the platform's roots) by default, else
//! native-tls; a connect timeout that covers the TLS handshake; redirects
//! that never go from `https` to `http`.

use std::time::Duration;

use reqwest::Url;

use super::{Error, Result};

/// Redirects followed before giving up (reqwest's default too).
const MAX_REDIRECTS: usize = 10;

/// What the HTTP client is built from.
pub(super) struct Settings<'a> {
    /// False when the base URL is plain `http://`: then no root certificates
    /// are loaded, which keeps start-up cheap.
    pub(super) https: bool,
    /// Extra roots, PEM.
    #[cfg_attr(
        not(any(feature = "rustls", feature = "native-tls")),
        expect(dead_code, reason = "only a TLS backend reads them")
    )]
    pub(super) root_certificates: &'a [Vec<u8>],
    /// Client certificate chain and private key, PEM.
    #[cfg_attr(
        not(any(feature = "rustls", feature = "native-tls")),
        expect(dead_code, reason = "only a TLS backend reads them")
    )]
    pub(super) identity: Option<(&'a [u8], &'a [u8])>,
    /// TCP connect plus TLS handshake (reqwest's connect timeout wraps its
    /// whole connector, TLS included, and the tunnel through a proxy).
    pub(super) connect_timeout: Duration,
}

/// Builds the HTTP client.
pub(super) fn http_client(settings: &Settings<'_>) -> Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .connect_timeout(settings.connect_timeout)
        .redirect(redirect_policy());
    #[cfg(feature = "rustls")]
    let builder = builder.tls_backend_preconfigured(rustls_config(settings)?);
    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    if settings.https {
        return Err(Error::Config(
            "an https:// base URL needs the `rustls` or `native-tls` feature".into(),
        ));
    }
    #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
    let builder = native_tls(builder, settings)?;
    builder
        .build()
        .map_err(|err| Error::Config(format!("could not set up the HTTP client: {err}")))
}

/// Why a redirect was not followed; [`crate::client`] turns it into
/// [`Error::Redirect`].
#[derive(Debug)]
pub(super) struct RedirectRefused(String);

impl std::fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedirectRefused {}

/// Follows up to [`MAX_REDIRECTS`] redirects, never from `https` to `http`:
/// that would send the request, body included, in clear text. (reqwest
/// itself drops `Authorization` on a redirect to another host or scheme.)
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            let message = format!("stopped after {MAX_REDIRECTS} redirects (a redirect loop?)");
            return attempt.error(RedirectRefused(message));
        }
        let from_https = attempt.previous().iter().any(|url| url.scheme() == "https");
        if from_https && attempt.url().scheme() != "https" {
            let message = format!(
                "refused a redirect from https:// to {}: it would send the request in clear text",
                origin(attempt.url())
            );
            return attempt.error(RedirectRefused(message));
        }
        attempt.follow()
    })
}

/// `scheme://host:port` of a URL: no credentials, path or query.
fn origin(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// The proxy (`host:port`, no credentials) that the environment
/// (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`) sets for `url`:
/// reqwest's own rules, through the same matcher, so errors can name it.
pub(super) fn proxy_for(url: &Url) -> Option<String> {
    let uri: hyper::Uri = url.as_str().parse().ok()?;
    let matcher = hyper_util::client::proxy::matcher::Matcher::from_system();
    let intercept = matcher.intercept(&uri)?;
    let proxy = intercept.uri();
    let host = proxy.host()?;
    Some(match proxy.port_u16() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[cfg(feature = "rustls")]
fn rustls_config(settings: &Settings<'_>) -> Result<rustls::ClientConfig> {
    use std::sync::Arc;

    let tls_error = |err: rustls::Error| Error::Config(format!("could not set up TLS: {err}"));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let extra_roots = parse_root_certificates(settings.root_certificates)?;
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?;
    let builder = if settings.https {
        builder
            .dangerous()
            .with_custom_certificate_verifier(super::roots::verifier(extra_roots, provider)?)
    } else {
        // Plain http needs no roots; a redirect to https fails verification.
        builder.with_root_certificates(rustls::RootCertStore::empty())
    };
    match settings.identity {
        None => Ok(builder.with_no_client_auth()),
        Some((cert_pem, key_pem)) => {
            let (chain, key) = parse_identity(cert_pem, key_pem)?;
            builder.with_client_auth_cert(chain, key).map_err(|err| {
                Error::Config(format!(
                    "the mTLS client certificate and key must be a valid matching PEM pair: {err}"
                ))
            })
        }
    }
}

#[cfg(feature = "rustls")]
fn parse_root_certificates(
    pems: &[Vec<u8>],
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    let mut roots = Vec::new();
    for pem in pems {
        let before = roots.len();
        for cert in CertificateDer::pem_slice_iter(pem) {
            roots.push(cert.map_err(|err| {
                Error::Config(format!("a root certificate is not valid PEM: {err}"))
            })?);
        }
        if roots.len() == before {
            return Err(Error::Config(
                "a root certificate holds no PEM certificate".into(),
            ));
        }
    }
    Ok(roots)
}

#[cfg(feature = "rustls")]
type Identity = (
    Vec<rustls::pki_types::CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
);

#[cfg(feature = "rustls")]
fn parse_identity(cert_pem: &[u8], key_pem: &[u8]) -> Result<Identity> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let invalid = |what: &str| {
        Error::Config(format!(
            "the mTLS client certificate and key must be a valid matching PEM pair: {what}"
        ))
    };
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| invalid("the certificate file is not valid PEM"))?;
    if chain.is_empty() {
        return Err(invalid("the certificate file holds no certificate"));
    }
    // No detail from the parser: the key is a secret.
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|_| invalid("the key file holds no PEM private key"))?;
    Ok((chain, key))
}

#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
fn native_tls(
    mut builder: reqwest::ClientBuilder,
    settings: &Settings<'_>,
) -> Result<reqwest::ClientBuilder> {
    // native-tls loads the system's roots lazily: nothing to skip for http.
    let _ = settings.https;
    for pem in settings.root_certificates {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|err| Error::Config(format!("a root certificate is not valid PEM: {err}")))?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if let Some((cert, key)) = settings.identity {
        let identity = reqwest::Identity::from_pkcs8_pem(cert, key).map_err(|_| {
            Error::Config(
                "the mTLS client certificate and key must be a valid matching PEM pair".into(),
            )
        })?;
        builder = builder.identity(identity);
    }
    Ok(builder)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_drops_credentials_and_path() {
        let url = Url::parse("http://u:p@example.com:8080/v1/x?q#f").unwrap();
        assert_eq!(origin(&url), "http://example.com:8080");
        let url = Url::parse("http://example.com/v1").unwrap();
        assert_eq!(origin(&url), "http://example.com");
    }
}
