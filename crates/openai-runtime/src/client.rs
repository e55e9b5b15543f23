//! [`Client`]: sends requests, retries, decodes replies and maps errors.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;

use super::body::{self, ByteStream, StreamContext};
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
    /// Accept, User-Agent, org and project, with `Authorization` for the
    /// API key; `None` without one.
    pub(super) api_headers: Option<HeaderMap>,
    /// The same with the admin key, for admin requests only.
    pub(super) admin_headers: Option<HeaderMap>,
    /// `Bearer <key>`, marked sensitive; for requests that are not admin requests.
    pub(super) api_key: Option<HeaderValue>,
    /// `Bearer <admin key>`, marked sensitive; for admin requests only.
    pub(super) admin_api_key: Option<HeaderValue>,
    pub(super) organization: Option<String>,
    pub(super) project: Option<String>,
    pub(super) max_retries: u32,
    pub(super) timeout: Duration,
    pub(super) connect_timeout: Duration,
    pub(super) max_response_size: u64,
    pub(super) max_download_size: Option<u64>,
    /// The proxy the environment sets for the base URL (`host:port`), to
    /// name in errors; `None` for none, or for a caller's own `http_client`.
    pub(super) proxy: Option<String>,
    pub(super) debug: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let redacted = |key: &Option<HeaderValue>| key.as_ref().map(|_| "<REDACTED>");
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("api_key", &redacted(&inner.api_key))
            .field("admin_api_key", &redacted(&inner.admin_api_key))
            .field("organization", &inner.organization)
            .field("project", &inner.project)
            .field("max_retries", &inner.max_retries)
            .field("timeout", &inner.timeout)
            .field("connect_timeout", &inner.connect_timeout)
            .field("max_response_size", &inner.max_response_size)
            .field("max_download_size", &inner.max_download_size)
            .field("proxy", &inner.proxy)
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

/// An attempt that failed: the error to report, the reply's headers (for
/// the wait the server asks for) and whether trying again could help.
struct Failure {
    error: Error,
    headers: Option<HeaderMap>,
    again: bool,
}

/// An attempt judged: done, or failed with the verdict on trying again.
enum Judged {
    Done(Outcome),
    Failed(Failure),
}

/// How an attempt ended: a reply read whole, or a 2xx whose body is streamed.
enum Outcome {
    Read(Reply),
    Streaming {
        status: StatusCode,
        headers: HeaderMap,
        response: reqwest::Response,
    },
}

impl Client {
    /// A [`ClientBuilder`] with nothing set (the environment is not read).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from `OPENAI_API_KEY`, `OPENAI_ADMIN_KEY` (one of
    /// them required), `OPENAI_BASE_URL`, `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID`.
    pub fn from_env() -> Result<Self> {
        ClientBuilder::from_env().build()
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Feeds `feed` what identifies the account requests are made as: the
    /// API key, the organization and the project, each followed by a zero
    /// byte. For a caller that keys state by account with a hash of these
    /// (the uploader's journal); never store or show what is fed.
    #[doc(hidden)]
    pub fn feed_identity(&self, feed: &mut dyn FnMut(&[u8])) {
        let inner = &self.inner;
        let key = inner.api_key.as_ref().map(HeaderValue::as_bytes);
        for part in [
            key.unwrap_or_default(),
            inner.organization.as_deref().unwrap_or_default().as_bytes(),
            inner.project.as_deref().unwrap_or_default().as_bytes(),
        ] {
            feed(part);
            feed(&[0]);
        }
    }

    /// Retries after the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.inner.max_retries
    }

    /// The per-attempt timeout.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The connect timeout (TCP connect and TLS handshake).
    pub fn connect_timeout(&self) -> Duration {
        self.inner.connect_timeout
    }

