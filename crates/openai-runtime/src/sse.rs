//! Server-sent events (`text/event-stream`), read by the rules of the
//! WHATWG HTML standard's event-stream format, for OpenAI's streaming
//! replies.
//!
//! - [`Parser`]: the format itself, fed bytes as they come and giving
//!   [`Event`]s back; no I/O.
//! - [`EventStream`]: a `futures` [`Stream`] of [`Event`]s over a stream of
//!   byte chunks (a [`ByteStream`], or anything else), with a cap on the
//!   size of one event, an idle timeout, the end at `data: [DONE]`, and
//!   errors the server reports inside the stream turned into [`Error::Stream`].
//! - [`JsonStream`]: the same, each event's data decoded as JSON into `T`.
//! - [`Client::stream_events`] and [`Client::stream_json`]: send a
//!   [`Request`] and read its reply as one of those.
//!
//! ```no_run
//! # async fn run(client: openai_runtime::Client) -> openai_runtime::Result<()> {
//! use futures_util::StreamExt;
//! use openai_runtime::{Method, Request};
//!
//! let request = Request::new(Method::POST, "/chat/completions".into())
//!     .json(&serde_json::json!({"model": "m", "stream": true, "messages": []}))?;
//! let mut chunks = client.stream_json::<serde_json::Value>(request).await?;
//! while let Some(chunk) = chunks.next().await {
//!     println!("{}", chunk?);
//! }
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::error::{ApiErrorBody, snippet};
use crate::{ByteStream, Client, Error, Request, Result};

/// The default cap on one event's size: 16 MiB.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 << 20;

/// The default idle timeout: 10 minutes without a single byte.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// The data that marks the end of an OpenAI stream.
pub const DONE: &str = "[DONE]";

/// Bytes of a bad event kept in [`Error::Decode`] (as for whole replies).
const SNIPPET: usize = 512;

/// One server-sent event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// The `event:` field, when the event had a non-empty one (the standard
    /// calls an event without one a `message`).
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
    /// The last `id:` seen on the stream so far (an id carries over to the
    /// events after it until another one replaces it; an empty `id:`
    /// clears it).
    pub id: Option<String>,
    /// The last valid `retry:` seen on the stream so far: the reconnection
    /// delay the server asks for.
    pub retry: Option<Duration>,
}

impl Event {
    /// Decodes the data as JSON into `T`. A value of the wrong type is named
    /// by its JSON pointer (`at /choices/0/delta: invalid type: ...`).
    pub fn json<T: DeserializeOwned>(&self) -> std::result::Result<T, serde_json::Error> {
        crate::union::from_slice(self.data.as_bytes())
    }

    /// Whether this is the `[DONE]` marker.
    pub fn is_done(&self) -> bool {
        self.data == DONE
    }
}

/// The event-stream format as a state machine: [`feed`](Self::feed) it
/// bytes, split anywhere (inside a line, a CRLF pair or a UTF-8 character),
/// then take the completed events with [`next_event`](Self::next_event).
///
/// Lines end with CRLF, LF or a lone CR; a UTF-8 byte order mark at the
/// very start is dropped; lines starting with `:` are comments (keep-alives)
/// and are skipped; fields other than `event`, `data`, `id` and `retry` are
/// ignored; a blank line ends an event, and an event without any `data:`
/// line is not reported. Invalid UTF-8 becomes U+FFFD. An event cut off by
/// the end of the stream is dropped, as the standard says.
///
/// Memory stays within the cap on one event (plus one call's input): past
/// it, [`feed`](Self::feed) fails with [`Error::EventTooLarge`].
#[derive(Debug)]
pub struct Parser {
    /// The line being read, as bytes: a line end (CR or LF) is never inside
    /// a UTF-8 character, so a whole line always decodes whole.
    line: Vec<u8>,
    /// The last byte fed was a CR: an LF first thing next time belongs to it.
    after_cr: bool,
    /// No line has ended yet, so a BOM may still start the stream.
    at_start: bool,
    data: String,
    has_data: bool,
    event: String,
    last_id: Option<String>,
    retry: Option<Duration>,
    max_event_size: usize,
    ready: VecDeque<Event>,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_EVENT_SIZE)
    }
}

impl Parser {
    /// A parser that refuses events larger than `max_event_size` bytes
    /// (counting the line being read, the data so far and the event type).
    pub fn new(max_event_size: usize) -> Self {
        Self {
            line: Vec::new(),
            after_cr: false,
            at_start: true,
            data: String::new(),
            has_data: false,
            event: String::new(),
            last_id: None,
            retry: None,
            max_event_size,
            ready: VecDeque::new(),
        }
    }

