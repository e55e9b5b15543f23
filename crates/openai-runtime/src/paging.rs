//! Auto-paging for list operations: every page of a list, or every item on
//! them, as a `futures` [`Stream`] that asks for the next page only when
//! polled past the current one.
//!
//! A list reply is a JSON object with the items in a list field (`data` by
//! default, see [`Pages::items_field`]); how the next page is asked for is
//! the [`Style`], which a generator picks from the operation's parameters
//! and reply fields. One call per list operation:
//!
//! ```no_run
//! # async fn run(client: openai_runtime::Client) -> openai_runtime::Result<()> {
//! use futures_util::TryStreamExt;
//! use openai_runtime::paging::{self, Style};
//! use openai_runtime::{Method, Request};
//!
//! let request = Request::new(Method::GET, "/files".into()).query_pair("limit", "100");
//! let files: Vec<serde_json::Value> = paging::items(&client, request, Style::after())
//!     .try_collect()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Items decode as any `T: DeserializeOwned`: a generated type, a
//! [`serde_json::Value`], or `Box<serde_json::value::RawValue>` to keep
//! each item exactly as the server sent it.
//!
//! Paging stops, rather than loop, at: a page whose `has_more` is false or
//! missing (for the cursor styles that use it), a page without items, a
//! missing or empty next token, and a cursor that was already used.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::error::snippet;
use crate::{ApiResponse, Client, Error, Request, Result};

/// Bytes of a bad page kept in [`Error::Decode`].
const SNIPPET: usize = 512;

/// How a list operation asks for its next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Style {
    /// The next request sets the query parameter `param` (usually `after`)
    /// to the `id` of the last item on the page, while the page's
    /// `has_more` is true.
    After {
        /// The query parameter, e.g. `after`.
        param: Cow<'static, str>,
    },
    /// The page names the next cursor in a field of its own (e.g.
    /// `last_id`), which the next request sends as the query parameter
    /// `param` (e.g. `after`), while the page's `has_more` is true.
    LastId {
        /// The query parameter, e.g. `after`.
        param: Cow<'static, str>,
        /// The reply field holding the cursor, e.g. `last_id`.
        field: Cow<'static, str>,
    },
    /// The page holds a token for the next page in `field` (e.g.
    /// `next_page`), which the next request sends as the query parameter
    /// `param`; no token (missing, `null` or empty) means no next page. A
    /// page that says `has_more: false` ends it too.
    NextToken {
        /// The query parameter, e.g. `page`.
        param: Cow<'static, str>,
        /// The reply field holding the token, e.g. `next_page`.
        field: Cow<'static, str>,
    },
    /// The list is one page; nothing more is asked for.
    Single,
}

impl Style {
    /// [`Style::After`] with the parameter `after`: OpenAI's usual cursor.
    pub fn after() -> Self {
        Self::After {
            param: Cow::Borrowed("after"),
        }
    }

    /// [`Style::LastId`]: the cursor from the reply field `field`, sent as
    /// the query parameter `param`.
    pub fn last_id(
        param: impl Into<Cow<'static, str>>,
        field: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::LastId {
            param: param.into(),
            field: field.into(),
        }
    }

    /// [`Style::NextToken`]: the token from the reply field `field`, sent as
    /// the query parameter `param`.
    pub fn next_token(
        param: impl Into<Cow<'static, str>>,
        field: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::NextToken {
            param: param.into(),
            field: field.into(),
        }
    }

    /// The query parameter that carries the cursor, if any.
    pub fn param(&self) -> Option<&str> {
        match self {
            Self::After { param } | Self::LastId { param, .. } | Self::NextToken { param, .. } => {
                Some(param)
            }
            Self::Single => None,
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items, in the order received.
    pub items: Vec<T>,
    /// The page's `has_more`, `false` when it has none.
    pub has_more: bool,
    /// The cursor the next page would be asked for with; `None` when this
    /// is the last page.
    pub next_cursor: Option<String>,
    /// The HTTP status.
    pub status: StatusCode,
    /// The `x-request-id` header.
    pub request_id: Option<String>,
    /// The page as received.
    pub body: Bytes,
}

/// Builds the request for a page from the cursor (`None` for the first).
type MakeRequest = Box<dyn FnMut(Option<&str>) -> Result<Request> + Send>;

type PageStream<T> = Pin<Box<dyn Stream<Item = Result<Page<T>>> + Send>>;

/// A `futures` [`Stream`] of the pages of a list, fetched one at a time as
/// it is polled; made by [`pages`] or [`pages_with`]. Errors end it.
pub struct Pages<T> {
    /// Until first polled, what is needed to start (so the builder methods
    /// can still change it); then the stream itself.
    state: PagesState<T>,
}

enum PagesState<T> {
    Ready(Pager),
    Running(PageStream<T>),
    Taken,
}

struct Pager {
    client: Client,
    make: MakeRequest,
    style: Style,
    items_field: Cow<'static, str>,
}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Pages");
        if let PagesState::Ready(pager) = &self.state {
            out.field("style", &pager.style)
                .field("items_field", &pager.items_field);
        }
        out.finish_non_exhaustive()
    }
}