    /// Sends `request`, retrying as configured, and decodes a 2xx body as
    /// `T`, in one pass; a decoding error names the bad value by its JSON
    /// pointer (`at /file/bytes: invalid type: ...`).
    ///
    /// A [`Call`](crate::Call) that reads JSON calls it. The body is read up
    /// to [`ClientBuilder::max_response_size`].
    #[doc(hidden)]
    pub async fn execute<T: DeserializeOwned>(&self, request: Request) -> Result<ApiResponse<T>> {
        match self.send(&request, false).await? {
            Outcome::Read(reply) => decode(reply),
            Outcome::Streaming { .. } => Err(internal_error()),
        }
    }

    /// Sends `request`, retrying as configured until a 2xx reply's headers
    /// arrive, and returns its body as a [`ByteStream`], for binary downloads:
    /// it is never held in memory whole. `body` in the returned
    /// [`ApiResponse`] is empty. A non-2xx reply is an [`Error::Api`] as for
    /// [`execute`](Self::execute).
    ///
    /// The per-attempt timeout covers the wait for the headers, then each
    /// chunk; [`ClientBuilder::max_download_size`] bounds the body.
    #[doc(hidden)]
    pub async fn execute_bytes_stream(&self, request: Request) -> Result<ApiResponse<ByteStream>> {
        let (idle, limit) = (self.inner.timeout, self.inner.max_download_size);
        self.execute_streaming(request, Some(idle), limit).await
    }

    /// [`execute_bytes_stream`](Self::execute_bytes_stream) with the wait
    /// for each chunk and the size limit chosen by the caller (an event
    /// stream has its own of both).
    pub(crate) async fn execute_streaming(
        &self,
        request: Request,
        idle_timeout: Option<Duration>,
        limit: Option<u64>,
    ) -> Result<ApiResponse<ByteStream>> {
        let Outcome::Streaming {
            status,
            headers,
            response,
        } = self.send(&request, true).await?
        else {
            return Err(internal_error());
        };
        let inner = self.inner.clone();
        let url = inner.url(&request);
        let (method, path) = (request.method.clone(), request.path_and_query());
        let context = StreamContext {
            method: method.clone(),
            path: path.clone(),
            status,
            idle_timeout,
            limit,
        };
        let stream = ByteStream::new(response, context, move |err| {
            inner.transport_error(err, &method, &path, &url)
        });
        Ok(ApiResponse {
            data: stream,
            status,
            request_id: request_id(&headers),
            headers,
            body: Bytes::new(),
        })
    }

    /// Sends with retries; `stream` leaves a 2xx body unread.
    async fn send(&self, request: &Request, stream: bool) -> Result<Outcome> {
        let inner = &*self.inner;
        let headers = inner.headers_for(request)?;
        let replayable = request.is_idempotent();
        let mut retry = 0;
        loop {
            let started = inner.debug.then(Instant::now);
            let result = self.attempt(request, headers, retry, stream).await;
            let failure = match judge(request, result, replayable, started) {
                Judged::Done(outcome) => return Ok(outcome),
                Judged::Failed(failure) => failure,
            };
            if !failure.again || retry >= inner.max_retries {
                return Err(failure.error);
            }
            let headers = failure.headers.as_ref();
            let wait = retry::wait(retry, headers, SystemTime::now(), fastrand::f64());
            if inner.debug {
                log::retry(wait);
            }
            tokio::time::sleep(wait).await;
            retry = retry.saturating_add(1);
        }
    }

