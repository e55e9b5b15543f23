//! Configuration: [`ClientBuilder`] and the environment.

use std::fmt;
use std::marker::PhantomData;
use std::path::PathBuf;
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
/// The connect timeout (TCP connect and TLS handshake), by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest JSON reply read, by default: 64 MiB.
pub const DEFAULT_MAX_RESPONSE_SIZE: u64 = 64 * 1024 * 1024;

/// `User-Agent` when the library sends the request on its own behalf;
/// [`ClientBuilder::user_agent_product`] adds the program that uses it.
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
    admin_api_key: Option<String>,
    base_url: Option<String>,
    organization: Option<String>,
    project: Option<String>,
    max_retries: u32,
    timeout: Duration,
    connect_timeout: Duration,
    max_response_size: u64,
    max_download_size: Option<u64>,
    root_certificates: Vec<Vec<u8>>,
    client_identity: Option<(Vec<u8>, Secret)>,
    mtls_cert_file: Option<PathBuf>,
    mtls_key_file: Option<PathBuf>,
    user_agent_product: Option<String>,
    http_client: Option<reqwest::Client>,
    debug: bool,
    env_error: Option<String>,
    client: PhantomData<fn() -> C>,
}

/// Bytes that are never shown: `Debug` prints `<REDACTED>`.
#[derive(Clone)]
struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<REDACTED>")
    }
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
            admin_api_key: self.admin_api_key.clone(),
            base_url: self.base_url.clone(),
            organization: self.organization.clone(),
            project: self.project.clone(),
            max_retries: self.max_retries,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            max_response_size: self.max_response_size,
            max_download_size: self.max_download_size,
            root_certificates: self.root_certificates.clone(),
            client_identity: self.client_identity.clone(),
            mtls_cert_file: self.mtls_cert_file.clone(),
            mtls_key_file: self.mtls_key_file.clone(),
            user_agent_product: self.user_agent_product.clone(),
            http_client: self.http_client.clone(),
            debug: self.debug,
            env_error: self.env_error.clone(),
            client: PhantomData,
        }
    }
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |set: bool| set.then_some("<REDACTED>");
        f.debug_struct("ClientBuilder")
            .field("api_key", &redacted(self.api_key.is_some()))
            .field("admin_api_key", &redacted(self.admin_api_key.is_some()))
            .field("base_url", &self.base_url.as_deref().map(redacted_url))
            .field("organization", &self.organization)
            .field("project", &self.project)
            .field("max_retries", &self.max_retries)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_size", &self.max_response_size)
            .field("max_download_size", &self.max_download_size)
            .field("root_certificates", &self.root_certificates.len())
            .field("client_identity", &redacted(self.client_identity.is_some()))
            .field("mtls_cert_file", &self.mtls_cert_file)
            .field("mtls_key_file", &self.mtls_key_file)
            .field("user_agent_product", &self.user_agent_product)
            .field("http_client", &self.http_client.is_some())
            .field("debug", &self.debug)
            .finish()
    }
}

impl<C: From<Client>> ClientBuilder<C> {
    /// A builder with nothing set: no API key, the default base URL,
    /// 2 retries, a 600 s timeout and a 10 s connect timeout. The environment
    /// is not read.
    pub fn new() -> Self {
        tls::install_default_provider();
        Self {
            api_key: None,
            admin_api_key: None,
            base_url: None,
            organization: None,
            project: None,
            max_retries: DEFAULT_MAX_RETRIES,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            max_download_size: None,
            root_certificates: Vec::new(),
            client_identity: None,
            mtls_cert_file: None,
            mtls_key_file: None,
            user_agent_product: None,
            http_client: None,
            debug: false,
            env_error: None,
            client: PhantomData,
        }
    }

