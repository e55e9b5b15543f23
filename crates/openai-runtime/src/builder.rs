//! Configuration: [`ClientBuilder`] and the environment.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};

use super::client::{Client, Inner};
use super::{Error, Result, tls};

/// The base URL used when none is configured.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// Retries after the first attempt, by default.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The per-attempt timeout, by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

const USER_AGENT_VALUE: &str = concat!("openai-uploads-rs/", env!("CARGO_PKG_VERSION"));

/// Configures and builds a [`Client`].
///
/// ```
/// # fn main() -> Result<(), openai_runtime::Error> {
/// let client = openai_runtime::Client::builder()
///     .api_key("sk-...")
///     .base_url("http://127.0.0.1:4010/v1")
///     .max_retries(0)
///     .build()?;
/// # Ok(()) }
/// ```
///
/// `C` is the type [`build`](Self::build) returns. A generated library
/// wraps [`Client`] in its own type, to give it resource methods, and
/// exports `type ClientBuilder = openai_runtime::ClientBuilder<MyClient>`,
/// so its users build their client type directly.
pub struct ClientBuilder<C = Client> {
    api_key: Option<String>,
    base_url: Option<String>,
    organization: Option<String>,
    project: Option<String>,
    max_retries: u32,
    timeout: Duration,
    http_client: Option<reqwest::Client>,
    debug: bool,
    env_error: Option<String>,
    client: PhantomData<fn() -> C>,
}

impl<C: From<Client>> Default for ClientBuilder<C> {
    fn default() -> Self {
        Self::new()
    }
}

// By hand: a derive would ask for `C: Clone`.
impl<C> Clone for ClientBuilder<C> {
    fn clone(&self) -> Self {
        Self {
            api_key: self.api_key.clone(),
            base_url: self.base_url.clone(),
            organization: self.organization.clone(),
            project: self.project.clone(),
            max_retries: self.max_retries,
            timeout: self.timeout,
            http_client: self.http_client.clone(),
            debug: self.debug,
            env_error: self.env_error.clone(),
            client: PhantomData,
        }
    }
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "<REDACTED>"))
            .field("base_url", &self.base_url)
            .field("organization", &self.organization)
            .field("project", &self.project)
            .field("max_retries", &self.max_retries)
            .field("timeout", &self.timeout)
            .field("http_client", &self.http_client.is_some())
            .field("debug", &self.debug)
            .finish()
    }
}

impl<C: From<Client>> ClientBuilder<C> {
    /// A builder with nothing set: no API key, the default base URL,
    /// 2 retries and a 600 s timeout. The environment is not read.
    pub fn new() -> Self {
        tls::install_default_provider();
        Self {
            api_key: None,
            base_url: None,
            organization: None,
            project: None,
            max_retries: DEFAULT_MAX_RETRIES,
            timeout: DEFAULT_TIMEOUT,
            http_client: None,
            debug: false,
            env_error: None,
            client: PhantomData,
        }
    }

    /// A builder preset from `OPENAI_API_KEY`, `OPENAI_BASE_URL`,
    /// `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID`; empty variables count as unset.
    /// Later calls override these.
    pub fn from_env() -> Self {
        let mut builder = Self::new();
        let mut env_error = None;
        let mut read = |name: &'static str| match std::env::var(name) {
            Ok(value) if !value.trim().is_empty() => Some(value),
            Err(std::env::VarError::NotUnicode(_)) => {
                env_error.get_or_insert_with(|| format!("{name} is not valid UTF-8"));
                None
            }
            _ => None,
        };
        builder.api_key = read("OPENAI_API_KEY");
        builder.base_url = read("OPENAI_BASE_URL");
        builder.organization = read("OPENAI_ORG_ID");
        builder.project = read("OPENAI_PROJECT_ID");
        builder.env_error = env_error;
        builder
    }

    /// The API key, sent as `Authorization: Bearer <key>`. Required.
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// The base URL, `https://api.openai.com/v1` by default. It must start with
    /// `http://` or `https://`; a trailing slash makes no difference.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Sends `OpenAI-Organization` with every request. Empty means unset.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    /// Sends `OpenAI-Project` with every request. Empty means unset.
    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// Retries after the first attempt (default 2); 0 disables retries.
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Time allowed for each attempt, until the whole reply is read (default 600 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Uses this `reqwest::Client` (proxies, custom TLS, ...) instead of making one.
    /// Its connection pool is shared by all clones of the built [`Client`].
    pub fn http_client(mut self, http_client: reqwest::Client) -> Self {
        self.http_client = Some(http_client);
        self
    }

    /// Writes every request and reply (method, URL, headers, the first 4 KiB
    /// of bodies) to stderr. The API key is shown as `Bearer <REDACTED>`.
    pub fn debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        self
    }

    /// Checks the configuration and builds the client.
    ///
    /// Fails with [`Error::Config`] when the API key is missing or not a valid
    /// header value, the base URL is not an absolute `http(s)://` URL, or the
    /// timeout is zero.
    pub fn build(self) -> Result<C> {
        if let Some(message) = self.env_error {
            return Err(Error::Config(message));
        }
        let api_key = self
            .api_key
            .as_deref()
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .ok_or_else(|| {
                Error::Config(
                    "missing API key: pass it to ClientBuilder::api_key or set OPENAI_API_KEY"
                        .into(),
                )
            })?;
        let base_url = self
            .base_url
            .as_deref()
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .unwrap_or(DEFAULT_BASE_URL);
        let (base, base_path) = parse_base_url(base_url)?;
        if self.timeout.is_zero() {
            return Err(Error::Config(
                "the timeout must be greater than zero".into(),
            ));
        }

        let mut headers = HeaderMap::with_capacity(5);
        let mut authorization =
            HeaderValue::try_from(format!("Bearer {api_key}")).map_err(|_| {
                Error::Config(
                    "the API key contains characters not allowed in an HTTP header".into(),
                )
            })?;
        authorization.set_sensitive(true);
        headers.insert(AUTHORIZATION, authorization);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        let organization = optional_header(
            &mut headers,
            "openai-organization",
            "organization",
            self.organization,
        )?;
        let project = optional_header(&mut headers, "openai-project", "project", self.project)?;

        let http = match self.http_client {
            Some(http) => http,
            None => tls::http_client(base.scheme() == "https")?,
        };
        let client = Client {
            inner: Arc::new(Inner {
                http,
                base_url: shown_base_url(&base, &base_path),
                base,
                base_path,
                headers,
                organization,
                project,
                max_retries: self.max_retries,
                timeout: self.timeout,
                debug: self.debug,
            }),
        };
        Ok(C::from(client))
    }
}