    /// Reads `bytes`; complete events wait in [`next_event`](Self::next_event).
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        if std::mem::take(&mut self.after_cr) && bytes[0] == b'\n' {
            bytes = &bytes[1..];
        }
        while let Some(end) = bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.extend_line(&bytes[..end])?;
            self.end_line();
            if bytes[end] == b'\r' {
                match bytes.get(end + 1) {
                    Some(b'\n') => {
                        bytes = &bytes[end + 2..];
                        continue;
                    }
                    None => self.after_cr = true,
                    Some(_) => {}
                }
            }
            bytes = &bytes[end + 1..];
        }
        self.extend_line(bytes)
    }

    /// The next complete event, in order.
    pub fn next_event(&mut self) -> Option<Event> {
        self.ready.pop_front()
    }

    fn extend_line(&mut self, bytes: &[u8]) -> Result<()> {
        let size = self
            .line
            .len()
            .saturating_add(self.data.len())
            .saturating_add(self.event.len())
            .saturating_add(bytes.len());
        if size > self.max_event_size {
            return Err(Error::EventTooLarge {
                limit: self.max_event_size as u64,
            });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn end_line(&mut self) {
        let line = std::mem::take(&mut self.line);
        let mut text: &[u8] = &line;
        if std::mem::take(&mut self.at_start) {
            text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
        }
        self.process(text);
        // Keep the allocation for the next line.
        self.line = line;
        self.line.clear();
    }

    fn process(&mut self, line: &[u8]) {
        if line.is_empty() {
            self.dispatch();
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"event" => self.event = String::from_utf8_lossy(value).into_owned(),
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&String::from_utf8_lossy(value));
                self.has_data = true;
            }
            // The standard ignores an id holding NUL.
            b"id" if !value.contains(&0) => {
                self.last_id = (!value.is_empty()).then(|| String::from_utf8_lossy(value).into());
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // All ASCII digits, so UTF-8; only a value too large to hold fails.
                if let Some(ms) = std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok())
                {
                    self.retry = Some(Duration::from_millis(ms));
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self) {
        let event = std::mem::take(&mut self.event);
        if !std::mem::take(&mut self.has_data) {
            return;
        }
        self.ready.push_back(Event {
            event: (!event.is_empty()).then_some(event),
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
            retry: self.retry,
        });
    }
}

/// How an [`EventStream`] guards its reading.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// The cap on one event's size, in bytes; past it the stream ends with
    /// [`Error::EventTooLarge`]. Default [`DEFAULT_MAX_EVENT_SIZE`].
    pub max_event_size: usize,
    /// The longest silence allowed: no bytes at all, not even a keep-alive
    /// comment. Past it the stream ends with [`Error::StreamIdle`]. `None`
    /// waits forever. Default [`DEFAULT_IDLE_TIMEOUT`].
    ///
    /// This is separate from the client's per-attempt timeout, which a
    /// stream only has to meet for its headers: a long stream that keeps
    /// talking is not a hung one.
    pub idle_timeout: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_event_size: DEFAULT_MAX_EVENT_SIZE,
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
        }
    }
}

impl Options {
    /// Sets [`max_event_size`](Self::max_event_size).
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = bytes;
        self
    }

    /// Sets [`idle_timeout`](Self::idle_timeout).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// `data: [DONE]` arrived.
    Done,
    /// The bytes ran out before `[DONE]`.
    Ended,
    /// An error was reported; nothing follows it.
    Failed,
}