    /// A builder preset from `OPENAI_API_KEY`, `OPENAI_ADMIN_KEY`,
    /// `OPENAI_BASE_URL`, `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID`; empty
    /// variables count as unset. Later calls override these.
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
        builder.admin_api_key = read("OPENAI_ADMIN_KEY");
        builder.base_url = read("OPENAI_BASE_URL");
        builder.organization = read("OPENAI_ORG_ID");
        builder.project = read("OPENAI_PROJECT_ID");
        builder.env_error = env_error;
        builder
    }

    /// The API key, sent as `Authorization: Bearer <key>` with every request
    /// that is not an admin request. It must be visible ASCII (no spaces,
    /// no accented letters); leading and trailing white space is ignored.
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// The admin API key, sent as `Authorization: Bearer <admin key>` with
    /// admin requests ([`Request::admin`](crate::Request::admin)) only, never
    /// with the others (uploads, files, ...). Same rules as
    /// [`api_key`](Self::api_key); never shown in `Debug`, errors or the
    /// debug log. A client needs at least one of the two keys.
    pub fn admin_api_key(mut self, admin_api_key: impl Into<String>) -> Self {
        self.admin_api_key = Some(admin_api_key.into());
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

    /// Time allowed for each attempt, until the whole reply is read (default
    /// 600 s). It includes the connect timeout. Past it:
    /// [`Error::Timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time allowed to open a connection: the TCP connect and the TLS
    /// handshake together, or the connection to the proxy and its tunnel
    /// (default 10 s). Past it: [`Error::ConnectTimeout`]; nothing was sent,
    /// so even an upload's part is retried. Not applied to a client given
    /// to [`http_client`](Self::http_client).
    pub fn connect_timeout(mut self, connect_timeout: Duration) -> Self {
        self.connect_timeout = connect_timeout;
        self
    }

    /// The largest reply body read into memory (default 64 MiB): JSON replies.
    /// Error replies are read up to 1 MiB or this, whichever is smaller.
    /// A longer body stops the read with [`Error::ResponseTooLarge`].
    pub fn max_response_size(mut self, bytes: u64) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// The largest body a streamed download
    /// ([`Client::execute_bytes_stream`]) may have; past it the stream ends
    /// with [`Error::ResponseTooLarge`]. Unlimited by default: a download is
    /// never held in memory whole, so its consumer decides where it goes.
    pub fn max_download_size(mut self, bytes: u64) -> Self {
        self.max_download_size = Some(bytes);
        self
    }

    /// Trusts the certificates in this PEM text as roots, besides the
    /// platform's (e.g. a company's TLS-inspecting proxy, or a test server).
    /// Checked by [`build`](Self::build).
    pub fn add_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Presents this client certificate (mutual TLS): `cert_chain_pem` holds
    /// the certificate, then any intermediates; `key_pem` its private key
    /// (PKCS#8, PKCS#1 or SEC1). Needs an `https://` base URL. The key is
    /// never shown.
    pub fn client_identity(
        mut self,
        cert_chain_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.client_identity = Some((cert_chain_pem.into(), Secret(key_pem.into())));
        self
    }

    /// [`client_identity`](Self::client_identity) from a PEM file holding the
    /// certificate chain (leaf first). Needs
    /// [`mtls_client_key_file`](Self::mtls_client_key_file) too; both files
    /// are read by [`build`](Self::build).
    pub fn mtls_client_cert_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.mtls_cert_file = Some(path.into());
        self
    }

    /// The PEM private key for
    /// [`mtls_client_cert_file`](Self::mtls_client_cert_file).
    pub fn mtls_client_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.mtls_key_file = Some(path.into());
        self
    }

    /// Names the program on whose behalf the library sends requests, e.g.
    /// `openai-cli/0.1.0`: the `User-Agent` becomes
    /// `openai-uploads-rs/0.1.0 (openai-cli/0.1.0)`. Without it the
    /// `User-Agent` is `openai-uploads-rs/0.1.0`: the library alone.
    pub fn user_agent_product(mut self, product: impl Into<String>) -> Self {
        self.user_agent_product = Some(product.into());
        self
    }

    /// Uses this `reqwest::Client` (proxies, custom TLS, ...) instead of making one.
    /// Its connection pool is shared by all clones of the built [`Client`].
    /// Its own settings apply: the connect timeout, redirect rules, root
    /// certificates and client identity of this builder do not.
    pub fn http_client(mut self, http_client: reqwest::Client) -> Self {
        self.http_client = Some(http_client);
        self
    }

    /// Writes every request and reply (method, URL, headers, the first 4 KiB
    /// of bodies) to stderr. The API keys are shown as `Bearer <REDACTED>`.
    pub fn debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        self
    }

    /// Checks the configuration and builds the client.
    ///
    /// Fails with [`Error::Config`] when both API keys are missing, a key is
    /// not visible ASCII, the base URL is not an absolute `http(s)://` URL,
    /// a timeout or size limit is zero, a certificate or key does not parse,
    /// or a client certificate is set without its key or without an
    /// `https://` base URL.
    pub fn build(self) -> Result<C> {
        if let Some(message) = self.env_error {
            return Err(Error::Config(message));
        }
        let api_key = bearer(self.api_key.as_deref(), "API key")?;
        let admin_api_key = bearer(self.admin_api_key.as_deref(), "admin API key")?;
        if api_key.is_none() && admin_api_key.is_none() {
            return Err(Error::Config(MISSING_API_KEY.into()));
        }
        let base_url = self
            .base_url
            .as_deref()
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .unwrap_or(DEFAULT_BASE_URL);
        let (base, base_path) = parse_base_url(base_url)?;
        let https = base.scheme() == "https";
        if self.timeout.is_zero() {
            return Err(Error::Config(
                "the timeout must be greater than zero".into(),
            ));
        }
        if self.connect_timeout.is_zero() {
            return Err(Error::Config(
                "the connect timeout must be greater than zero".into(),
            ));
        }
        if self.max_response_size == 0 || self.max_download_size == Some(0) {
            return Err(Error::Config(
                "a reply size limit must be greater than zero".into(),
            ));
        }
        let identity = client_identity(
            self.client_identity,
            self.mtls_cert_file,
            self.mtls_key_file,
        )?;
        if identity.is_some() && !https {
            return Err(Error::Config(
                "mTLS requires an https:// base URL: a client certificate is only presented \
                 over TLS"
                    .into(),
            ));
        }

        let mut headers = HeaderMap::with_capacity(5);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, user_agent(self.user_agent_product.as_deref())?);
        let organization = optional_header(
            &mut headers,
            "openai-organization",
            "organization",
            self.organization,
        )?;
        let project = optional_header(&mut headers, "openai-project", "project", self.project)?;

        let (http, proxy) = match self.http_client {
            Some(_) if identity.is_some() || !self.root_certificates.is_empty() => {
                return Err(Error::Config(
                    "root certificates and a client certificate cannot be added to a client \
                     given with http_client; configure that client instead"
                        .into(),
                ));
            }
            Some(http) => (http, None),
            None => {
                let settings = tls::Settings {
                    https,
                    root_certificates: &self.root_certificates,
                    identity: identity
                        .as_ref()
                        .map(|(cert, key)| (cert.as_slice(), key.0.as_slice())),
                    connect_timeout: self.connect_timeout,
                };
                (tls::http_client(&settings)?, tls::proxy_for(&base))
            }
        };
        // Each key with the headers every request carries: an attempt
        // clones one map and adds nothing to it (no growing, no hashing).
        let keyed = |key: &Option<HeaderValue>| {
            key.as_ref().map(|key| {
                let mut headers = headers.clone();
                headers.insert(AUTHORIZATION, key.clone());
                headers
            })
        };
        let client = Client {
            inner: Arc::new(Inner {
                http,
                base_url: shown_base_url(&base, &base_path),
                base,
                base_path,
                api_headers: keyed(&api_key),
                admin_headers: keyed(&admin_api_key),
                api_key,
                admin_api_key,
                organization,
                project,
                max_retries: self.max_retries,
                timeout: self.timeout,
                connect_timeout: self.connect_timeout,
                max_response_size: self.max_response_size,
                max_download_size: self.max_download_size,
                proxy,
                debug: self.debug,
            }),
        };
        Ok(C::from(client))
    }
}