    /// Sends `request` once, without the client's retries, for a caller
    /// that retries on terms of its own (the uploader retries each Part,
    /// whose replay is harmless). `retry` is how many attempts came before.
    ///
    /// On failure, [`FailedAttempt::retry_after`] says whether trying again
    /// could help, judged as for a request that may be replayed (connection
    /// errors, timeouts, 408, 429 and 5xx replies, 409 unless the request
    /// says otherwise, or what `x-should-retry` says), and how long to wait
    /// first: the server's `retry-after-ms` or `retry-after` (up to 60 s),
    /// else the client's backoff with jitter for retry number `retry + 1`.
    #[doc(hidden)]
    pub async fn execute_once<T: DeserializeOwned>(
        &self,
        request: &Request,
        retry: u32,
    ) -> std::result::Result<ApiResponse<T>, FailedAttempt> {
        let inner = &*self.inner;
        let failed = |error| FailedAttempt::new(error, None);
        let headers = inner.headers_for(request).map_err(failed)?;
        let started = inner.debug.then(Instant::now);
        let result = self.attempt(request, headers, retry, false).await;
        match judge(request, result, true, started) {
            Judged::Done(Outcome::Read(reply)) => decode(reply).map_err(failed),
            Judged::Done(Outcome::Streaming { .. }) => Err(failed(internal_error())),
            Judged::Failed(failure) => {
                let wait = failure.again.then(|| {
                    let headers = failure.headers.as_ref();
                    retry::wait(retry, headers, SystemTime::now(), fastrand::f64())
                });
                Err(FailedAttempt::new(failure.error, wait))
            }
        }
    }

    async fn attempt(
        &self,
        request: &Request,
        keyed: &HeaderMap,
        retry: u32,
        stream: bool,
    ) -> Result<Outcome> {
        let inner = &*self.inner;
        let url = inner.url(request);
        let mut headers = keyed.clone();
        for (name, value) in &request.headers {
            // The client's key, always.
            if name != AUTHORIZATION {
                headers.insert(name.clone(), value.clone());
            }
        }
        // Files a multipart body reads, and how reading them failed.
        let read_errors =
            matches!(request.body, Some(Body::Multipart(_))).then(ReadErrors::default);
        let (mut http_request, logged_body) = match &request.body {
            None => (reqwest::Request::new(request.method.clone(), url), None),
            Some(Body::Json(body)) => {
                let mut http_request = reqwest::Request::new(request.method.clone(), url);
                headers.insert(
                    reqwest::header::CONTENT_TYPE,
                    reqwest::header::HeaderValue::from_static("application/json"),
                );
                *http_request.body_mut() = Some(body.clone().into());
                (http_request, inner.debug.then(|| body.clone()))
            }
            Some(Body::Multipart(form)) => {
                // A fresh form per attempt: the bytes are re-sent, files re-read.
                let read_errors = read_errors.as_ref().ok_or_else(internal_error)?;
                let mut http_request = inner
                    .http
                    .request(request.method.clone(), url)
                    .multipart(form.to_form(read_errors)?)
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
                http_request.url(),
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
                let unread = read_errors.as_ref().and_then(ReadErrors::take);
                unread.unwrap_or_else(|| {
                    let url = inner.url(request);
                    inner.transport_error(err, &request.method, &request.path_and_query(), &url)
                })
            };
            let mut response = inner.http.execute(http_request).await.map_err(transport)?;
            let status = response.status();
            let headers = std::mem::take(response.headers_mut());
            if stream && status.is_success() {
                return Ok(Outcome::Streaming {
                    status,
                    headers,
                    response,
                });
            }
            let (limit, kind) = if status.is_success() {
                (inner.max_response_size, body::JSON_LIMIT)
            } else {
                (
                    inner.max_response_size.min(body::MAX_ERROR_BODY),
                    body::ERROR_LIMIT,
                )
            };
            let Some(body) = body::read_bounded(&mut response, limit)
                .await
                .map_err(transport)?
            else {
                return Err(Error::ResponseTooLarge {
                    method: request.method.clone(),
                    path: request.path_and_query(),
                    status,
                    limit,
                    kind,
                });
            };
            Ok(Outcome::Read(Reply {
                status,
                headers,
                body,
            }))
        };
        // Boxed on its own: a call's future (which a Call boxes whole) stays
        // small enough for the allocator's fast path.
        match tokio::time::timeout(inner.timeout, Box::pin(exchange)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(inner.timeout_error(request)),
        }
    }
}

