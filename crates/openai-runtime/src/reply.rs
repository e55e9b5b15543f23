//! Replies other than JSON: none at all, and text. A [`Call`](crate::Call)
//! calls these; each builds on [`Client::execute_bytes_stream`].

use bytes::Bytes;

use super::error::snippet;
use super::{ApiResponse, ByteStream, Client, Error, Request, Result};

/// Bytes of a bad body kept in [`Error::Decode`] (as for JSON).
const SNIPPET: usize = 512;

/// Bytes of an unexpected body read (and dropped) after a bodiless reply,
/// so that the connection can be reused; past this it is just closed.
const DRAIN_LIMIT: u64 = 64 * 1024;

impl Client {
    /// Sends `request` for a reply without a body: `()`. Whatever the server
    /// sends anyway is read (a little, then the connection is dropped) and
    /// ignored, never decoded.
    #[doc(hidden)]
    pub async fn execute_empty(&self, request: Request) -> Result<ApiResponse<()>> {
        let response = self.execute_bytes_stream(request).await?;
        let (mut stream, response) = split(response);
        let mut read: u64 = 0;
        while read <= DRAIN_LIMIT {
            match stream.chunk().await {
                Ok(Some(chunk)) => read = read.saturating_add(chunk.len() as u64),
                // The reply's status already said it all.
                Ok(None) | Err(_) => break,
            }
        }
        Ok(response)
    }

    /// Sends `request` for a text reply (`application/sdp`, `text/plain`),
    /// read up to [`ClientBuilder::max_response_size`](crate::ClientBuilder::max_response_size).
    /// A body that is not UTF-8 is an [`Error::Decode`].
    #[doc(hidden)]
    pub async fn execute_text(&self, request: Request) -> Result<ApiResponse<String>> {
        let limit = self.inner.max_response_size;
        let response = self.execute_bytes_stream(request).await?;
        let (stream, response) = split(response);
        let body = stream.collect(limit).await?;
        match String::from_utf8(body.to_vec()) {
            Ok(text) => Ok(ApiResponse {
                data: text,
                body,
                status: response.status,
                headers: response.headers,
                request_id: response.request_id,
            }),
            Err(err) => {
                let source = <serde_json::Error as serde::de::Error>::custom(format!(
                    "the reply is not UTF-8 text: {err}"
                ));
                Err(Error::Decode {
                    source,
                    snippet: snippet(&body, SNIPPET),
                    body,
                    request_id: response.request_id,
                    status: response.status,
                })
            }
        }
    }
}

/// The stream, and the reply's status, headers and request id around `()`.
fn split(response: ApiResponse<ByteStream>) -> (ByteStream, ApiResponse<()>) {
    let ApiResponse {
        data,
        status,
        headers,
        request_id,
        body: _,
    } = response;
    (
        data,
        ApiResponse {
            data: (),
            status,
            headers,
            request_id,
            body: Bytes::new(),
        },
    )
}
