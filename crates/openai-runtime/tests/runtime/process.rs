//! What a client does with its process: `debug(true)` writes each request,
//! reply, failure and retry wait to stderr; a proxy set in the environment
//! is named in errors; `SSL_CERT_FILE` is the roots when set; building a
//! client installs a rustls crypto provider; `from_env` reads the
//! `OPENAI_*` variables.
//! Each check runs in a child process (this same test binary), so that
//! stderr can be read whole and the environment is the child's own.

use std::ffi::OsString;
use std::process::Command;
use std::time::Duration;

use openai_runtime::{Client, ClientBuilder, Error, Method, Request};
use test_support::hostile::{Pki, Server, cancelled};
use test_support::run_test_in_child;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Set in a child: what it is to do.
const CHILD: &str = "OPENAI_RUNTIME_TEST_CHILD";

/// In the child: a retried POST, a streamed GET, and a call to a port
/// nobody listens on, all against `base` (`debug` on or off).
async fn child(debug: bool, base: &str, closed: &str) {
    let build = |url: &str| {
        Client::builder()
            .api_key("sk-child-secret")
            .base_url(url)
            .max_retries(1)
            .debug(debug)
            .build()
            .unwrap()
    };
    let client = build(base);
    let post = Request::new(Method::POST, "/things".into())
        .json(&serde_json::json!({"a": 1}))
        .unwrap();
    within(client.execute::<serde_json::Value>(post))
        .await
        .unwrap();
    let get = Request::new(Method::GET, "/download".into());
    within(client.execute_bytes_stream(get)).await.unwrap();
    let refused = build(closed);
    let get = Request::new(Method::GET, "/nowhere".into());
    assert!(
        within(refused.execute::<serde_json::Value>(get))
            .await
            .is_err()
    );
}

/// Runs `test` (of this module) alone in a child process, with `$CHILD` set to `spec` and
/// the variables in [`ISOLATED`] set as `env` says (none when empty);
/// returns its stderr.
fn run_child(test: &str, spec: &str, env: &[(&str, &str)]) -> String {
    let env: Vec<(&str, OsString)> = env.iter().map(|(k, v)| (*k, OsString::from(v))).collect();
    run_child_os(test, spec, &env)
}

/// [`run_child`] with values that need not be UTF-8.
fn run_child_os(test: &str, spec: &str, env: &[(&str, OsString)]) -> String {
    let lower: Vec<String> = ISOLATED.iter().map(|name| name.to_lowercase()).collect();
    let removed: Vec<&str> = ISOLATED
        .iter()
        .copied()
        .chain(lower.iter().map(String::as_str))
        .collect();
    let mut env = env.to_vec();
    env.push((CHILD, OsString::from(spec)));
    run_test_in_child(&format!("process::{test}"), &env, &removed)
}

/// Removed from every child's environment, so the parent's do not leak in.
const ISOLATED: [&str; 11] = [
    "OPENAI_API_KEY",
    "OPENAI_ADMIN_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

/// `call`'s outcome, or a panic if it hangs.
async fn within<T>(call: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), call)
        .await
        .expect("finished (hang guard)")
}

