//! Generator errors, each naming its place in the spec as a JSON pointer.

use std::fmt;

/// A problem in the spec or the generation config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Where: a JSON pointer into `spec/openapi.yaml` (`#/paths/...`), or into
    /// `spec/generate.yaml` (`generate.yaml#/resources/...`).
    pub pointer: String,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl Error {
    pub(crate) fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pointer, self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A JSON pointer being built up while walking the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer(String);

impl Pointer {
    pub fn root(prefix: &str) -> Self {
        Pointer(prefix.to_owned())
    }

    /// Appends one reference token, escaped per RFC 6901.
    pub fn join(&self, token: &str) -> Self {
        let token = token.replace('~', "~0").replace('/', "~1");
        Pointer(format!("{}/{}", self.0, token))
    }

    /// One reference token as it was before [`Pointer::join`] escaped it
    /// (a `$ref`'s last word, say).
    pub fn unescape(token: &str) -> String {
        token.replace("~1", "/").replace("~0", "~")
    }

    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::new(self.0.clone(), message)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
