//! The server certificate verifier: the platform's roots, each loaded once.
//!
//! On Linux and the other Unix systems that are not Apple's or Android,
//! `rustls-platform-verifier` is WebPKI over the roots `rustls-native-certs`
//! loads: `SSL_CERT_FILE` and `SSL_CERT_DIR` when set, else the distribution's
//! bundle file *and* every file in its certificate directory. On Debian
//! those are the same ~146 certificates twice (the directory is generated
//! from the same source as the bundle), read and decoded on every start.
//!
//! Here, with neither variable set, only the bundle is loaded up front, and
//! the directory is read only if a server's chain does not lead to a root in
//! the bundle (then verification is tried again with bundle and directory,
//! which is exactly the platform verifier's set). That is also how OpenSSL
//! (so curl) treats them: the file eagerly, the directory on demand. The
//! trust decision is the same; only the common case is cheaper. With either
//! variable set, the roots are loaded as the platform verifier loads them.
//! Elsewhere (macOS, Windows, Android) the platform verifier is used as is.

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;

use super::{Error, Result};

fn tls_error(err: impl std::fmt::Display) -> Error {
    Error::Config(format!("could not set up TLS: {err}"))
}

/// The verifier for https connections, trusting the platform's roots plus `extra`.
#[cfg(not(all(unix, not(target_vendor = "apple"), not(target_os = "android"))))]
pub(super) fn verifier(
    extra: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>> {
    let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider)
        .map_err(tls_error)?;
    Ok(Arc::new(verifier))
}

/// The verifier for https connections, trusting the platform's roots plus `extra`.
#[cfg(all(unix, not(target_vendor = "apple"), not(target_os = "android")))]
pub(super) fn verifier(
    extra: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>> {
    unix::verifier(extra, provider)
}

#[cfg(all(unix, not(target_vendor = "apple"), not(target_os = "android")))]
mod unix {
    use std::path::PathBuf;
    use std::sync::{Arc, OnceLock};

    use rustls::client::WebPkiServerVerifier;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

    use super::{Result, tls_error};

    pub(super) fn verifier(
        extra: Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Arc<dyn ServerCertVerifier>> {
        let from_env = std::env::var_os("SSL_CERT_FILE").is_some()
            || std::env::var_os("SSL_CERT_DIR").is_some();
        let probe = (!from_env).then(openssl_probe::probe);
        let Some(openssl_probe::ProbeResult {
            cert_file: Some(file),
            cert_dir: dirs,
        }) = probe
        else {
            // What the platform verifier does: everything, now.
            let roots = rustls_native_certs::load_native_certs().certs;
            return Ok(webpki(&extra, roots, &provider)?);
        };
        let bundle = rustls_native_certs::load_certs_from_paths(Some(&file), None).certs;
        if bundle.is_empty() {
            let roots = load(Some(file), &dirs);
            return Ok(webpki(&extra, roots, &provider)?);
        }
        Ok(Arc::new(BundleFirst {
            bundle: webpki(&extra, bundle, &provider)?,
            file,
            dirs,
            extra,
            provider,
            everything: OnceLock::new(),
        }))
    }

    /// Verifies against the bundle; on an unknown issuer, against the bundle
    /// and the certificate directories (loaded then, once).
    #[derive(Debug)]
    struct BundleFirst {
        bundle: Arc<WebPkiServerVerifier>,
        file: PathBuf,
        dirs: Vec<PathBuf>,
        extra: Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
        everything: OnceLock<Option<Arc<WebPkiServerVerifier>>>,
    }

    impl BundleFirst {
        fn everything(&self) -> Option<&Arc<WebPkiServerVerifier>> {
            self.everything
                .get_or_init(|| {
                    let roots = load(Some(self.file.clone()), &self.dirs);
                    webpki(&self.extra, roots, &self.provider).ok()
                })
                .as_ref()
        }
    }

    impl ServerCertVerifier for BundleFirst {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp_response: &[u8],
            now: UnixTime,
        ) -> std::result::Result<ServerCertVerified, rustls::Error> {
            let verify = |verifier: &WebPkiServerVerifier| {
                verifier.verify_server_cert(
                    end_entity,
                    intermediates,
                    server_name,
                    ocsp_response,
                    now,
                )
            };
            match verify(&self.bundle) {
                Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer))
                    if !self.dirs.is_empty() =>
                {
                    match self.everything() {
                        Some(everything) => verify(everything),
                        None => Err(rustls::Error::InvalidCertificate(
                            CertificateError::UnknownIssuer,
                        )),
                    }
                }
                other => other,
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            self.bundle.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            self.bundle.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.bundle.supported_verify_schemes()
        }
    }

    /// The bundle file and every directory, deduplicated, as
    /// `rustls-native-certs` loads them.
    fn load(file: Option<PathBuf>, dirs: &[PathBuf]) -> Vec<CertificateDer<'static>> {
        let mut certs = rustls_native_certs::load_certs_from_paths(file.as_deref(), None).certs;
        for dir in dirs {
            certs.extend(rustls_native_certs::load_certs_from_paths(None, Some(dir)).certs);
        }
        certs.sort_unstable_by(|a, b| a.as_ref().cmp(b.as_ref()));
        certs.dedup();
        certs
    }

    fn webpki(
        extra: &[CertificateDer<'static>],
        system: Vec<CertificateDer<'static>>,
        provider: &Arc<CryptoProvider>,
    ) -> Result<Arc<WebPkiServerVerifier>> {
        let mut store = RootCertStore::empty();
        for cert in extra {
            store.add(cert.clone()).map_err(tls_error)?;
        }
        store.add_parsable_certificates(system);
        if store.is_empty() {
            return Err(tls_error("no CA certificates were loaded from the system"));
        }
        WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
            .build()
            .map_err(tls_error)
    }
}