/// One attempt's result, logged when `started` (debug logging): a 2xx
/// reply, or why not with the verdict on trying again ([`retry::again`],
/// for both [`Client::send`] and [`Client::execute_once`]). `replayable`:
/// whether the request may be judged as one whose replay is harmless.
fn judge(
    request: &Request,
    result: Result<Outcome>,
    replayable: bool,
    started: Option<Instant>,
) -> Judged {
    if let Some(started) = started {
        match &result {
            Ok(Outcome::Read(reply)) => log::response(
                reply.status,
                &reply.headers,
                Some(&reply.body),
                started.elapsed(),
            ),
            Ok(Outcome::Streaming {
                status, headers, ..
            }) => log::response(*status, headers, None, started.elapsed()),
            Err(error) => log::failure(error, started.elapsed()),
        }
    }
    match result {
        Ok(Outcome::Read(reply)) if !reply.status.is_success() => {
            let failed = retry::Failed::Reply(reply.status, &reply.headers);
            let again = retry::again(failed, replayable, request.retry_conflicts);
            Judged::Failed(Failure {
                error: api_error(request, &reply),
                headers: Some(reply.headers),
                again,
            })
        }
        Ok(outcome) => Judged::Done(outcome),
        Err(error) => Judged::Failed(Failure {
            again: retry::again(
                retry::Failed::Error(&error),
                replayable,
                request.retry_conflicts,
            ),
            error,
            headers: None,
        }),
    }
}

/// `send` streams a 2xx body exactly when asked to, so the other outcome is
/// a bug; say so rather than panic.
fn internal_error() -> Error {
    Error::Config("internal error: a reply was streamed or read against the caller's wish".into())
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

    /// The headers `request` is sent with: `Authorization` with the admin
    /// key for admin requests, the API key for the others; never the other
    /// one.
    fn headers_for(&self, request: &Request) -> Result<&HeaderMap> {
        if request.admin {
            self.admin_headers.as_ref().ok_or_else(|| {
                Error::Config(
                    "this is an admin endpoint: it needs an admin API key \
                     (ClientBuilder::admin_api_key or OPENAI_ADMIN_KEY)"
                        .into(),
                )
            })
        } else {
            self.api_headers
                .as_ref()
                .ok_or_else(|| Error::Config(super::builder::MISSING_API_KEY.into()))
        }
    }

    fn timeout_error(&self, request: &Request) -> Error {
        Error::Timeout {
            method: request.method.clone(),
            path: request.path_and_query(),
            timeout: self.timeout,
        }
    }

    /// Maps a reqwest failure to the error that names the right party: the
    /// proxy, TLS, a redirect, the connect timeout, or the connection. The
    /// key is never part of it (reqwest errors carry the URL at most, and
    /// that is dropped too).
    pub(super) fn transport_error(
        &self,
        err: reqwest::Error,
        method: &Method,
        path: &str,
        url: &Url,
    ) -> Error {
        let method = method.clone();
        let path = path.to_owned();
        let host = match (url.host_str(), url.port_or_known_default()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            _ => String::new(),
        };
        if err.is_redirect() {
            let message = find::<super::tls::RedirectRefused>(&err)
                .map(ToString::to_string)
                .unwrap_or_else(|| format!("redirect failed: {}", innermost(&err)));
            return Error::Redirect {
                method,
                path,
                message,
            };
        }
        if err.is_timeout() {
            // reqwest's connect timeout is ours unless the caller gave their
            // own client (`proxy` is only known for ours; without a proxy
            // both look alike, and a caller's timeout is reported as such).
            return if err.is_connect() {
                Error::ConnectTimeout {
                    method,
                    path,
                    host: self.proxy.clone().unwrap_or(host),
                    timeout: self.connect_timeout,
                }
            } else {
                Error::Timeout {
                    method,
                    path,
                    timeout: self.timeout,
                }
            };
        }
        if let Some(message) = tls_failure(&err, url) {
            return Error::Tls {
                method,
                path,
                host,
                message,
                source: err.without_url(),
            };
        }
        let mut message = innermost(&err);
        if err.is_connect()
            && let Some(proxy) = &self.proxy
        {
            return Error::Proxy {
                method,
                path,
                proxy: proxy.clone(),
                message,
                source: err.without_url(),
            };
        }
        // A TLS server's alert where an HTTP status line should be parses as
        // "invalid HTTP version" (hyper names the kind only in its text).
        if url.scheme() == "http"
            && find::<hyper::Error>(&err)
                .is_some_and(|e| e.is_parse() && e.to_string().contains("version"))
        {
            message.push_str(
                "; the reply is not HTTP: if the server expects TLS, use an https:// base URL",
            );
        }
        Error::Connection {
            method,
            path,
            host,
            connect: err.is_connect(),
            message,
            source: err.without_url(),
        }
    }
}

