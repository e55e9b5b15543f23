//! A request as the generated code describes it, before it is sent.

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde::Serialize;

use super::{Error, Multipart, Result};

/// One API call: method, path relative to the base URL, optional query and body.
#[derive(Debug, Clone)]
pub struct Request {
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) query: Option<String>,
    pub(super) body: Option<Body>,
    /// Sent with the admin API key instead of the API key.
    pub(super) admin: bool,
    /// Whether a 409 reply is retried (for an idempotent request).
    pub(super) retry_conflicts: bool,
    /// Headers of this request alone ([`Request::header`]).
    pub(super) headers: Vec<(HeaderName, HeaderValue)>,
}

#[derive(Debug, Clone)]
pub(super) enum Body {
    Json(Bytes),
    Multipart(Multipart),
}

impl Request {
    /// A request for `path`, which is relative to the base URL and starts
    /// with `/`; path parameters must already be passed through
    /// [`encode_path`](super::encode_path).
    pub fn new(method: Method, path: String) -> Self {
        Self {
            method,
            path,
            query: None,
            body: None,
            admin: false,
            retry_conflicts: true,
            headers: Vec::new(),
        }
    }

    /// Adds a header to this request: a header parameter, or the `Accept` of
    /// a download. It replaces the client's own header of that name, except
    /// `Authorization`, which the client always sets. A value with a control
    /// character (CR, LF, ...) is refused with [`Error::InvalidArgument`],
    /// never sent.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self> {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::invalid_argument(name, "not a valid header name"))?;
        let value = HeaderValue::from_str(value).map_err(|_| {
            Error::invalid_argument(name, "a header value must be visible ASCII or spaces")
        })?;
        self.headers.push((header, value));
        Ok(self)
    }

    /// Marks an admin endpoint: it is sent with `Authorization: Bearer <admin
    /// key>` ([`ClientBuilder::admin_api_key`](super::ClientBuilder::admin_api_key))
    /// instead of the API key, and fails with [`Error::Config`] before
    /// anything is sent when no admin key is configured. Other requests never
    /// carry the admin key.
    pub fn admin(mut self) -> Self {
        self.admin = true;
        self
    }

    /// Whether a `409 Conflict` reply is retried (it is by default, as for
    /// OpenAI's SDKs). Pass `false` where a conflict means a state that
    /// retrying cannot change, e.g. cancelling an Upload that is already
    /// completed. Then a 409 is never retried, whatever `x-should-retry` says.
    pub fn retry_conflicts(mut self, retry: bool) -> Self {
        self.retry_conflicts = retry;
        self
    }

    /// Adds URL query parameters from an object (a generated `...Query`
    /// struct): scalars as `key=value`, lists and objects in brackets
    /// (`include[]=a`, `metadata[team]=ml`), as OpenAI's API reads them.
    /// Anything but an object is refused with [`Error::InvalidArgument`].
    pub fn query<Q: Serialize + ?Sized>(self, query: &Q) -> Result<Self> {
        let pairs = crate::query::pairs(query).map_err(|e| Error::invalid_argument("query", e))?;
        Ok(self.append_query(&pairs))
    }

    /// Adds one fixed `key=value` pair to the query (`?beta=true` on some
    /// paths).
    pub fn query_pair(self, key: &str, value: &str) -> Self {
        self.append_query(&[(key, value)])
    }

    fn append_query<K: AsRef<str>, V: AsRef<str>>(mut self, pairs: &[(K, V)]) -> Self {
        if !pairs.is_empty() {
            let query = self.query.get_or_insert_with(String::new);
            form_urlencoded::Serializer::for_suffix(query, 0)
                .extend_pairs(pairs)
                .finish();
        }
        self
    }

    /// Sets a JSON body.
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|err| Error::invalid_argument("body", err.to_string()))?;
        self.body = Some(Body::Json(Bytes::from(bytes)));
        Ok(self)
    }

    /// Adds one field to the JSON body already set: a streaming method's
    /// `"stream": true`. Without a JSON object body, an
    /// [`Error::InvalidArgument`].
    pub fn json_field(self, key: &str, value: impl Into<serde_json::Value>) -> Result<Self> {
        let Some(Body::Json(bytes)) = &self.body else {
            return Err(Error::invalid_argument(
                "body",
                "no JSON body to add a field to",
            ));
        };
        let mut object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(bytes)
            .map_err(|_| Error::invalid_argument("body", "not a JSON object"))?;
        object.insert(key.to_owned(), value.into());
        self.json(&object)
    }

    /// Sets a `multipart/form-data` body.
    ///
    /// Such a request is not idempotent (a part sent twice may be stored
    /// twice), so it is retried only when it surely did not reach the server:
    /// when no connection could be made, and on 408 and 429 replies.
    pub fn multipart(mut self, form: Multipart) -> Self {
        self.body = Some(Body::Multipart(form));
        self
    }

    /// Whether sending this request twice is harmless; decides what is retried.
    pub(super) fn is_idempotent(&self) -> bool {
        !matches!(self.body, Some(Body::Multipart(_)))
    }

    /// Whether this is an admin request ([`Request::admin`]).
    pub fn is_admin(&self) -> bool {
        self.admin
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path (and query, if any) relative to the base URL, as sent.
    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(query) => format!("{}?{query}", self.path),
            None => self.path.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_appends_and_encodes() {
        let first: std::collections::BTreeMap<&str, &str> = [("a", "x y"), ("b", "&")].into();
        let request = Request::new(Method::GET, "/uploads".into())
            .query_pair("beta", "true")
            .query(&first)
            .unwrap()
            .query(&std::collections::BTreeMap::<String, String>::new())
            .unwrap()
            .query(
                &[("include", ["x", "y[]"])]
                    .into_iter()
                    .collect::<std::collections::BTreeMap<_, _>>(),
            )
            .unwrap();
        assert_eq!(
            request.path_and_query(),
            "/uploads?beta=true&a=x+y&b=%26&include%5B%5D=x&include%5B%5D=y%5B%5D"
        );
    }

    #[test]
    fn unserializable_input_is_invalid_argument() {
        let not_an_object = [("a", [1, 2])];
        let err = Request::new(Method::GET, "/x".into())
            .query(&not_an_object)
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument { name, .. } if name == "query"),
            "{err:?}"
        );

        let mut map = std::collections::HashMap::new();
        map.insert(vec![1u8], 1);
        let err = Request::new(Method::POST, "/x".into())
            .json(&map)
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument { name, .. } if name == "body"),
            "{err:?}"
        );
    }

    #[test]
    fn json_sets_the_body() {
        let request = Request::new(Method::POST, "/x".into())
            .json(&serde_json::json!({"a": 1}))
            .unwrap();
        assert!(
            matches!(&request.body, Some(Body::Json(json)) if json == &br#"{"a":1}"#[..]),
            "{request:?}"
        );
        assert!(request.is_idempotent());
        assert!(!request.multipart(Multipart::new()).is_idempotent());
    }
    #[test]
    fn headers_are_checked_before_they_are_kept() {
        let request = Request::new(Method::GET, "/x".into())
            .header("OpenAI-Beta", "assistants=v2")
            .unwrap();
        assert_eq!(request.headers.len(), 1);
        assert_eq!(request.headers[0].0, "openai-beta");
        assert_eq!(request.headers[0].1, "assistants=v2");

        let err = Request::new(Method::GET, "/x".into())
            .header("x-trace", "a\r\nx-injected: 1")
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument { name, .. } if name == "x-trace"),
            "{err:?}"
        );
        let err = Request::new(Method::GET, "/x".into())
            .header("bad name", "v")
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument { name, .. } if name == "bad name"),
            "{err:?}"
        );
    }

    #[test]
    fn method_and_admin_are_kept() {
        let request = Request::new(Method::DELETE, "/organization/x".into());
        assert_eq!(request.method(), Method::DELETE);
        assert!(!request.is_admin());
        let request = request.admin();
        assert!(request.is_admin());
        assert_eq!(request.method(), Method::DELETE);
        assert_eq!(request.path_and_query(), "/organization/x");
    }

    #[test]
    fn json_field_adds_to_an_object_body_only() {
        let request = Request::new(Method::POST, "/x".into())
            .json(&serde_json::json!({"model": "m"}))
            .unwrap()
            .json_field("stream", true)
            .unwrap();
        let Some(Body::Json(bytes)) = &request.body else {
            panic!("{request:?}");
        };
        let value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        assert_eq!(value, serde_json::json!({"model": "m", "stream": true}));

        let err = Request::new(Method::POST, "/x".into())
            .json_field("stream", true)
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument { name, .. } if name == "body"),
            "{err:?}"
        );
        let err = Request::new(Method::POST, "/x".into())
            .json(&[1, 2])
            .unwrap()
            .json_field("stream", true)
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
        let err = Request::new(Method::POST, "/x".into())
            .multipart(Multipart::new())
            .json_field("stream", true)
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    }
}
