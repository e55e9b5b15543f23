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
//! the directory is read only if a server's chain does not verify against
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
    use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

    use super::{Result, tls_error};

    pub(super) fn verifier(
        extra: Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Arc<dyn ServerCertVerifier>> {
        let cert_file = std::env::var_os("SSL_CERT_FILE").filter(|file| !file.is_empty());
        // `/dev/null` is the usual way to say "no roots from a file", and reads empty.
        if let Some(file) = cert_file.filter(|file| file != "/dev/null") {
            // Read whole by rustls-native-certs: refused here if it could
            // block or never end (a FIFO, `/dev/zero`).
            let path = std::path::Path::new(&file);
            crate::builder::open_capped_file(path, crate::builder::MAX_PEM_FILE).map_err(
                |why| crate::Error::Config(format!("SSL_CERT_FILE {} {why}", path.display())),
            )?;
        }
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
        bundle_first(file, dirs, extra, provider)
    }

    /// The bundle `file` now, the `dirs` only when needed.
    fn bundle_first(
        file: PathBuf,
        dirs: Vec<PathBuf>,
        extra: Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Arc<dyn ServerCertVerifier>> {
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

    /// Verifies against the bundle; when that fails, against the bundle and
    /// the certificate directories (loaded then, once).
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
            // Any failure, not only an unknown issuer: a root in the
            // directory may share its name with one in the bundle. The
            // answer is then the one for the whole set, as the platform
            // verifier would give it.
            match verify(&self.bundle) {
                Err(err) if !self.dirs.is_empty() => match self.everything() {
                    Some(everything) => verify(everything),
                    None => Err(err),
                },
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

    #[cfg(test)]
    mod tests {
        use super::*;
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
        use rustls::pki_types::PrivateKeyDer;
        use rustls::server::{ClientHello, ResolvesServerCert};
        use rustls::sign::CertifiedKey;
        use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};

        /// A CA (PEM) and a server certificate for 127.0.0.1 that it signed.
        fn ca_and_server() -> (String, CertificateDer<'static>) {
            let (ca, server, _) = ca_server_and_key();
            (ca, server)
        }

        /// [`ca_and_server`], and the server certificate's private key.
        fn ca_server_and_key() -> (String, CertificateDer<'static>, PrivateKeyDer<'static>) {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params
                .distinguished_name
                .push(DnType::CommonName, "test CA");
            let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
            let key = KeyPair::generate().unwrap();
            let server = CertificateParams::new(vec!["127.0.0.1".to_owned()])
                .unwrap()
                .signed_by(&key, &ca)
                .unwrap();
            let key = PrivateKeyDer::Pkcs8(key.serialize_der().into());
            (ca.pem(), server.der().clone(), key)
        }

        fn verify(verifier: &dyn ServerCertVerifier, cert: &CertificateDer<'_>) -> bool {
            let name = ServerName::try_from("127.0.0.1").unwrap();
            verifier
                .verify_server_cert(cert, &[], &name, &[], UnixTime::now())
                .is_ok()
        }

        #[test]
        fn the_directory_is_read_only_for_an_issuer_the_bundle_lacks() {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let (bundle_ca, bundle_server) = ca_and_server();
            let (dir_ca, dir_server) = ca_and_server();
            let (_, unknown_server) = ca_and_server();
            let tmp = tempfile::tempdir().unwrap();
            let file = tmp.path().join("bundle.crt");
            std::fs::write(&file, bundle_ca).unwrap();
            let dir = tmp.path().join("certs");
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join("extra.pem"), dir_ca).unwrap();

            let make = || BundleFirst {
                bundle: webpki(
                    &[],
                    rustls_native_certs::load_certs_from_paths(Some(&file), None).certs,
                    &provider,
                )
                .unwrap(),
                file: file.clone(),
                dirs: vec![dir.clone()],
                extra: Vec::new(),
                provider: provider.clone(),
                everything: OnceLock::new(),
            };
            let verifier = make();
            assert!(verify(&verifier, &bundle_server));
            assert!(
                verifier.everything.get().is_none(),
                "the directory was read"
            );
            assert!(
                verify(&verifier, &dir_server),
                "a root only in the directory"
            );
            assert!(verifier.everything.get().is_some());
            let verifier = make();
            assert!(!verify(&verifier, &unknown_server));
            // Through the public path too.
            let verifier = bundle_first(
                file.clone(),
                vec![dir.clone()],
                Vec::new(),
                provider.clone(),
            )
            .unwrap();
            assert!(verify(&*verifier, &dir_server));
        }

        /// Always the same certificate and signing key, whether or not they match.
        #[derive(Debug)]
        struct Fixed(Arc<CertifiedKey>);

        impl ResolvesServerCert for Fixed {
            fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
                Some(self.0.clone())
            }
        }

        /// A TLS handshake in memory between a client using `verifier` and
        /// a server presenting `cert` and signing with `key`.
        fn handshake(
            verifier: Arc<dyn ServerCertVerifier>,
            cert: &CertificateDer<'static>,
            key: &PrivateKeyDer<'static>,
            version: &'static rustls::SupportedProtocolVersion,
        ) -> std::result::Result<(), rustls::Error> {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let signer = provider.key_provider.load_private_key(key.clone_key())?;
            let certified = CertifiedKey::new(vec![cert.clone()], signer);
            let server = ServerConfig::builder_with_provider(provider.clone())
                .with_protocol_versions(&[version])?
                .with_no_client_auth()
                .with_cert_resolver(Arc::new(Fixed(Arc::new(certified))));
            let client = ClientConfig::builder_with_provider(provider)
                .with_protocol_versions(&[version])?
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth();
            let name = ServerName::try_from("127.0.0.1").unwrap();
            let mut client = ClientConnection::new(Arc::new(client), name)?;
            let mut server = ServerConnection::new(Arc::new(server))?;
            let mut wire = Vec::new();
            while client.is_handshaking() || server.is_handshaking() {
                wire.clear();
                client.write_tls(&mut wire).unwrap();
                server.read_tls(&mut &wire[..]).unwrap();
                server.process_new_packets()?;
                wire.clear();
                server.write_tls(&mut wire).unwrap();
                client.read_tls(&mut &wire[..]).unwrap();
                client.process_new_packets()?;
            }
            Ok(())
        }

        #[test]
        fn a_handshake_needs_the_certificate_key_s_signature() {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let (ca, server, key) = ca_server_and_key();
            let (_, _, other_key) = ca_server_and_key();
            let tmp = tempfile::tempdir().unwrap();
            let file = tmp.path().join("bundle.crt");
            std::fs::write(&file, ca).unwrap();
            let verifier =
                bundle_first(file, vec![tmp.path().to_owned()], Vec::new(), provider).unwrap();
            for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
                let trusted = handshake(verifier.clone(), &server, &key, version);
                assert!(trusted.is_ok(), "{version:?}: {trusted:?}");
                // The right certificate, signed for by someone without its key.
                let forged = handshake(verifier.clone(), &server, &other_key, version);
                assert!(
                    forged.is_err(),
                    "{version:?}: a forged signature was accepted"
                );
            }
        }
    }
}
