//! Small misbehaving servers on 127.0.0.1 for transport tests: plain TCP or
//! TLS (a test CA made with rcgen), on blocking threads, each counting the
//! connections and requests it saw. The runtime's transport tests, the
//! CLI's hostile tests and its process bench use them.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// An endless body stops after this much, a hang guard for a client that keeps reading.
const ENDLESS_GUARD: u64 = 1 << 30;

/// A test CA, a server certificate for 127.0.0.1 and localhost, and a
/// client certificate, all PEM.
pub struct Pki {
    pub ca_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
    pub client_cert_pem: String,
    pub client_key_pem: String,
}

impl Pki {
    pub fn new() -> Self {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "openai-uploads-rs test CA");
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();

        let server_key = KeyPair::generate().unwrap();
        let server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap()
            .signed_by(&server_key, &ca)
            .unwrap();
        let client_key = KeyPair::generate().unwrap();
        let mut client_params = CertificateParams::new(vec!["client".to_owned()]).unwrap();
        client_params
            .distinguished_name
            .push(DnType::CommonName, "test client");
        let client = client_params.signed_by(&client_key, &ca).unwrap();
        Self {
            ca_pem: ca.pem(),
            server_cert_pem: server.pem(),
            server_key_pem: server_key.serialize_pem(),
            client_cert_pem: client.pem(),
            client_key_pem: client_key.serialize_pem(),
        }
    }

    fn server_config(&self, client_auth: bool) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(self.server_cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .unwrap();
        let key = PrivateKeyDer::from_pem_slice(self.server_key_pem.as_bytes()).unwrap();
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if client_auth {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(self.ca_pem.as_bytes()) {
                roots.add(cert.unwrap()).unwrap();
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        Arc::new(builder.with_single_cert(chain, key).unwrap())
    }
}

impl Default for Pki {
    fn default() -> Self {
        Self::new()
    }
}

/// What a server does with each connection.
#[derive(Clone)]
pub enum Behaviour {
    /// Reads each request and answers it with these bytes (a whole HTTP reply).
    Reply(String),
    /// Answers each request with these headers, then a body that never ends.
    Endless { status: u16 },
    /// Reads and never answers: no reply, no TLS handshake.
    Hang,
}

pub struct Server {
    pub port: u16,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

impl Server {
    /// Plain TCP.
    pub fn plain(behaviour: Behaviour) -> Self {
        Self::start(behaviour, None)
    }

    /// TLS with the test PKI's server certificate; `client_auth` demands a
    /// client certificate signed by the test CA.
    pub fn tls(pki: &Pki, behaviour: Behaviour, client_auth: bool) -> Self {
        Self::start(behaviour, Some(pki.server_config(client_auth)))
    }

    fn start(behaviour: Behaviour, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (seen, served) = (connections.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                seen.fetch_add(1, Ordering::SeqCst);
                let (behaviour, tls, served) = (behaviour.clone(), tls.clone(), served.clone());
                std::thread::spawn(move || {
                    let _ = match tls {
                        None => serve(stream, &behaviour, &served),
                        Some(config) => {
                            let connection = rustls::ServerConnection::new(config).unwrap();
                            serve(
                                rustls::StreamOwned::new(connection, stream),
                                &behaviour,
                                &served,
                            )
                        }
                    };
                });
            }
        });
        Self {
            port,
            connections,
            requests,
        }
    }

    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}/v1", self.port)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Whole request heads read so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn serve(
    mut stream: impl Read + Write,
    behaviour: &Behaviour,
    served: &AtomicUsize,
) -> std::io::Result<()> {
    loop {
        if let Behaviour::Hang = behaviour {
            // Hold the connection until the client gives up.
            let mut sink = [0; 4096];
            while stream.read(&mut sink)? > 0 {}
            return Ok(());
        }
        if !read_request(&mut stream)? {
            return Ok(());
        }
        served.fetch_add(1, Ordering::SeqCst);
        match behaviour {
            Behaviour::Reply(reply) => {
                stream.write_all(reply.as_bytes())?;
                stream.flush()?;
            }
            Behaviour::Endless { status } => {
                write!(
                    stream,
                    "HTTP/1.1 {status} Whatever\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n"
                )?;
                let chunk = vec![b' '; 64 * 1024];
                let mut sent = 0u64;
                while sent < ENDLESS_GUARD {
                    stream.write_all(&chunk)?;
                    sent += chunk.len() as u64;
                }
                return Ok(());
            }
            Behaviour::Hang => unreachable!(),
        }
    }
}

/// Reads one request (head and a `content-length` body); false at the end
/// of the stream. Anything that is not HTTP (a TLS hello on a plain server)
/// counts as a request as soon as it arrives, so it gets the reply.
fn read_request(stream: &mut impl Read) -> std::io::Result<bool> {
    let mut head = Vec::new();
    let mut byte = [0; 1];
    loop {
        if stream.read(&mut byte)? == 0 {
            return Ok(false);
        }
        head.push(byte[0]);
        if head.len() == 1 && !byte[0].is_ascii_uppercase() {
            // Not HTTP. Take what else has arrived, then answer.
            let mut rest = [0; 4096];
            let _ = stream.read(&mut rest)?;
            return Ok(true);
        }
        if head.ends_with(b"\r\n\r\n") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length: usize = text
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    stream.read_exact(&mut body)?;
    Ok(true)
}

/// A whole HTTP reply with a JSON body.
pub fn json_reply(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Answers every request with 200 and [`CANCELLED`]: a server that works.
pub fn cancelled() -> Behaviour {
    Behaviour::Reply(json_reply("200 OK", CANCELLED))
}

/// A redirect to `location`.
pub fn redirect(status: &str, location: &str) -> String {
    format!("HTTP/1.1 {status}\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n")
}

/// The example Upload, cancelled.
pub const CANCELLED: &str = r#"{"id":"upload_abc123","object":"upload","bytes":100,"created_at":1719184911,"filename":"a.jsonl","purpose":"fine-tune","status":"cancelled","expires_at":1719127296}"#;

/// Reads TCP until the peer closes; for tests that only need a sink.
pub fn drain(mut stream: TcpStream) {
    let mut sink = [0; 4096];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}
