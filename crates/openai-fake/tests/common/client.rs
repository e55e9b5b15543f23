//! A reqwest client for the fake, to see faults as a real HTTP client sees
//! them (plain HTTP: no TLS needed).

use std::time::Duration;

use openai_fake::{Fake, Upload};
use reqwest::multipart::{Form, Part};
use reqwest::{Response, header};
use serde_json::{Value, json};

pub struct Client {
    http: reqwest::Client,
    base: String,
    part_timeout: Duration,
}

/// How long requests other than Parts may take: long enough for any real
/// reply on a loaded machine.
const PATIENT: Duration = Duration::from_secs(30);

/// A reply read whole: status, headers and JSON body.
pub struct Reply {
    pub status: u16,
    pub headers: header::HeaderMap,
    pub body: Value,
}

impl Client {
    /// A client that gives up on a parts request after `part_timeout`
    /// (other requests get 30 s).
    pub fn new(fake: &Fake, part_timeout: Duration) -> Self {
        // Building a reqwest client needs a rustls provider even for plain HTTP; an
        // error only means one is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self {
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("a client"),
            base: fake.base_url(),
            part_timeout,
        }
    }

    pub async fn create(&self, bytes: u64) -> Upload {
        let body = json!({"filename": "a.bin", "purpose": "batch", "bytes": bytes, "mime_type": "application/octet-stream"});
        let reply = self
            .post_json("/uploads", &body)
            .await
            .expect("create answers");
        assert_eq!(reply.status, 200, "{}", reply.body);
        serde_json::from_value(reply.body).expect("an Upload")
    }

    /// Sends a Part; `Err` when no whole reply came back.
    pub async fn add_part(&self, upload_id: &str, data: &[u8]) -> reqwest::Result<Reply> {
        read(self.add_part_head(upload_id, data).await?).await
    }

    /// Sends a Part until it is stored; returns its id and the attempts.
    pub async fn add_part_retrying(&self, upload_id: &str, data: &[u8]) -> (String, usize) {
        for attempt in 1..=10 {
            if let Ok(reply) = self.add_part(upload_id, data).await
                && reply.status == 200
            {
                let id = reply.body["id"].as_str().expect("a part id");
                return (id.to_owned(), attempt);
            }
        }
        panic!("the part was never stored");
    }

    pub async fn complete(&self, upload_id: &str, body: &Value) -> reqwest::Result<Reply> {
        self.post_json(&format!("/uploads/{upload_id}/complete"), body)
            .await
    }

    pub async fn cancel(&self, upload_id: &str) -> reqwest::Result<Reply> {
        self.post_json(&format!("/uploads/{upload_id}/cancel"), &json!({}))
            .await
    }

    /// The reply's head only; the body is left to the caller.
    pub async fn add_part_head(&self, upload_id: &str, data: &[u8]) -> reqwest::Result<Response> {
        let form = Form::new().part("data", Part::bytes(data.to_vec()).file_name("blob"));
        self.http
            .post(format!("{}/uploads/{upload_id}/parts", self.base))
            .bearer_auth("sk-test")
            .multipart(form)
            .timeout(self.part_timeout)
            .send()
            .await
    }

    async fn post_json(&self, path: &str, body: &Value) -> reqwest::Result<Reply> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth("sk-test")
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .timeout(PATIENT)
            .send()
            .await?;
        read(response).await
    }
}

async fn read(response: Response) -> reqwest::Result<Reply> {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await?;
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// Asserts that a request got no reply at all: the connection ended, and
/// the client did not merely time out.
pub fn assert_no_reply<T>(result: reqwest::Result<T>) {
    let Err(error) = result else {
        panic!("a reply came back");
    };
    assert!(!error.is_timeout(), "timed out instead: {error:?}");
    assert!(error.is_request(), "not a request error: {error:?}");
    assert_eq!(error.status(), None, "{error:?}");
}

/// md5 of `data` as lowercase hex, computed independently of the fake.
pub fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `count` Parts of `len` bytes, each different from the others.
pub fn distinct_parts(count: u8, len: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| (0..len).map(|j| (j as u8).wrapping_mul(31) ^ i).collect())
        .collect()
}
