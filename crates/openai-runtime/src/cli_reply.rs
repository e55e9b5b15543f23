//! What a generated command hands back to the command-line program: how to
//! show the reply. Part of [`cli`](crate::cli); only with the `cli` feature.

use std::path::PathBuf;

use crate::{ApiResponse, ByteStream};

/// The outcome of a generated command's `run`, by the kind of reply.
#[derive(Debug)]
pub enum Reply {
    /// A body to print as the server sent it (`body`); `data` is the same
    /// as JSON (a text reply is a JSON string).
    Body(ApiResponse<serde_json::Value>),
    /// A reply without a body: nothing to print.
    Empty(ApiResponse<()>),
    /// A download, still streaming: to write to `output`, or to stdout when
    /// that is `None` or `-`.
    Download {
        response: ApiResponse<ByteStream>,
        output: Option<PathBuf>,
    },
}