/// The innermost cause's text, e.g. `Connection refused (os error 111)`.
fn innermost(err: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// The first error of type `E` in the chain, looking inside `io::Error`s too
/// (their `source` skips the error they wrap).
fn find<E: std::error::Error + 'static>(err: &reqwest::Error) -> Option<&E> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = cause {
        if let Some(found) = current.downcast_ref::<E>() {
            return Some(found);
        }
        cause = match current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(wrapped) => Some(wrapped),
            None => current.source(),
        };
    }
    None
}

/// The message for a TLS failure, with a hint when the cause is likely.
#[cfg(feature = "rustls")]
fn tls_failure(err: &reqwest::Error, url: &Url) -> Option<String> {
    let tls = find::<rustls::Error>(err)?;
    let mut message = tls.to_string();
    match tls {
        rustls::Error::InvalidMessage(_) if url.scheme() == "https" => message.push_str(
            "; the server does not seem to speak TLS: if it is plain HTTP, use an http:// base URL",
        ),
        rustls::Error::InvalidCertificate(_) => message
            .push_str("; to trust a private CA, set SSL_CERT_FILE to a PEM bundle that holds it"),
        _ => {}
    }
    Some(message)
}

#[cfg(not(feature = "rustls"))]
fn tls_failure(err: &reqwest::Error, _url: &Url) -> Option<String> {
    // native-tls: OpenSSL's verification failures, by their text.
    let text = innermost(err);
    text.contains("certificate verify failed").then_some(text)
}

/// How one attempt of [`Client::execute_once`] failed.
#[derive(Debug)]
pub struct FailedAttempt {
    /// What went wrong, as [`Client::execute`] would report it (boxed to
    /// keep results small).
    pub error: Box<Error>,
    /// When a retry could help, the wait before it; `None` when it cannot.
    pub retry_after: Option<Duration>,
}

impl FailedAttempt {
    fn new(error: Error, retry_after: Option<Duration>) -> Self {
        Self {
            error: Box::new(error),
            retry_after,
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

/// A 2xx reply's body decoded as `T`, in one pass straight into `T`. Only
/// when that fails is it read again, to explain: a syntax error or a
/// cut-off body is serde_json's own error (wherever a wrong-typed value came
/// before it), a wrong-typed value is named by its JSON pointer.
fn decode<T: DeserializeOwned>(reply: Reply) -> Result<ApiResponse<T>> {
    let decoded = serde_json::from_slice(&reply.body).map_err(|error| {
        if let Err(syntax) = serde_json::from_slice::<serde::de::IgnoredAny>(&reply.body) {
            return syntax;
        }
        match super::union::from_slice::<T>(&reply.body) {
            Err(placed) => placed,
            // Not expected: the same bytes decoded the second time.
            Ok(_) => error,
        }
    });
    match decoded {
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
            body: reply.body,
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