/// A `futures` [`Stream`] of the [`Event`]s read from a stream of byte
/// chunks; see the [module](self) for what it guards against.
///
/// It ends (yields `None`) at `data: [DONE]`, which is not itself yielded,
/// or when the bytes end; [`is_done`](Self::is_done) tells which. An
/// `event: error` event, or an event whose data is a JSON object with an
/// `error` object at the top, ends it with [`Error::Stream`]. After any
/// error it yields nothing more.
pub struct EventStream {
    source: Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>,
    parser: Parser,
    idle_timeout: Option<Duration>,
    /// Armed when the source first says "not yet" after giving bytes, so
    /// the time a slow consumer spends between polls never counts.
    idle: Option<Pin<Box<tokio::time::Sleep>>>,
    waiting: bool,
    state: State,
    status: StatusCode,
    headers: HeaderMap,
    request_id: Option<String>,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("state", &self.state)
            .field("status", &self.status)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl EventStream {
    /// Reads events from `bytes`, e.g. a [`ByteStream`] or an in-memory
    /// `futures_util::stream::iter` of chunks.
    pub fn new<S>(bytes: S, options: &Options) -> Self
    where
        S: Stream<Item = Result<Bytes>> + Send + 'static,
    {
        Self {
            source: Box::pin(bytes),
            parser: Parser::new(options.max_event_size),
            idle_timeout: options.idle_timeout,
            idle: None,
            waiting: false,
            state: State::Open,
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            request_id: None,
        }
    }

    /// Whether the stream ended with `data: [DONE]` (rather than the bytes
    /// simply running out, or an error).
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The HTTP status of the reply that carried the stream (200 when the
    /// stream did not come from [`Client::stream_events`]).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers of the reply that carried the stream.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The `x-request-id` of the reply that carried the stream.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Decodes each event's data as JSON into `T` instead.
    pub fn json<T: DeserializeOwned>(self) -> JsonStream<T> {
        JsonStream {
            events: self,
            _type: PhantomData,
        }
    }

    /// What to make of a complete event: pass it on, stop, or fail.
    fn judge(&mut self, event: Event) -> Option<Result<Event>> {
        if event.is_done() {
            self.state = State::Done;
            return None;
        }
        if let Some(error) = stream_error(&event, self.request_id.as_deref()) {
            self.state = State::Failed;
            return Some(Err(error));
        }
        Some(Ok(event))
    }

    fn fail(&mut self, error: Error) -> Poll<Option<Result<Event>>> {
        self.state = State::Failed;
        Poll::Ready(Some(Err(error)))
    }
}

impl Stream for EventStream {
    type Item = Result<Event>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.state != State::Open {
                return Poll::Ready(None);
            }
            if let Some(event) = this.parser.next_event() {
                return Poll::Ready(this.judge(event));
            }
            match this.source.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(bytes))) => {
                    this.waiting = false;
                    if let Err(error) = this.parser.feed(&bytes) {
                        return this.fail(error);
                    }
                }
                Poll::Ready(Some(Err(error))) => return this.fail(error),
                Poll::Ready(None) => {
                    this.state = State::Ended;
                    return Poll::Ready(None);
                }
                Poll::Pending => {
                    let Some(timeout) = this.idle_timeout else {
                        return Poll::Pending;
                    };
                    let deadline = tokio::time::Instant::now() + timeout;
                    let idle = this
                        .idle
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                    if !std::mem::replace(&mut this.waiting, true) {
                        idle.as_mut().reset(deadline);
                    }
                    if idle.as_mut().poll(cx).is_ready() {
                        return this.fail(Error::StreamIdle { timeout });
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

/// The error an event reports, if it reports one.
fn stream_error(event: &Event, request_id: Option<&str>) -> Option<Error> {
    let error_event = event.event.as_deref() == Some("error");
    if !error_event {
        // Cheap checks first: most events are large and error-free.
        let maybe = event.data.trim_start().starts_with('{') && event.data.contains("\"error\"");
        if !maybe {
            return None;
        }
        #[derive(Deserialize)]
        struct Probe<'a> {
            #[serde(borrow, default)]
            error: Option<&'a RawValue>,
        }
        let probe: Probe<'_> = serde_json::from_str(&event.data).ok()?;
        if !probe.error?.get().starts_with('{') {
            return None;
        }
    }
    Some(Error::Stream {
        event: event.event.clone(),
        body: ApiErrorBody::parse(event.data.as_bytes()).map(Box::new),
        raw: event.data.clone(),
        request_id: request_id.map(str::to_owned),
    })
}

/// A `futures` [`Stream`] of each event's data decoded as JSON into `T`;
/// made by [`EventStream::json`] or [`Client::stream_json`]. It ends and
/// fails as its [`EventStream`] does; an event that does not decode is an
/// [`Error::Decode`] naming the bad value's JSON pointer, and ends it too.
pub struct JsonStream<T> {
    events: EventStream,
    _type: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for JsonStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("JsonStream").field(&self.events).finish()
    }
}

impl<T> JsonStream<T> {
    /// The events underneath, for [`EventStream::is_done`],
    /// [`EventStream::request_id`] and the like.
    pub fn events(&self) -> &EventStream {
        &self.events
    }