/// A port that was free a moment ago: connecting to it is refused.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn every_step_of_a_call_is_logged() {
    if let Ok(spec) = std::env::var(CHILD) {
        let mut parts = spec.split(' ');
        let (debug, base, closed) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        return child(debug == "on", base, closed).await;
    }
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after-ms", "1")
                .set_body_string(r#"{"error":{"message":"slow down"}}"#),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"id":"thing_1"}"#))
        .mount(&server)
        .await;
    Mock::given(path("/download"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"raw bytes".to_vec()))
        .mount(&server)
        .await;
    let base = server.uri();
    let closed = closed_port_url();

    let test = "every_step_of_a_call_is_logged";
    let log = run_child(test, &format!("on {base} {closed}"), &[]);
    let lines: Vec<&str> = log.lines().collect();
    let has = |needle: &str| lines.iter().any(|line| line.contains(needle));
    for needle in [
        &format!("--> POST {base}/things (attempt 1 of 2)") as &str,
        &format!("--> POST {base}/things (attempt 2 of 2)"),
        "authorization: Bearer <REDACTED>",
        r#"{"a":1}"#,
        "<-- 429 Too Many Requests after",
        r#"{"error":{"message":"slow down"}}"#,
        "retrying in",
        "<-- 200 OK after",
        r#"{"id":"thing_1"}"#,
        &format!("--> GET {base}/download (attempt 1 of 2)"),
        "(no body)",
        "(body streamed to the caller)",
        &format!("--> GET {closed}/nowhere"),
        "<-- failed after",
    ] {
        assert!(has(needle), "no line with {needle:?} in:\n{log}");
    }
    assert!(
        lines
            .iter()
            .all(|line| line.starts_with("[openai-uploads]")),
        "{log}"
    );
    assert!(!log.contains("sk-child-secret"), "{log}");
    assert!(
        !log.contains("raw bytes"),
        "a streamed body is not read for the log:\n{log}"
    );

    let quiet = run_child(test, &format!("off {base} {closed}"), &[]);
    assert!(!quiet.contains("[openai-uploads]"), "{quiet}");
}

