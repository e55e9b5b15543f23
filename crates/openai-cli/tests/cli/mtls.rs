//! Mutual TLS for real: a local TLS server that demands a client certificate accepts the
//! one `--mtls-client-cert-file` / `--mtls-client-key-file` name, and refuses a client
//! without one. The server's CA is trusted the way a user's would be, through
//! `SSL_CERT_FILE`.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::support::*;

/// The PEM files of a test CA, a server certificate for 127.0.0.1 and a client certificate.
struct Pki {
    ca: String,
    server_cert: String,
    server_key: String,
    client_cert: String,
    client_key: String,
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf = |names: Vec<String>| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (server_cert, server_key) = leaf(vec!["127.0.0.1".into()]);
    let (client_cert, client_key) = leaf(vec!["client.example".into()]);
    Pki {
        ca: ca.pem(),
        server_cert,
        server_key,
        client_cert,
        client_key,
    }
}

/// An HTTPS server on 127.0.0.1 that requires a client certificate from the test CA and
/// answers every request with a cancelled Upload. Returns its port and the client
/// certificates it was shown.
fn serve(pki: &Pki) -> (u16, Arc<Mutex<Vec<CertificateDer<'static>>>>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pki.ca.as_bytes()).unwrap())
        .unwrap();
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider.clone())
            .build()
            .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(pki.server_cert.as_bytes()).unwrap()],
            PrivateKeyDer::from_pem_slice(pki.server_key.as_bytes()).unwrap(),
        )
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let shown = seen.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let Ok(connection) = rustls::ServerConnection::new(config.clone()) else {
                continue;
            };
            let mut tls = rustls::StreamOwned::new(connection, tcp);
            // Reads the request head (the cancel has no body); a failed handshake ends here.
            let mut head = Vec::new();
            let mut byte = [0];
            while !head.ends_with(b"\r\n\r\n") {
                match tls.read(&mut byte) {
                    Ok(1) => head.push(byte[0]),
                    _ => break,
                }
            }
            if let Some(certs) = tls.conn.peer_certificates() {
                shown.lock().unwrap().extend(certs.iter().cloned());
            }
            if head.ends_with(b"\r\n\r\n") {
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{CANCELLED}",
                    CANCELLED.len()
                );
                let _ = tls.write_all(reply.as_bytes());
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        }
    });
    (port, seen)
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_server_that_demands_a_client_certificate_accepts_ours() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let ca = write(dir.path(), "ca.pem", &pki.ca);
    let cert = write(dir.path(), "client.pem", &pki.client_cert);
    let key = write(dir.path(), "client.key", &pki.client_key);
    let (port, seen) = serve(&pki);
    let url = format!("https://127.0.0.1:{port}/v1");
    let trust = [("SSL_CERT_FILE", ca.as_str())];

    let flags = [
        "--base-url",
        &url,
        "--api-key",
        SECRET,
        "--max-retries",
        "0",
        "--mtls-client-cert-file",
        &cert,
        "--mtls-client-key-file",
        &key,
        "uploads",
        "cancel",
        "upload_abc123",
        "--format",
        "jsonl",
    ];
    let run_flags = run(&flags, &trust).await;
    assert_eq!(run_flags.code, 0, "{run_flags:?}");
    assert_eq!(run_flags.stdout, format!("{CANCELLED}\n"));
    let ours = CertificateDer::from_pem_slice(pki.client_cert.as_bytes()).unwrap();
    assert_eq!(seen.lock().unwrap().first(), Some(&ours));

    // The same from the environment.
    let env = [
        ("SSL_CERT_FILE", ca.as_str()),
        ("OPENAI_MTLS_CLIENT_CERT_FILE", cert.as_str()),
        ("OPENAI_MTLS_CLIENT_KEY_FILE", key.as_str()),
    ];
    let run_env = run(
        &flags[..6]
            .iter()
            .chain(&flags[10..])
            .copied()
            .collect::<Vec<_>>(),
        &env,
    )
    .await;
    assert_eq!(run_env.code, 0, "{run_env:?}");

    // Without a certificate the server refuses the handshake.
    let without = run(&[&flags[..6], &flags[10..]].concat(), &trust).await;
    assert_eq!(without.code, 1, "{without:?}");
    assert!(without.stderr.contains("TLS"), "{}", without.stderr);
    without.assert_no_secret();
}

/// A certificate file that holds no certificate, or a key that is not the certificate's,
/// is a configuration error (exit 2) before anything is sent.
#[tokio::test]
async fn a_bad_certificate_or_key_is_a_usage_error() {
    let pki = pki();
    let other = pki_key();
    let dir = tempfile::tempdir().unwrap();
    let cert = write(dir.path(), "client.pem", &pki.client_cert);
    let key = write(dir.path(), "client.key", &pki.client_key);
    let not_pem = write(dir.path(), "junk.pem", "not a certificate\n");
    let wrong_key = write(dir.path(), "other.key", &other);
    let server = silent().await;
    for (cert, key) in [(&not_pem, &key), (&cert, &not_pem), (&cert, &wrong_key)] {
        let run = run(
            &[
                "--base-url",
                "https://127.0.0.1:9/v1",
                "--api-key",
                SECRET,
                "--mtls-client-cert-file",
                cert,
                "--mtls-client-key-file",
                key,
                "uploads",
                "cancel",
                "u",
            ],
            &[],
        )
        .await;
        assert_eq!(run.code, 2, "{cert} {key}: {run:?}");
        assert!(run.stderr.starts_with("Error: "), "{}", run.stderr);
        run.assert_no_secret();
    }
    assert!(requests(&server).await.is_empty());
}

fn pki_key() -> String {
    KeyPair::generate().unwrap().serialize_pem()
}
