//! [`Client`]: sends requests, retries, decodes replies and maps errors.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;

use super::error::{ApiErrorBody, snippet};
use super::multipart::ReadErrors;
use super::request::Body;
use super::{ApiResponse, ClientBuilder, Error, Request, Result, log, retry};

/// Bytes of a bad 2xx body kept in [`Error::Decode`].
const DECODE_SNIPPET: usize = 512;

/// An OpenAI API client. Cheap to clone: clones share one configuration and
/// one connection pool.
///
/// Build one with [`Client::from_env`] or [`Client::builder`]. A generated
/// library wraps it in its own client type, which adds the resource methods
/// and dereferences to this one.
#[derive(Clone)]
pub struct Client {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) http: reqwest::Client,
    /// Parsed once; each call only swaps in its path.
    pub(super) base: Url,
    /// The base URL's path without trailing slashes, e.g. `/v1`.
    pub(super) base_path: String,
    /// The base URL as shown, without a trailing slash.
    pub(super) base_url: String,
    /// Authorization (marked sensitive), Accept, User-Agent, org and project.
    pub(super) headers: HeaderMap,
    pub(super) organization: Option<String>,
    pub(super) project: Option<String>,
    pub(super) max_retries: u32,
    pub(super) timeout: Duration,
    pub(super) debug: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("api_key", &"<REDACTED>")
            .field("organization", &inner.organization)
            .field("project", &inner.project)
            .field("max_retries", &inner.max_retries)
            .field("timeout", &inner.timeout)
            .field("debug", &inner.debug)
            .finish()
    }
}

/// One attempt's reply, body read.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Client {
    /// A [`ClientBuilder`] with nothing set (the environment is not read).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from `OPENAI_API_KEY` (required), `OPENAI_BASE_URL`,
    /// `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID`.
    pub fn from_env() -> Result<Self> {
        ClientBuilder::from_env().build()
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Retries after the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.inner.max_retries
    }

    /// The per-attempt timeout.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Sends `request`, retrying as configured, and decodes a 2xx body as `T`.
    ///
    /// This is the one place that talks to the network; the generated
    /// resource methods call it.
    #[doc(hidden)]
    pub async fn execute<T: DeserializeOwned>(&self, request: Request) -> Result<ApiResponse<T>> {
        let inner = &*self.inner;
        let url = inner.url(&request);
        let mut retry = 0;
        loop {
            let started = Instant::now();
            let headers = match self.attempt(&request, &url, retry).await {
                Ok(reply) => {
                    if inner.debug {
                        log::response(reply.status, &reply.headers, &reply.body, started.elapsed());
                    }
                    if reply.status.is_success() {
                        return decode(reply);
                    }
                    let again = if request.is_idempotent() {
                        retry::should_retry(reply.status, &reply.headers)
                    } else {
                        retry::should_retry_refused(reply.status, &reply.headers)
                    };
                    if !again || retry >= inner.max_retries {
                        return Err(api_error(&request, &reply));
                    }
                    Some(reply.headers)
                }
                Err(error) => {
                    if inner.debug {
                        log::failure(&error, started.elapsed());
                    }
                    let again = if request.is_idempotent() {
                        error.is_retryable()
                    } else {
                        // Only when the request cannot have reached the server.
                        matches!(error, Error::Connection { connect: true, .. })
                    };
                    if !again || retry >= inner.max_retries {
                        return Err(error);
                    }
                    None
                }
            };
            let wait = retry::wait(retry, headers.as_ref(), SystemTime::now(), fastrand::f64());
            if inner.debug {
                log::retry(wait);
            }
            tokio::time::sleep(wait).await;
            retry = retry.saturating_add(1);
        }
    }

    async fn attempt(&self, request: &Request, url: &Url, retry: u32) -> Result<Reply> {
        let inner = &*self.inner;
        let mut headers = inner.headers.clone();
        let read_errors = ReadErrors::default();
        let (mut http_request, logged_body) = match &request.body {
            None => (
                reqwest::Request::new(request.method.clone(), url.clone()),
                None,
            ),
            Some(Body::Json(body)) => {
                let mut http_request = reqwest::Request::new(request.method.clone(), url.clone());
                headers.insert(
                    reqwest::header::CONTENT_TYPE,
                    reqwest::header::HeaderValue::from_static("application/json"),
                );
                *http_request.body_mut() = Some(body.clone().into());
                (http_request, inner.debug.then(|| body.clone()))
            }
            Some(Body::Multipart(form)) => {
                // A fresh form per attempt: the bytes are re-sent, files re-read.
                let mut http_request = inner
                    .http
                    .request(request.method.clone(), url.clone())
                    .multipart(form.to_form(&read_errors)?)
                    .build()
                    .map_err(|err| Error::Config(format!("could not build the request: {err}")))?;
                // Content type with the boundary, and the length.
                headers.extend(http_request.headers_mut().drain());
                (
                    http_request,
                    inner.debug.then(|| Bytes::from(form.describe())),
                )
            }
        };
        if inner.debug {
            log::request(
                &request.method,
                url,
                &headers,
                logged_body.as_deref(),
                retry.saturating_add(1),
                inner.max_retries.saturating_add(1),
            );
        }
        *http_request.headers_mut() = headers;

        // One timer around the whole exchange, body included. Cheaper than
        // reqwest's per-request timeout, which boxes a timer and wraps the body.
        let exchange = async {
            // A file that could not be read explains the broken request best.
            let transport = |err| {
                read_errors
                    .take()
                    .unwrap_or_else(|| inner.transport_error(err, request, url))
            };
            let mut response = inner.http.execute(http_request).await.map_err(transport)?;
            let status = response.status();
            let headers = std::mem::take(response.headers_mut());
            let body = response.bytes().await.map_err(transport)?;
            Ok(Reply {
                status,
                headers,
                body,
            })
        };
        match tokio::time::timeout(inner.timeout, exchange).await {
            Ok(reply) => reply,
            Err(_) => Err(inner.timeout_error(request)),
        }
    }
}