/// Every page of the list that `request` asks for the first page of; the
/// next pages are `request` with the cursor parameter set (replacing any
/// value it had there).
pub fn pages<T>(client: &Client, request: Request, style: Style) -> Pages<T>
where
    T: DeserializeOwned + Send + 'static,
{
    let param = style.param().map(str::to_owned);
    pages_with(client, style, move |cursor| {
        Ok(match (cursor, &param) {
            (Some(cursor), Some(param)) => with_query_param(request.clone(), param, cursor),
            _ => request.clone(),
        })
    })
}

/// Every item of the list that `request` asks for the first page of, in
/// order; see [`pages`].
pub fn items<T>(client: &Client, request: Request, style: Style) -> Items<T>
where
    T: DeserializeOwned + Send + 'static,
{
    pages(client, request, style).items()
}

/// Every page of a list whose requests `make` builds: it is given `None`
/// for the first page, then each next cursor. For a cursor that does not
/// go in the query (a body field, a path).
pub fn pages_with<T, F>(client: &Client, style: Style, make: F) -> Pages<T>
where
    T: DeserializeOwned + Send + 'static,
    F: FnMut(Option<&str>) -> Result<Request> + Send + 'static,
{
    Pages {
        state: PagesState::Ready(Pager {
            client: client.clone(),
            make: Box::new(make),
            style,
            items_field: Cow::Borrowed("data"),
        }),
    }
}

impl<T: DeserializeOwned + Send + 'static> Pages<T> {
    /// The reply field holding the items (`data` unless set). Only before
    /// the first poll; later it changes nothing.
    pub fn items_field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        if let PagesState::Ready(pager) = &mut self.state {
            pager.items_field = field.into();
        }
        self
    }

    /// The items of every page, in order.
    pub fn items(self) -> Items<T> {
        Items {
            pages: self,
            current: VecDeque::new(),
        }
    }

    fn start(pager: Pager) -> PageStream<T> {
        enum Next {
            First,
            Cursor(String),
            End,
        }
        struct Walk {
            pager: Pager,
            next: Next,
            seen: HashSet<String>,
        }
        let walk = Walk {
            pager,
            next: Next::First,
            seen: HashSet::new(),
        };
        Box::pin(futures_util::stream::unfold(walk, |mut walk| async move {
            let cursor = match std::mem::replace(&mut walk.next, Next::End) {
                Next::End => return None,
                Next::First => None,
                Next::Cursor(cursor) => Some(cursor),
            };
            let pager = &mut walk.pager;
            let page = async {
                let request = (pager.make)(cursor.as_deref())?;
                let response = pager
                    .client
                    .execute::<serde::de::IgnoredAny>(request)
                    .await?;
                read_page::<T>(response, &pager.style, &pager.items_field)
            }
            .await;
            match page {
                Ok(mut page) => {
                    if let Some(next) = &page.next_cursor {
                        // A cursor used before would only bring back pages
                        // already seen: the server is not advancing.
                        if walk.seen.insert(next.clone()) {
                            walk.next = Next::Cursor(next.clone());
                        } else {
                            page.next_cursor = None;
                        }
                    }
                    Some((Ok(page), walk))
                }
                Err(error) => Some((Err(error), walk)),
            }
        }))
    }
}