    /// The events underneath, undecoded from here on.
    pub fn into_events(self) -> EventStream {
        self.events
    }
}

impl<T: DeserializeOwned> Stream for JsonStream<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let event = match Pin::new(&mut this.events).poll_next(cx) {
            Poll::Ready(Some(Ok(event))) => event,
            Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => return Poll::Pending,
        };
        Poll::Ready(Some(match event.json() {
            Ok(value) => Ok(value),
            Err(source) => {
                this.events.state = State::Failed;
                Err(Error::Decode {
                    source,
                    snippet: snippet(event.data.as_bytes(), SNIPPET),
                    body: Bytes::from(event.data),
                    request_id: this.events.request_id.clone(),
                    status: this.events.status,
                })
            }
        }))
    }
}

impl Client {
    /// Sends `request` and reads the reply as server-sent events, with the
    /// default [`Options`].
    ///
    /// It asks for `Accept: text/event-stream` (unless the request names
    /// an `Accept` of its own). Retries, as configured, happen only until a
    /// reply's headers arrive; once events flow, nothing is sent again. A
    /// non-2xx reply is an [`Error::Api`] as for every other call. The
    /// per-attempt timeout covers the wait for the headers; after that
    /// [`Options::idle_timeout`] watches the stream.
    pub async fn stream_events(&self, request: Request) -> Result<EventStream> {
        self.stream_events_with(request, &Options::default()).await
    }

    /// [`stream_events`](Self::stream_events) with `options`.
    pub async fn stream_events_with(
        &self,
        mut request: Request,
        options: &Options,
    ) -> Result<EventStream> {
        if !request.headers.iter().any(|(name, _)| name == ACCEPT) {
            request
                .headers
                .push((ACCEPT, HeaderValue::from_static("text/event-stream")));
        }
        // The stream watches its own silences, and its size is bounded per
        // event rather than in total.
        let response = self.execute_streaming(request, None, None).await?;
        let mut events = EventStream::new::<ByteStream>(response.data, options);
        events.status = response.status;
        events.headers = response.headers;
        events.request_id = response.request_id;
        Ok(events)
    }

