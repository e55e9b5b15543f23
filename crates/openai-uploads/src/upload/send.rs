//! Sending parts: up to `concurrency` at once, each retried on its own
//! after a failure that may heal, with the bytes counted as they go out.
//!
//! A retried part sends the same bytes again, those that were read and
//! hashed: the part keeps its buffer (one of the reader's `concurrency`
//! slots) until it is acknowledged, and nothing else is kept. Replaying a
//! part is harmless: `complete` lists the ids of the parts to assemble, and
//! an attempt whose reply never arrived has no id the uploader could list.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use openai_runtime::{Error, FilePart, one_line};

use super::api;
use super::events::{Clock, Events, Late, Sent, UploadEvent};
use super::journal::Keeper;
use super::read::{FromReader, Part};
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
    pub events: Events<'a>,
    pub sent: Sent,
    pub clock: Clock,
    pub journal: Option<&'a Keeper>,
}

impl Sender<'_> {
    /// Sends every part the reader hands over, recording each id in
    /// `part_ids`; returns the file's md5 once all are acknowledged.
    pub async fn send_all(
        &mut self,
        mut parts: mpsc::Receiver<FromReader>,
        part_ids: &mut [Option<String>],
        interrupt: &mut (impl Future<Output = ()> + Unpin),
    ) -> Result<String, Stop> {
        let mut in_flight = FuturesUnordered::new();
        // Bytes in the parts in flight, and in those acknowledged (by this
        // run or an earlier one): what is left to go out is known.
        let mut in_flight_bytes = 0u64;
        let mut acknowledged = self.sent.get();
        let mut md5 = None;
        let mut ticks = tokio::time::interval(PROGRESS_EVERY);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        while md5.is_none() || !in_flight.is_empty() {
            tokio::select! {
                biased;
                () = &mut *interrupt => return Err(Stop::Interrupted),
                Some(done) = in_flight.next() => {
                    let Done { index, len, attempts, result } = done;
                    let part_id = result.map_err(Stop::Failed)?;
                    in_flight_bytes -= len;
                    acknowledged += len;
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
                    self.progress();
                }
                read = parts.recv(), if md5.is_none() => match read {
                    Some(FromReader::Part(part)) => {
                        let len = part.bytes.len() as u64;
                        let sent = self.sent.get();
                        // Bytes that must go out before this part is done.
                        let on_the_wire = sent.saturating_sub(acknowledged);
                        let ahead = in_flight_bytes.saturating_sub(on_the_wire) + len;
                        if let Some(late) = self.clock.too_late(ahead, sent) {
                            return Err(Stop::Expiring(late));
                        }
                        in_flight_bytes += len;
                        in_flight.push(send_part(
                            self.client,
                            self.upload_id,
                            self.retries,
                            self.events,
                            self.sent.clone(),
                            part,
                        ));
                    }
                    Some(FromReader::Done { md5: hex }) => md5 = Some(hex),
                    Some(FromReader::Failed(error)) => return Err(Stop::Failed(error)),
                    None => return Err(Stop::Failed(Error::Config(
                        "the file reader stopped unexpectedly".to_owned(),
                    ))),
                },
                _ = ticks.tick() => self.progress(),
            }
        }
        Ok(md5.unwrap_or_default())
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
    part: Part,
) -> Done {
    let len = part.bytes.len() as u64;
    let mut attempt = 0;
    loop {
        let counted = Arc::new(AtomicU64::new(0));
        let data = FilePart::from_bytes(part.bytes.clone()).on_progress({
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
                    index: part.index,
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
                    index: part.index,
                    attempt: attempt + 1,
                    error: one_line(&error.to_string(), 300),
                    wait,
                });
                tokio::time::sleep(wait).await;
            }
            _ => {
                return Done {
                    index: part.index,
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