impl<T: DeserializeOwned + Send + 'static> Stream for Pages<T> {
    type Item = Result<Page<T>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let PagesState::Ready(_) = this.state
            && let PagesState::Ready(pager) = std::mem::replace(&mut this.state, PagesState::Taken)
        {
            this.state = PagesState::Running(Self::start(pager));
        }
        let PagesState::Running(stream) = &mut this.state else {
            return Poll::Ready(None);
        };
        let next = stream.as_mut().poll_next(cx);
        if let Poll::Ready(None) = next {
            // Over for good: asking again gets `None` again, never the
            // panic of an unfold polled past its end.
            this.state = PagesState::Taken;
        }
        next
    }
}

/// A `futures` [`Stream`] of the items of every page, in order; made by
/// [`items`] or [`Pages::items`]. The next page is fetched only once the
/// items of the current one have all been taken, so taking the first few
/// items never costs a page it does not need.
pub struct Items<T> {
    pages: Pages<T>,
    current: VecDeque<T>,
}

impl<T> fmt::Debug for Items<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("buffered", &self.current.len())
            .finish()
    }
}

impl<T: DeserializeOwned + Send + 'static> Stream for Items<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.current.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match Pin::new(&mut this.pages).poll_next(cx) {
                Poll::Ready(Some(Ok(page))) => this.current = page.items.into(),
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<T> Unpin for Pages<T> {}
impl<T> Unpin for Items<T> {}

/// Takes a page apart: its items as `T`, `has_more`, and the next cursor.
fn read_page<T: DeserializeOwned>(
    response: ApiResponse<serde::de::IgnoredAny>,
    style: &Style,
    items_field: &str,
) -> Result<Page<T>> {
    let fail = |message: String| Error::Decode {
        source: <serde_json::Error as serde::de::Error>::custom(message),
        snippet: snippet(&response.body, SNIPPET),
        body: response.body.clone(),
        request_id: response.request_id.clone(),
        status: response.status,
    };
    let fields: HashMap<String, &RawValue> = serde_json::from_slice(&response.body)
        .map_err(|err| fail(format!("a page of a list must be a JSON object: {err}")))?;
    let raw_items: Vec<&RawValue> = match fields.get(items_field) {
        Some(raw) => {
            let items: Option<Vec<&RawValue>> = serde_json::from_str(raw.get())
                .map_err(|err| fail(format!("at /{items_field}: not a list: {err}")))?;
            items.unwrap_or_default()
        }
        None => return Err(fail(format!("the page has no `{items_field}` list"))),
    };
    let has_more: Option<bool> = match fields.get("has_more") {
        Some(raw) => serde_json::from_str::<Option<bool>>(raw.get())
            .map_err(|err| fail(format!("at /has_more: {err}")))?,
        None => None,
    };
    // A cursor is text; a number (a page number) is taken as its text.
    let field_text = |field: &str| -> Result<Option<String>> {
        let Some(raw) = fields.get(field) else {
            return Ok(None);
        };
        match serde_json::from_str::<serde_json::Value>(raw.get()) {
            Ok(serde_json::Value::Null) => Ok(None),
            Ok(serde_json::Value::String(text)) => Ok(Some(text)),
            Ok(serde_json::Value::Number(number)) => Ok(Some(number.to_string())),
            _ => Err(fail(format!("at /{field}: a cursor must be a string"))),
        }
    };
    // A page without items ends the list even if it claims more: asking
    // again could only loop.
    let more = !raw_items.is_empty() && has_more == Some(true);
    // The last item's `id`: the cursor of `After`, and of `LastId` when a
    // reply leaves its `last_id` out.
    let last_id = || {
        #[derive(Deserialize)]
        struct Id {
            id: Option<String>,
        }
        let last = raw_items.last().map_or("null", |raw| raw.get());
        serde_json::from_str::<Id>(last)
            .ok()
            .and_then(|item| item.id)
            .filter(|id| !id.is_empty())
    };
    // A page that says there is more but gives nothing to continue after
    // ends the list with what it holds: a reply is not an error for a
    // field it left out.
    let next_cursor = match style {
        Style::Single => None,
        _ if raw_items.is_empty() => None,
        Style::After { .. } if more => last_id(),
        Style::LastId { field, .. } if more => field_text(field)?
            .filter(|cursor| !cursor.is_empty())
            .or_else(last_id),
        Style::After { .. } | Style::LastId { .. } => None,
        Style::NextToken { field, .. } => match (has_more, field_text(field)?) {
            (Some(false), _) => None,
            (_, token) => token.filter(|token| !token.is_empty()),
        },
    };
    let mut items = Vec::with_capacity(raw_items.len());
    for (index, raw) in raw_items.into_iter().enumerate() {
        let item = crate::union::parse::<T>(raw).map_err(|message| {
            let message = message.strip_prefix("at /").unwrap_or(&message);
            fail(format!("at /{items_field}/{index}/{message}"))
        })?;
        items.push(item);
    }
    Ok(Page {
        items,
        has_more: has_more.unwrap_or(false),
        next_cursor,
        status: response.status,
        request_id: response.request_id.clone(),
        body: response.body.clone(),
    })
}