/// Parses and checks the base URL; returns it with its path minus trailing slashes.
fn parse_base_url(text: &str) -> Result<(Url, String)> {
    let shown = redacted_url(text);
    let invalid = |why: &str| Error::Config(format!("invalid base URL{shown}: {why}"));
    // URL parsers forgive `http:host` and `https:///host`; we do not.
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    let rest = ["http://", "https://"]
        .into_iter()
        .find_map(|scheme| lower.starts_with(scheme).then(|| &text[scheme.len()..]));
    match rest {
        None => return Err(invalid("it must start with http:// or https://")),
        Some(rest) if rest.is_empty() || rest.starts_with(['/', '\\']) => {
            return Err(invalid("it has no host"));
        }
        Some(_) => {}
    }
    let url = Url::parse(text).map_err(|err| invalid(&err.to_string()))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "it must not contain credentials; give the API key on its own",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query or fragment"));
    }
    let base_path = url.path().trim_end_matches('/').to_owned();
    Ok((url, base_path))
}

/// The base URL as it may appear in an error: ` "http://<REDACTED>@host/v1"`
/// with any credentials hidden, or nothing at all when it has no http(s)
/// scheme, since a value in the wrong place may well be the API key.
fn redacted_url(text: &str) -> String {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    let Some(scheme) = ["http://", "https://"]
        .into_iter()
        .find(|s| lower.starts_with(s))
    else {
        return String::new();
    };
    let rest = &text[scheme.len()..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host = match authority.rfind('@') {
        Some(at) => format!("<REDACTED>@{}", &authority[at + 1..]),
        None => authority.to_owned(),
    };
    format!(" {:?}", format!("{}{host}{tail}", &text[..scheme.len()]))
}

fn shown_base_url(base: &Url, base_path: &str) -> String {
    let mut shown = base.clone();
    shown.set_path(base_path);
    shown.as_str().trim_end_matches('/').to_owned()
}

fn optional_header(
    headers: &mut HeaderMap,
    header: &'static str,
    setting: &str,
    value: Option<String>,
) -> Result<Option<String>> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let header_value = HeaderValue::try_from(value.as_str()).map_err(|_| {
        Error::Config(format!(
            "the {setting} contains characters not allowed in an HTTP header"
        ))
    })?;
    headers.insert(header, header_value);
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    #[test]
    fn base_url_errors_never_show_credentials_or_scheme_less_values() {
        let cases = [
            ("http://user:sk-SECRETPW@h/v1", "sk-SECRETPW"),
            ("https://sk-SECRETKEY@h", "sk-SECRETKEY"),
            ("sk-proj-SECRETKEY", "sk-proj-SECRETKEY"),
            ("ftp://sk-SECRETKEY@h", "sk-SECRETKEY"),
        ];
        for (url, secret) in cases {
            let err = super::parse_base_url(url).unwrap_err().to_string();
            assert!(!err.contains(secret), "{err}");
            assert!(
                err.starts_with("configuration error: invalid base URL"),
                "{err}"
            );
        }
        let err = super::parse_base_url("http://u:p@example.com/v1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("http://<REDACTED>@example.com/v1"), "{err}");
    }

    use super::*;

    #[test]
    fn base_urls() {
        for (text, path) in [
            ("https://api.openai.com/v1", "/v1"),
            ("https://api.openai.com/v1/", "/v1"),
            ("http://127.0.0.1:4010/v1//", "/v1"),
            ("http://localhost:4010", ""),
            ("http://localhost:4010/", ""),
            ("HTTP://EXAMPLE.com/a/b", "/a/b"),
        ] {
            assert_eq!(parse_base_url(text).unwrap().1, path, "{text}");
        }
        for text in [
            "api.openai.com/v1",
            "localhost:4010/v1",
            "127.0.0.1:4010",
            "ftp://example.com/v1",
            "file:///etc/passwd",
            "http://",
            "https:///v1",
            "http:\\\\example.com",
            "http:example.com",
            "https:/example.com",
            "",
            "  ",
            "h",
            "not a url",
            "http://user:pw@example.com/v1",
            "http://example.com/v1?x=1",
            "http://example.com/v1#f",
            "mailto:a@b.c",
        ] {
            let err = parse_base_url(text).unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{text}: {err:?}");
            assert!(err.to_string().contains("base URL"), "{err}");
        }
    }

    #[test]
    fn user_agent_names_crate_and_version() {
        assert_eq!(
            USER_AGENT_VALUE,
            format!("openai-uploads-rs/{}", env!("CARGO_PKG_VERSION"))
        );
    }
}