pub(super) const MISSING_API_KEY: &str =
    "missing API key: pass it to ClientBuilder::api_key or set OPENAI_API_KEY";

/// `Bearer <key>` as a sensitive header value, or `None` for no key.
/// A key must be visible ASCII: anything else is a typo or a paste accident
/// (a quote, a space, a non-breaking space), and would be sent as raw bytes.
fn bearer(key: Option<&str>, what: &str) -> Result<Option<HeaderValue>> {
    let Some(key) = key.map(str::trim).filter(|key| !key.is_empty()) else {
        return Ok(None);
    };
    if let Some(position) = key.chars().position(|c| !c.is_ascii_graphic()) {
        // The position, never the character: it is part of a secret.
        return Err(Error::Config(format!(
            "the {what} must be visible ASCII, but character {} is not (a space, a quote \
             mark or a non-ASCII letter?)",
            position + 1
        )));
    }
    let mut value = HeaderValue::try_from(format!("Bearer {key}"))
        .map_err(|_| Error::Config(format!("the {what} is not a valid HTTP header value")))?;
    value.set_sensitive(true);
    Ok(Some(value))
}

fn user_agent(product: Option<&str>) -> Result<HeaderValue> {
    let Some(product) = product.map(str::trim).filter(|p| !p.is_empty()) else {
        return Ok(HeaderValue::from_static(USER_AGENT_VALUE));
    };
    if !product
        .chars()
        .all(|c| (c.is_ascii_graphic() && c != '(' && c != ')') || c == ' ')
    {
        return Err(Error::Config(
            "the User-Agent product must be visible ASCII without parentheses".into(),
        ));
    }
    HeaderValue::try_from(format!("{USER_AGENT_VALUE} ({product})"))
        .map_err(|_| Error::Config("the User-Agent product is not a valid header value".into()))
}

