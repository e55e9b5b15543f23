//! [`Client`]: the runtime's client, under a type this crate can give
//! resource methods to (`client.uploads()`).

use std::fmt;
use std::ops::Deref;

use crate::Result;

/// An OpenAI API client. Cheap to clone: clones share one configuration and
/// one connection pool.
///
/// Build one with [`Client::from_env`] or [`Client::builder`], then call the
/// API through the resource methods, e.g. [`Client::uploads`]. Everything
/// else (base URL, retries, timeout) comes from the runtime's client, which
/// this one dereferences to.
#[derive(Clone)]
pub struct Client {
    runtime: openai_runtime::Client,
}

/// Configures and builds a [`Client`]; see [`openai_runtime::ClientBuilder`]
/// for every setting.
///
/// ```
/// # fn main() -> Result<(), openai_uploads::Error> {
/// let client = openai_uploads::Client::builder()
///     .api_key("sk-...")
///     .base_url("http://127.0.0.1:4010/v1")
///     .max_retries(0)
///     .build()?;
/// # let _: openai_uploads::Client = client;
/// # Ok(()) }
/// ```
pub type ClientBuilder = openai_runtime::ClientBuilder<Client>;

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

    /// The runtime's client, which sends the requests.
    pub fn runtime(&self) -> &openai_runtime::Client {
        &self.runtime
    }
}

impl From<openai_runtime::Client> for Client {
    fn from(runtime: openai_runtime::Client) -> Self {
        Self { runtime }
    }
}

impl Deref for Client {
    type Target = openai_runtime::Client;

    fn deref(&self) -> &Self::Target {
        &self.runtime
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.runtime.fmt(f)
    }
}