    /// [`stream_events`](Self::stream_events), each event's data decoded
    /// as JSON into `T`.
    pub async fn stream_json<T: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<JsonStream<T>> {
        Ok(self.stream_events(request).await?.json())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event from `input` fed in pieces of `size` bytes.
    fn parse_in_pieces(input: &[u8], size: usize) -> Vec<Event> {
        let mut parser = Parser::default();
        for piece in input.chunks(size) {
            parser.feed(piece).unwrap();
        }
        std::iter::from_fn(|| parser.next_event()).collect()
    }

    /// The events from `input`, the same whichever way it is split.
    fn parse(input: &[u8]) -> Vec<Event> {
        let whole = parse_in_pieces(input, input.len().max(1));
        for size in 1..input.len().min(8) {
            assert_eq!(parse_in_pieces(input, size), whole, "pieces of {size}");
        }
        // Every split into two pieces too.
        for cut in 0..=input.len() {
            let mut parser = Parser::default();
            parser.feed(&input[..cut]).unwrap();
            parser.feed(&input[cut..]).unwrap();
            let events: Vec<Event> = std::iter::from_fn(|| parser.next_event()).collect();
            assert_eq!(events, whole, "cut at {cut}");
        }
        whole
    }

    fn data(events: &[Event]) -> Vec<&str> {
        events.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn joins_data_lines_with_newlines() {
        let events = parse(b"data: a\ndata:b\ndata:  c\ndata\n\n");
        assert_eq!(data(&events), ["a\nb\n c\n"]);
        assert_eq!(events[0].event, None);
    }

    #[test]
    fn reads_every_line_ending() {
        for input in [
            &b"event: e\r\ndata: x\r\n\r\ndata: y\r\n\r\n"[..],
            b"event: e\rdata: x\r\rdata: y\r\r",
            b"event: e\ndata: x\n\ndata: y\n\n",
            b"event: e\r\ndata: x\r\rdata: y\n\r\n",
        ] {
            let events = parse(input);
            assert_eq!(data(&events), ["x", "y"], "{input:?}");
            assert_eq!(events[0].event.as_deref(), Some("e"));
            assert_eq!(events[1].event, None, "the type is per event");
        }
    }

    #[test]
    fn a_cr_at_the_end_of_one_read_and_lf_at_the_start_of_the_next_is_one_line_end() {
        let mut parser = Parser::default();
        parser.feed(b"data: a\r").unwrap();
        parser.feed(b"\n").unwrap();
        // Had the LF counted as a second line end, the event would be out.
        assert_eq!(parser.next_event(), None);
        parser.feed(b"\r\n").unwrap();
        assert_eq!(parser.next_event().unwrap().data, "a");
    }

    #[test]
    fn skips_comments_and_unknown_fields() {
        let events = parse(b": keep-alive\n\n:\ndata: x\n: inside\nfoo: bar\n\n: bye\n\n");
        assert_eq!(data(&events), ["x"]);
    }

    #[test]
    fn an_event_without_data_is_not_reported() {
        let events = parse(b"event: lonely\n\ndata: x\n\n");
        assert_eq!(data(&events), ["x"]);
        assert_eq!(
            events[0].event, None,
            "the type of the dropped event is gone"
        );
        // An empty data line still makes an event, with empty data.
        assert_eq!(data(&parse(b"data:\n\n")), [""]);
    }

    #[test]
    fn strips_a_leading_bom_once() {
        let events = parse(b"\xEF\xBB\xBFdata: x\n\n");
        assert_eq!(data(&events), ["x"]);
        // Only at the very start: later it is part of a field name.
        let events = parse(b"data: x\n\n\xEF\xBB\xBFdata: y\n\n");
        assert_eq!(data(&events), ["x"]);
    }

    #[test]
    fn multibyte_characters_survive_any_split() {
        let input = "data: héllo 中文 🎉\n\n".as_bytes();
        assert_eq!(data(&parse(input)), ["héllo 中文 🎉"]);
        // Byte by byte, explicitly.
        assert_eq!(data(&parse_in_pieces(input, 1)), ["héllo 中文 🎉"]);
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        assert_eq!(data(&parse(b"data: a\xffb\n\n")), ["a\u{fffd}b"]);
    }

    #[test]
    fn ids_carry_over_and_retry_is_read() {
        let events = parse(b"id: 1\nretry: 1500\ndata: a\n\ndata: b\n\nid\ndata: c\n\nretry: x\nid: a\0b\ndata: d\n\n");
        let ids: Vec<_> = events.iter().map(|e| e.id.as_deref()).collect();
        assert_eq!(ids, [Some("1"), Some("1"), None, None]);
        assert!(
            events
                .iter()
                .all(|e| e.retry == Some(Duration::from_millis(1500)))
        );
        // Only ASCII digits count: a sign, a space or nothing is ignored.
        let events = parse(
            b"retry: 7
retry: +5
retry:
retry: 1 2
data: e

",
        );
        assert_eq!(events[0].retry, Some(Duration::from_millis(7)));
    }

    #[test]
    fn an_unfinished_event_at_the_end_is_dropped() {
        assert_eq!(data(&parse(b"data: a\n\ndata: b\n")), ["a"]);
    }

    #[test]
    fn the_cap_bounds_one_event() {
        let mut parser = Parser::new(16);
        parser.feed(b"data: 0123456789\n\n").unwrap();
        assert_eq!(parser.next_event().unwrap().data, "0123456789");
        // Many short lines add up, too.
        let err = (0..10)
            .try_for_each(|_| parser.feed(b"data: abc\n"))
            .unwrap_err();
        assert!(matches!(err, Error::EventTooLarge { limit: 16 }), "{err:?}");
        let mut parser = Parser::new(16);
        let err = parser.feed(&[b'x'; 1000]).unwrap_err();
        assert!(matches!(err, Error::EventTooLarge { .. }), "{err:?}");
        assert!(
            parser.line.capacity() < 1000,
            "nothing past the cap is kept"
        );
    }

    #[test]
    fn errors_are_found_only_where_they_are() {
        let event = |name: Option<&str>, data: &str| Event {
            event: name.map(str::to_owned),
            data: data.into(),
            ..Event::default()
        };
        let found = stream_error(
            &event(
                None,
                r#"{"error":{"message":"overloaded","type":"server_error"}}"#,
            ),
            Some("req_1"),
        )
        .unwrap();
        assert_eq!(
            found.to_string(),
            "the stream reported an error: overloaded (request id req_1)"
        );
        let found = stream_error(&event(Some("error"), "not json \x1b[31m"), None).unwrap();
        assert_eq!(
            found.to_string(),
            r"the stream reported an error: not json \u{1b}[31m"
        );
        for quiet in [
            r#"{"error":null,"x":1}"#,
            r#"{"error":"text"}"#,
            r#"{"response":{"error":{"message":"nested"}}}"#,
            r#"{"delta":"\"error\""}"#,
            "[1]",
        ] {
            assert!(stream_error(&event(None, quiet), None).is_none(), "{quiet}");
        }
    }
}
