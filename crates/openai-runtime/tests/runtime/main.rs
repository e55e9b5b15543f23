//! The runtime's integration tests, in one test binary (one build and one
//! link instead of one per area): each module covers one area.

mod builder;
mod call;
mod client;
mod download;
mod multipart;
mod paging;
mod process;
mod replies;
mod retries;
mod sse;
mod transport;
mod unions;
mod webhooks;
