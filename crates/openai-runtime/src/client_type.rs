//! [`client!`](crate::client): the `Client` of a generated API crate.

/// Defines `Client`, the runtime's [`Client`](crate::Client) under a type of
/// the calling crate, which its generated resources add methods to
/// (`client.batches()`), and `ClientBuilder` for it. Cheap to clone; it
/// dereferences to the runtime's client.
///
/// ```
/// mod api {
///     openai_runtime::client!();
/// }
/// let client = api::Client::builder().api_key("sk-...").build().unwrap();
/// assert_eq!(client.base_url(), openai_runtime::DEFAULT_BASE_URL);
/// ```
#[macro_export]
macro_rules! client {
    () => {
        /// An OpenAI API client. Cheap to clone: clones share one
        /// configuration and one connection pool. Build one with
        /// [`Client::from_env`] or [`Client::builder`].
        #[derive(Clone)]
        pub struct Client {
            runtime: $crate::Client,
        }

        /// Configures and builds a [`Client`].
        pub type ClientBuilder = $crate::ClientBuilder<Client>;

        impl Client {
            /// A [`ClientBuilder`] with nothing set (the environment is not read).
            pub fn builder() -> ClientBuilder {
                ClientBuilder::new()
            }

            /// A client configured from `OPENAI_API_KEY` (required),
            /// `OPENAI_BASE_URL`, `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID`.
            pub fn from_env() -> $crate::Result<Self> {
                ClientBuilder::from_env().build()
            }

            /// The runtime's client, which sends the requests.
            pub fn runtime(&self) -> &$crate::Client {
                &self.runtime
            }
        }

        impl ::std::convert::From<$crate::Client> for Client {
            fn from(runtime: $crate::Client) -> Self {
                Self { runtime }
            }
        }

        impl ::std::ops::Deref for Client {
            type Target = $crate::Client;

            fn deref(&self) -> &Self::Target {
                &self.runtime
            }
        }

        impl ::std::fmt::Debug for Client {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(&self.runtime, f)
            }
        }
    };
}
