//! Sending parts: up to `concurrency` at once, each retried on its own
//! after a failure that may heal, with the bytes counted as they go out.
//!
//! Each attempt streams its part from the file ([`Parts::body`]): a part
//! in flight holds a chunk or two, never the whole part, so memory does not
//! grow with the part size or with `concurrency`. A retried part is read
//! again and checked against what was read of it before. Replaying a part
//! is harmless: `complete` lists the ids of the parts to assemble, and an
//! attempt whose reply never arrived has no id the uploader could list.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::future::OptionFuture;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt as _, StreamExt as _};
use tokio::time::MissedTickBehavior;

use openai_runtime::{Error, FilePart, one_line};

use super::api;
use super::events::{Clock, Events, Late, Sent, UploadEvent};
use super::journal::Keeper;
use super::read::{Parts, Range, Reading};
use crate::Client;

/// How often progress is reported while parts are in flight.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Why sending parts stopped early.
pub(super) enum Stop {
    Failed(Error),
    Interrupted,
    /// The next part could not be acknowledged before the Upload expires.
    Expiring(Late),
}

/// Everything the parts of one Upload share.
pub(super) struct Sender<'a> {
    pub client: &'a Client,
    pub upload_id: &'a str,
    pub total: u64,
    pub retries: u32,
    pub concurrency: usize,
    pub events: Events<'a>,
    pub sent: Sent,
    pub clock: Clock,
    pub journal: Option<&'a Keeper>,
}

impl Sender<'_> {
    /// Sends the parts at `ranges` (in order, `concurrency` at once),
    /// recording each id in `part_ids`; once all are acknowledged, returns
    /// the file's md5 from `reading`, or `None` without one.
    pub async fn send_all(
        &mut self,
        parts: &Arc<Parts>,
        ranges: Vec<Range>,
        mut reading: Option<Reading>,
        part_ids: &mut [Option<String>],
        interrupt: &mut (impl Future<Output = ()> + Unpin),
    ) -> Result<Option<String>, Stop> {
        let mut waiting = ranges.into_iter();
        let mut in_flight = FuturesUnordered::new();
        // Bytes in the parts in flight, and in those acknowledged (by this
        // run or an earlier one): what is left to go out is known.
        let mut in_flight_bytes = 0u64;
        let mut acknowledged = self.sent.get();
        // Read once the reader is done, which drops it.
        let mut md5 = None;
        let mut ticks = tokio::time::interval(PROGRESS_EVERY);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        loop {
            while in_flight.len() < self.concurrency {
                let Some(range) = waiting.next() else { break };
                let sent = self.sent.get();
                // Bytes that must go out before this part is done.
                let on_the_wire = sent.saturating_sub(acknowledged);
                let ahead = in_flight_bytes.saturating_sub(on_the_wire) + range.len;
                if let Some(late) = self.clock.too_late(ahead, sent) {
                    return Err(Stop::Expiring(late));
                }
                in_flight_bytes += range.len;
                in_flight.push(send_part(
                    self.client,
                    self.upload_id,
                    self.retries,
                    self.events,
                    self.sent.clone(),
                    range,
                    parts.body(range),
                ));
            }
            if in_flight.is_empty() && reading.is_none() {
                parts.check_unchanged().await.map_err(Stop::Failed)?;
                return Ok(md5);
            }
            tokio::select! {
                biased;
                () = &mut *interrupt => return Err(Stop::Interrupted),
                Some(done) = in_flight.next() => {
                    let mut done = Some(done);
                    // Every part that has finished too, before more start: a
                    // failure among them stops the upload before a part
                    // that would follow it is sent.
                    while let Some(Done { index, len, attempts, result }) = done {
                        let part_id = result.map_err(Stop::Failed)?;
                        in_flight_bytes -= len;
                        acknowledged += len;
                        self.acknowledged(index, part_id, len, attempts, part_ids);
                        done = in_flight.next().now_or_never().flatten();
                    }
                    self.progress();
                }
                read = OptionFuture::from(reading.as_mut().map(|r| &mut r.result)),
                    if reading.is_some() => match read {
                    Some(Ok(Ok(hex))) => {
                        md5 = Some(hex);
                        reading = None;
                    }
                    Some(Ok(Err(error))) => return Err(Stop::Failed(error)),
                    Some(Err(_)) | None => return Err(Stop::Failed(Error::Config(
                        "the file reader stopped unexpectedly".to_owned(),
                    ))),
                },
                _ = ticks.tick() => self.progress(),
            }
        }
    }

    /// Journals and reports an acknowledged part, and keeps its id.
    fn acknowledged(
        &self,
        index: usize,
        part_id: String,
        len: u64,
        attempts: u32,
        part_ids: &mut [Option<String>],
    ) {
        if let Some(journal) = self.journal {
            journal.acknowledge(index, &part_id);
            if let Some(message) = journal.take_error() {
                (self.events)(&UploadEvent::JournalWarning { message });
            }
        }
        (self.events)(&UploadEvent::PartSent {
            index,
            part_id: part_id.clone(),
            bytes: len,
            attempts,
        });
        if let Some(slot) = part_ids.get_mut(index) {
            *slot = Some(part_id);
        }
    }

    /// A progress event, and the expiry warning when it is due.
    fn progress(&mut self) {
        let sent = self.sent.get();
        (self.events)(&UploadEvent::Progress {
            sent,
            total: self.total,
            rate: self.clock.rate(sent),
            expires_in: self.clock.expires_in(),
        });
        if let Some(warning) = self.clock.warning(self.total.saturating_sub(sent), sent) {
            (self.events)(&warning);
        }
    }
}

/// Sends one part, again after each failure that may heal, up to `retries`
/// times, waiting as the server asks or backing off with jitter.
async fn send_part(
    client: &Client,
    upload_id: &str,
    retries: u32,
    events: Events<'_>,
    sent: Sent,
    range: Range,
    body: FilePart,
) -> Done {
    let Range { index, len, .. } = range;
    let mut attempt = 0;
    loop {
        let counted = Arc::new(AtomicU64::new(0));
        let data = body.clone().on_progress({
            let (sent, counted) = (sent.clone(), counted.clone());
            move |bytes| {
                sent.add(bytes);
                counted.fetch_add(bytes, Ordering::Relaxed);
            }
        });
        let result = api::add_part(client, upload_id, data, attempt).await;
        let counted = counted.load(Ordering::Relaxed);
        let (error, retry_after) = match result {
            Ok(part_id) => {
                // All of it counts now, whatever was reported.
                sent.add(len.saturating_sub(counted));
                return Done {
                    index,
                    len,
                    attempts: attempt + 1,
                    result: Ok(part_id),
                };
            }
            Err(failed) => failed,
        };
        sent.take_back(counted);
        match retry_after {
            Some(wait) if attempt < retries => {
                attempt += 1;
                events(&UploadEvent::PartRetried {
                    index,
                    attempt: attempt + 1,
                    error: one_line(&error.to_string(), 300),
                    wait,
                });
                tokio::time::sleep(wait).await;
            }
            _ => {
                return Done {
                    index,
                    len,
                    attempts: attempt + 1,
                    result: Err(error),
                };
            }
        }
    }
}

/// A part's outcome.
struct Done {
    index: usize,
    len: u64,
    attempts: u32,
    result: Result<String, Error>,
}