impl Inner {
    fn url(&self, request: &Request) -> Url {
        let mut url = self.base.clone();
        let mut path = String::with_capacity(self.base_path.len() + request.path.len() + 1);
        path.push_str(&self.base_path);
        if !request.path.starts_with('/') {
            path.push('/');
        }
        path.push_str(&request.path);
        url.set_path(&path);
        url.set_query(request.query.as_deref());
        url
    }

    fn timeout_error(&self, request: &Request) -> Error {
        Error::Timeout {
            method: request.method.clone(),
            path: request.path_and_query(),
            timeout: self.timeout,
        }
    }

    /// Maps a reqwest failure; the key is never part of it (reqwest errors
    /// carry the URL at most, and that is dropped too).
    fn transport_error(&self, err: reqwest::Error, request: &Request, url: &Url) -> Error {
        if err.is_timeout() {
            // Only from a caller's own `http_client` with its own timeout.
            return self.timeout_error(request);
        }
        let method = request.method.clone();
        let path = request.path_and_query();
        let host = match (url.host_str(), url.port_or_known_default()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            _ => String::new(),
        };
        let mut cause: &dyn std::error::Error = &err;
        while let Some(source) = cause.source() {
            cause = source;
        }
        Error::Connection {
            method,
            path,
            host,
            connect: err.is_connect(),
            message: cause.to_string(),
            source: err.without_url(),
        }
    }
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
    headers
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn decode<T: DeserializeOwned>(reply: Reply) -> Result<ApiResponse<T>> {
    match serde_json::from_slice(&reply.body) {
        Ok(data) => Ok(ApiResponse {
            data,
            status: reply.status,
            request_id: request_id(&reply.headers),
            headers: reply.headers,
            body: reply.body,
        }),
        Err(source) => Err(Error::Decode {
            source,
            snippet: snippet(&reply.body, DECODE_SNIPPET),
            request_id: request_id(&reply.headers),
            status: reply.status,
        }),
    }
}

fn api_error(request: &Request, reply: &Reply) -> Error {
    Error::Api {
        status: reply.status,
        request_id: request_id(&reply.headers),
        method: request.method.clone(),
        path: request.path_and_query(),
        body: ApiErrorBody::parse(&reply.body).map(Box::new),
        raw: String::from_utf8_lossy(&reply.body).into_owned(),
    }
}