/// `request` with the query parameter `param` set to `value` alone.
fn with_query_param(mut request: Request, param: &str, value: &str) -> Request {
    let kept: Vec<(String, String)> = request
        .query
        .as_deref()
        .map(|query| {
            form_urlencoded::parse(query.as_bytes())
                .filter(|(key, _)| key != param)
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(&kept);
    query.append_pair(param, value);
    request.query = Some(query.finish());
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Method;

    #[test]
    fn the_cursor_replaces_the_parameter_and_keeps_the_rest() {
        let request = Request::new(Method::GET, "/files".into())
            .query_pair("limit", "2")
            .query_pair("after", "user")
            .query_pair("order", "a b");
        let next = with_query_param(request, "after", "file_2");
        assert_eq!(
            next.path_and_query(),
            "/files?limit=2&order=a+b&after=file_2"
        );
        let bare = with_query_param(Request::new(Method::GET, "/x".into()), "page", "t&1");
        assert_eq!(bare.path_and_query(), "/x?page=t%261");
    }

    fn page(body: &str) -> ApiResponse<serde::de::IgnoredAny> {
        ApiResponse {
            data: serde::de::IgnoredAny,
            status: StatusCode::OK,
            headers: Default::default(),
            request_id: None,
            body: Bytes::copy_from_slice(body.as_bytes()),
        }
    }

    #[test]
    fn reads_cursors_by_style() {
        let body =
            r#"{"data":[{"id":"a"},{"id":"b"}],"has_more":true,"last_id":"L","next_page":"N"}"#;
        let cursor = |style: Style| {
            read_page::<serde_json::Value>(page(body), &style, "data")
                .unwrap()
                .next_cursor
        };
        assert_eq!(cursor(Style::after()).as_deref(), Some("b"));
        assert_eq!(
            cursor(Style::last_id("after", "last_id")).as_deref(),
            Some("L")
        );
        assert_eq!(
            cursor(Style::next_token("page", "next_page")).as_deref(),
            Some("N")
        );
        assert_eq!(cursor(Style::Single), None);
        let numbered = r#"{"data":[{"id":"a"}],"next":2}"#;
        let numbered = read_page::<serde_json::Value>(
            page(numbered),
            &Style::next_token("page", "next"),
            "data",
        )
        .unwrap();
        assert_eq!(numbered.next_cursor.as_deref(), Some("2"));
        let err = read_page::<serde_json::Value>(
            page(r#"{"data":[{"id":"a"}],"next":{}}"#),
            &Style::next_token("page", "next"),
            "data",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("at /next: a cursor must be a string"),
            "{err}"
        );
    }

    #[test]
    fn bad_pages_are_decode_errors_with_a_pointer() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Item {
            id: String,
        }
        let err = read_page::<Item>(
            page(r#"{"data":[{"id":"a"},{"id":1}],"has_more":false}"#),
            &Style::after(),
            "data",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("at /data/1/id: invalid type"),
            "{err}"
        );
        let err = read_page::<Item>(page(r#"{"items":[]}"#), &Style::after(), "data").unwrap_err();
        assert!(err.to_string().contains("no `data` list"), "{err}");
        // More, but nothing to continue after: the list ends with this page.
        let last = read_page::<serde_json::Value>(
            page(r#"{"data":[{"name":"x"}],"has_more":true}"#),
            &Style::after(),
            "data",
        )
        .unwrap();
        assert_eq!((last.items.len(), last.next_cursor), (1, None));
        // `last_id` left out: the last item's `id` stands in for it.
        let next = read_page::<serde_json::Value>(
            page(r#"{"data":[{"id":"a"},{"id":"b"}],"has_more":true}"#),
            &Style::last_id("after", "last_id"),
            "data",
        )
        .unwrap();
        assert_eq!(next.next_cursor.as_deref(), Some("b"));
    }
}
