//! [`Call`]: what a generated operation method returns, and the kinds of
//! reply it can read ([`Json`], [`Empty`], [`Text`], [`Stream`]).

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;

use futures_util::FutureExt;
use serde::de::DeserializeOwned;

use super::{ApiResponse, ByteStream, Client, Error, Request, Result};

/// One API call: its request, built when the operation method was called,
/// and not sent until the call is awaited.
///
/// Await it for the reply's value, or await [`Call::with_response`] for the
/// value with the reply's status, headers and request id. An argument the
/// request could not be built from (an empty path id, a header value with a
/// line break) is an [`Error::InvalidArgument`] when the call is awaited;
/// nothing is sent then.
///
/// `T` is the value the reply holds and `K` how it is read: [`Json`] (the
/// default) decodes it as `T`, [`Empty`] expects no body, [`Text`] reads
/// UTF-8 text and [`Stream`] hands over the body as a [`ByteStream`].
///
/// ```no_run
/// use openai_runtime::{Call, Client, Method, Request};
///
/// # async fn run(client: Client) -> openai_runtime::Result<()> {
/// let models = || Call::<serde_json::Value>::new(&client, || {
///     Ok(Request::new(Method::GET, "/models".into()))
/// });
/// let list = models().await?;
/// let reply = models().with_response().await?;
/// println!("{list} ({}, request id {:?})", reply.status, reply.request_id);
/// # Ok(()) }
/// ```
#[must_use = "a call sends nothing until it is awaited"]
pub struct Call<'c, T, K = Json> {
    client: &'c Client,
    request: Result<Request>,
    reply: PhantomData<fn() -> (T, K)>,
}

impl<'c, T, K: Decode<T>> Call<'c, T, K> {
    /// The call of the request `build` returns (an error it returns is the
    /// call's result), sent through `client`.
    pub fn new(client: &'c Client, build: impl FnOnce() -> Result<Request>) -> Self {
        Self {
            client,
            request: build(),
            reply: PhantomData,
        }
    }

    /// The request as it will be sent, or why it could not be built.
    pub fn request(&self) -> std::result::Result<&Request, &Error> {
        self.request.as_ref()
    }

    /// The request as it would be sent, or why it could not be built, for a
    /// caller that sends it on terms of its own.
    pub fn into_request(self) -> Result<Request> {
        self.request
    }

    /// Sends the request; the reply's value with its status, headers,
    /// request id and (but for a [`Stream`]) its body as received.
    pub async fn with_response(self) -> Result<ApiResponse<T>> {
        K::execute(self.client, self.request?).await
    }
}

impl<'c, T> Call<'c, T, Json> {
    /// The same call, its reply decoded as `U` instead of `T`: a type that
    /// reads fewer fields, or reads them more leniently, or
    /// [`serde::de::IgnoredAny`] for a caller that wants the bytes
    /// ([`ApiResponse::body`]) checked as JSON and nothing decoded.
    pub fn decode_as<U>(self) -> Call<'c, U, Json> {
        Call {
            client: self.client,
            request: self.request,
            reply: PhantomData,
        }
    }
}

impl<'c, T: Send + 'c, K: Decode<T> + 'c> IntoFuture for Call<'c, T, K> {
    type Output = Result<T>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T>> + Send + 'c>>;

    fn into_future(self) -> Self::IntoFuture {
        // The reply's future boxed as it is, without an `async` block
        // around it: one state machine fewer to build and move.
        match self.request {
            Ok(request) => Box::pin(
                K::execute(self.client, request)
                    .map(|response| response.map(ApiResponse::into_data)),
            ),
            Err(error) => Box::pin(std::future::ready(Err(error))),
        }
    }
}

impl<T, K> fmt::Debug for Call<'_, T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

/// How a [`Call`] reads a reply as `T`: one of [`Json`], [`Empty`],
/// [`Text`] and [`Stream`].
pub trait Decode<T>: sealed::Sealed {
    /// Sends `request` and reads the reply.
    #[doc(hidden)]
    fn execute(
        client: &Client,
        request: Request,
    ) -> impl Future<Output = Result<ApiResponse<T>>> + Send;
}

mod sealed {
    pub trait Sealed {}
}

/// A JSON reply, decoded as `T` in one pass; when that fails, the error
/// names the bad value by its JSON pointer.
#[derive(Debug)]
pub enum Json {}

/// A reply without a body: `()`. A body sent anyway is ignored.
#[derive(Debug)]
pub enum Empty {}

/// A text reply (`text/plain`, `application/sdp`): a `String`.
#[derive(Debug)]
pub enum Text {}

/// A binary reply, streamed: a [`ByteStream`], never held whole.
#[derive(Debug)]
pub enum Stream {}

impl sealed::Sealed for Json {}
impl sealed::Sealed for Empty {}
impl sealed::Sealed for Text {}
impl sealed::Sealed for Stream {}

impl<T: DeserializeOwned + Send> Decode<T> for Json {
    fn execute(
        client: &Client,
        request: Request,
    ) -> impl Future<Output = Result<ApiResponse<T>>> + Send {
        client.execute(request)
    }
}

impl Decode<()> for Empty {
    fn execute(
        client: &Client,
        request: Request,
    ) -> impl Future<Output = Result<ApiResponse<()>>> + Send {
        client.execute_empty(request)
    }
}

impl Decode<String> for Text {
    fn execute(
        client: &Client,
        request: Request,
    ) -> impl Future<Output = Result<ApiResponse<String>>> + Send {
        client.execute_text(request)
    }
}

impl Decode<ByteStream> for Stream {
    fn execute(
        client: &Client,
        request: Request,
    ) -> impl Future<Output = Result<ApiResponse<ByteStream>>> + Send {
        client.execute_bytes_stream(request)
    }
}