/// The largest certificate or key file read: a PEM chain is a few KB; a
/// whole CA bundle is well under a megabyte.
pub(crate) const MAX_PEM_FILE: u64 = 4 << 20;

/// Opens a file that must be a regular one of at most `cap` bytes, without
/// blocking on a FIFO. The error completes "the ... file PATH ...".
pub(crate) fn open_capped_file(
    path: &std::path::Path,
    cap: u64,
) -> std::result::Result<std::fs::File, String> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(unreadable)?;
    let metadata = file.metadata().map_err(unreadable)?;
    if !metadata.is_file() {
        return Err("is not a regular file".to_owned());
    }
    if metadata.len() > cap {
        return Err(too_large(cap));
    }
    Ok(file)
}

/// Reads a whole file that must be a regular one of at most `cap` bytes,
/// never a device that does not end (`/dev/zero`); see [`open_capped_file`].
pub(crate) fn read_capped_file(
    path: &std::path::Path,
    cap: u64,
) -> std::result::Result<Vec<u8>, String> {
    use std::io::Read as _;
    let file = open_capped_file(path, cap)?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    // It may have grown since it was measured.
    if bytes.len() as u64 > cap {
        return Err(too_large(cap));
    }
    Ok(bytes)
}

fn unreadable(err: std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_owned(),
        std::io::ErrorKind::PermissionDenied => "is not readable".to_owned(),
        _ => format!("cannot be read: {err}"),
    }
}

fn too_large(cap: u64) -> String {
    format!(
        "is larger than {} MiB, more than a certificate file can be",
        cap >> 20
    )
}

/// The client certificate chain and key (PEM), from bytes or files.
fn client_identity(
    pem: Option<(Vec<u8>, Secret)>,
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
) -> Result<Option<(Vec<u8>, Secret)>> {
    let read = |path: &PathBuf, what: &str| {
        read_capped_file(path, MAX_PEM_FILE).map_err(|why| {
            Error::Config(format!(
                "the mTLS client {what} file {} {why}",
                path.display()
            ))
        })
    };
    match (cert_file, key_file) {
        (None, None) => Ok(pem),
        (Some(cert), Some(key)) => Ok(Some((
            read(&cert, "certificate")?,
            Secret(read(&key, "key")?),
        ))),
        (Some(_), None) => Err(Error::Config(
            "the mTLS client certificate file needs its key file: the two must be configured \
             together"
                .into(),
        )),
        (None, Some(_)) => Err(Error::Config(
            "the mTLS client key file needs its certificate file: the two must be configured \
             together"
                .into(),
        )),
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
pub(super) fn redacted_url(text: &str) -> String {
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
    // Visible ASCII, as a key must be: anything else is a typo or a paste
    // accident (`proj-é`), and would go out as raw bytes no server expects.
    if let Some(position) = value.chars().position(|c| !c.is_ascii_graphic()) {
        return Err(Error::Config(format!(
            "the {setting} must be visible ASCII, but character {} is not (a space, a quote \
             mark or a non-ASCII letter?)",
            position + 1
        )));
    }
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

    #[test]
    fn a_key_held_as_a_secret_is_never_shown() {
        let key = super::Secret(b"-----BEGIN PRIVATE KEY----- sk".to_vec());
        assert_eq!(format!("{key:?}"), "<REDACTED>");
        assert_eq!(format!("{:?}", Some((1, key))), "Some((1, <REDACTED>))");
    }

    /// A file whose size says less than it holds (a /proc file's is 0): the
    /// read stops past the cap instead of trusting the size.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_read_of_a_capped_file_is_capped_too() {
        let status = std::path::Path::new("/proc/self/status");
        let err = super::read_capped_file(status, 10).unwrap_err();
        assert!(err.contains("is larger than"), "{err}");
        let whole = super::read_capped_file(status, 1 << 20).unwrap();
        assert!(whole.starts_with(b"Name:"), "{whole:?}");
    }

    #[test]
    fn a_file_of_exactly_the_cap_is_read_whole() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), [b'x'; 16]).unwrap();
        assert_eq!(
            super::read_capped_file(file.path(), 16).unwrap(),
            [b'x'; 16]
        );
        let err = super::read_capped_file(file.path(), 15).unwrap_err();
        assert_eq!(
            err,
            "is larger than 0 MiB, more than a certificate file can be"
        );
    }
}