#[tokio::test]
async fn a_proxy_from_the_environment_is_named_when_it_fails() {
    if let Ok(proxy) = std::env::var(CHILD) {
        let client = Client::builder()
            .api_key("sk-test")
            .base_url("http://api.example.test/v1")
            .max_retries(0)
            .build()
            .unwrap();
        assert!(format!("{client:?}").contains(&proxy), "{client:?}");
        let get = Request::new(Method::GET, "/things".into());
        let err = within(client.execute::<serde_json::Value>(get))
            .await
            .unwrap_err();
        match &err {
            Error::Proxy { proxy: named, .. } => assert_eq!(named, &proxy),
            other => panic!("not a proxy error: {other:?}"),
        }
        assert!(err.to_string().contains(&proxy), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        return;
    }
    let closed = closed_port_url();
    let proxy = closed.trim_start_matches("http://");
    let with_credentials = format!("http://user:hunter2@{proxy}");
    run_child(
        "a_proxy_from_the_environment_is_named_when_it_fails",
        proxy,
        &[("HTTP_PROXY", &with_credentials)],
    );
}

#[test]
fn building_a_client_installs_a_crypto_provider() {
    use rustls::crypto::CryptoProvider;
    if std::env::var_os(CHILD).is_some() {
        // A fresh process: nothing has installed one yet.
        assert!(CryptoProvider::get_default().is_none());
        let _ = Client::builder();
        assert!(
            CryptoProvider::get_default().is_some(),
            "a caller's own reqwest client would panic without one"
        );
        return;
    }
    run_child("building_a_client_installs_a_crypto_provider", "1", &[]);
}

#[tokio::test]
async fn ssl_cert_file_is_the_roots_when_set() {
    if let Ok(spec) = std::env::var(CHILD) {
        let (case, base) = spec.split_once(' ').unwrap();
        let built = Client::builder()
            .api_key("sk-test")
            .base_url(base)
            .max_retries(0)
            .build();
        match case {
            "trusted" => {
                let cancel = Request::new(Method::POST, "/uploads/u/cancel".into());
                within(built.unwrap().execute::<serde_json::Value>(cancel))
                    .await
                    .unwrap();
            }
            "empty" => {
                // As for the platform verifier: no roots from a file, and
                // none from a directory either.
                let err = built.unwrap_err().to_string();
                assert!(err.contains("no CA certificates"), "{err}");
            }
            _ => {
                let err = built.unwrap_err().to_string();
                assert!(err.contains("SSL_CERT_FILE") && err.contains(case), "{err}");
            }
        }
        return;
    }
    let test = "ssl_cert_file_is_the_roots_when_set";
    let pki = Pki::new();
    let server = Server::tls(&pki, cancelled(), false);
    let https = server.url("https");
    let tmp = tempfile::tempdir().unwrap();
    let roots = tmp.path().join("roots.pem");
    std::fs::write(&roots, &pki.ca_pem).unwrap();
    let roots = roots.to_str().unwrap();
    // The test CA is in no system bundle: only the file lets this verify.
    run_child(
        test,
        &format!("trusted {https}"),
        &[("SSL_CERT_FILE", roots)],
    );
    // An empty value names no file to check.
    run_child(test, &format!("empty {https}"), &[("SSL_CERT_FILE", "")]);
    // Read whole by the TLS stack, so refused over the cap.
    let big = tmp.path().join("big.pem");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(5 << 20)
        .unwrap();
    let big = big.to_str().unwrap();
    run_child(test, &format!("{big} {https}"), &[("SSL_CERT_FILE", big)]);
}

#[tokio::test]
async fn from_env_reads_the_openai_variables() {
    if let Ok(case) = std::env::var(CHILD) {
        let builder = ClientBuilder::<Client>::from_env();
        if case == "not utf-8" {
            let err = builder.build().unwrap_err().to_string();
            assert!(err.contains("OPENAI_ORG_ID is not valid UTF-8"), "{err}");
            return;
        }
        let shown = format!("{builder:?}");
        for field in [
            r#"api_key: Some("<REDACTED>")"#,
            "admin_api_key: None",
            r#"organization: Some("org-env")"#,
            r#"project: Some("proj-env")"#,
        ] {
            assert!(shown.contains(field), "no {field} in {shown}");
        }
        assert!(!shown.contains("sk-env"), "{shown}");
        let client = builder.build().unwrap();
        let get = Request::new(Method::GET, "/models".into());
        within(client.execute::<serde_json::Value>(get))
            .await
            .unwrap();
        return;
    }
    let test = "from_env_reads_the_openai_variables";
    let server = MockServer::start().await;
    Mock::given(path("/v1/models"))
        .and(header("authorization", "Bearer sk-env"))
        .and(header("openai-organization", "org-env"))
        .and(header("openai-project", "proj-env"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(1)
        .mount(&server)
        .await;
    let base = format!("{}/v1", server.uri());
    run_child(
        test,
        "set",
        &[
            ("OPENAI_API_KEY", "sk-env"),
            // Blank counts as unset.
            ("OPENAI_ADMIN_KEY", "  "),
            ("OPENAI_BASE_URL", &base),
            ("OPENAI_ORG_ID", "org-env"),
            ("OPENAI_PROJECT_ID", "proj-env"),
        ],
    );
    use std::os::unix::ffi::OsStringExt as _;
    run_child_os(
        test,
        "not utf-8",
        &[
            ("OPENAI_API_KEY", "sk-env".into()),
            ("OPENAI_ORG_ID", OsString::from_vec(b"org-\xff".to_vec())),
        ],
    );
}

/// Run as root, a child could read any file: it runs without the
/// capabilities that skip file permission checks (dropped from its bounding
/// set before it starts; nothing to drop for another user).
#[test]
fn a_file_without_read_permission_is_named_as_such() {
    if let Ok(path) = std::env::var(CHILD) {
        let err = Client::builder()
            .api_key("sk-test")
            .base_url("https://127.0.0.1:9/v1")
            .mtls_client_cert_file(&path)
            .mtls_client_key_file(&path)
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("{path} is not readable")), "{err}");
        return;
    }
    use std::os::unix::fs::PermissionsExt as _;
    use std::os::unix::process::CommandExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("client.pem");
    std::fs::write(&path, "not read").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "process::a_file_without_read_permission_is_named_as_such",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD, &path);
    // SAFETY: prctl only, between fork and exec.
    unsafe {
        command.pre_exec(|| {
            // CAP_DAC_OVERRIDE (1) and CAP_DAC_READ_SEARCH (2); failing is
            // fine for a user who never had them.
            for capability in [1, 2] {
                libc::prctl(libc::PR_CAPBSET_DROP, capability, 0, 0, 0);
            }
            Ok(())
        });
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
}
