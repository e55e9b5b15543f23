//! What the uploader tells its caller as it goes ([`UploadEvent`]), and the
//! measurements behind it: bytes on the wire, the rate, and the time left
//! before the Upload expires.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Serialize, Serializer};

/// Something that happened during an upload, passed to the `events` callback
/// of [`Uploads::upload_file_with`](crate::Uploads::upload_file_with).
///
/// Server-chosen text (ids, error messages) is passed on as received: escape
/// it before showing it on a terminal.
///
/// It serializes as one JSON object named by `event` (`created`,
/// `part_sent`, ...), as `openai uploads upload --progress json` prints it;
/// durations are seconds (`wait_seconds`, `seconds_needed`, `seconds_left`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum UploadEvent {
    /// A new Upload was created.
    Created {
        /// The Upload's id.
        upload_id: String,
        /// The file's size.
        bytes: u64,
        /// How many parts it is sent in.
        parts: usize,
        /// Bytes per part (the last may be smaller).
        part_size: u64,
        /// When the Upload expires, as the server said (Unix seconds).
        expires_at: i64,
    },
    /// An Upload a journal recorded for this file is being resumed: only
    /// the parts it lacks are sent.
    Resumed {
        /// The Upload's id.
        upload_id: String,
        /// The file's size.
        bytes: u64,
        /// How many parts the file is sent in.
        parts: usize,
        /// Bytes per part (the journal's, which wins over the options').
        part_size: u64,
        /// Parts an earlier run sent.
        parts_done: usize,
        /// Bytes in those parts.
        bytes_done: u64,
        /// When the Upload expires (Unix seconds).
        expires_at: i64,
    },
    /// A journaled Upload for this file could not be resumed (the file
    /// changed, the Upload expired, or resuming was turned off), so a new
    /// one is started.
    Discarded {
        /// The old Upload's id.
        upload_id: String,
        /// Why it was not resumed, e.g. `the file was modified`.
        reason: String,
        /// Whether it was cancelled (an expired Upload needs no cancel).
        cancelled: bool,
    },
    /// Bytes went out: sent about ten times a second while parts are in
    /// flight. A part that fails takes its bytes back, so `sent` can go down.
    Progress {
        /// Bytes of the file sent or being sent, out of `total`.
        sent: u64,
        /// The file's size.
        total: u64,
        /// Bytes per second since parts began to flow, once measured.
        rate: Option<f64>,
        /// Time left before the Upload expires.
        #[serde(rename = "seconds_left", serialize_with = "whole_seconds_or_null")]
        expires_in: Option<Duration>,
    },
    /// A part was acknowledged.
    PartSent {
        /// Its place in the file, from 0.
        index: usize,
        /// The id the server gave it.
        part_id: String,
        /// Its size.
        bytes: u64,
        /// How many attempts it took.
        attempts: u32,
    },
    /// A part failed in a way that may heal and is sent again after `wait`.
    PartRetried {
        /// Its place in the file, from 0.
        index: usize,
        /// The attempt about to be made, from 2.
        attempt: u32,
        /// What went wrong, in one line.
        error: String,
        /// The wait before sending it again.
        #[serde(rename = "wait_seconds", serialize_with = "seconds")]
        wait: Duration,
    },
    /// At the measured rate the upload would finish after the Upload
    /// expires. Sent once; parts that cannot finish in time are not sent.
    ExpiryWarning {
        /// Bytes still to send.
        bytes_left: u64,
        /// The measured rate, bytes per second.
        #[serde(rename = "bytes_per_second")]
        rate: f64,
        /// The time sending them would take at that rate.
        #[serde(rename = "seconds_needed", serialize_with = "whole_seconds")]
        needed: Duration,
        /// The time left before the Upload expires.
        #[serde(rename = "seconds_left", serialize_with = "whole_seconds")]
        expires_in: Duration,
    },
    /// The journal cannot be kept or read; the upload goes on without it
    /// (a crash then cannot be resumed).
    JournalWarning {
        /// What went wrong.
        message: String,
    },
    /// The Upload was completed.
    Completed {
        /// The Upload's id.
        upload_id: String,
        /// The new File's id, when the reply named it.
        file_id: Option<String>,
    },
    /// The Upload was cancelled, after a failure or an interrupt.
    Cancelled {
        /// The Upload's id.
        upload_id: String,
    },
}

/// A duration as seconds, with their fraction.
fn seconds<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_secs_f64())
}

/// A duration as whole seconds.
fn whole_seconds<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(duration.as_secs())
}

fn whole_seconds_or_null<S: Serializer>(
    duration: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match duration {
        Some(duration) => whole_seconds(duration, serializer),
        None => serializer.serialize_none(),
    }
}

/// The events callback.
pub(super) type Events<'a> = &'a (dyn Fn(&UploadEvent) + Send + Sync);

/// Bytes of the file on the wire: acknowledged parts, plus what the current
/// attempts of parts in flight have handed to the connection.
#[derive(Clone, Default)]
pub(super) struct Sent(Arc<AtomicU64>);

impl Sent {
    pub fn starting_at(bytes: u64) -> Self {
        Self(Arc::new(AtomicU64::new(bytes)))
    }

    pub fn add(&self, bytes: u64) {
        self.0.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Takes back the bytes of a failed attempt.
    pub fn take_back(&self, bytes: u64) {
        // Never below zero, whatever the order of updates.
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
                Some(now.saturating_sub(bytes))
            });
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// When the Upload expires, on this machine's clocks, and how fast bytes
/// go out: for the time left, the rate, and whether a part can still make
/// it.
pub(super) struct Clock {
    /// When the Upload expires; `None` when the server did not say.
    deadline: Option<Instant>,
    started: Instant,
    /// Bytes sent before this run, which the rate leaves out.
    sent_before: u64,
    warned: bool,
}

/// How long before expiry the last part must be acknowledged, for the
/// `complete` call and for clocks that disagree.
pub(super) const EXPIRY_MARGIN: Duration = Duration::from_secs(10);
/// The rate is trusted once bytes have flowed this long.
const RATE_AFTER: Duration = Duration::from_secs(2);

impl Clock {
    pub fn new(expires_in: Option<Duration>, sent_before: u64) -> Self {
        Self::starting(Instant::now(), expires_in, sent_before)
    }

    /// A clock whose run started at `now`.
    fn starting(now: Instant, expires_in: Option<Duration>, sent_before: u64) -> Self {
        Self {
            deadline: expires_in.map(|left| now + left),
            started: now,
            sent_before,
            warned: false,
        }
    }

    pub fn expires_in(&self) -> Option<Duration> {
        self.deadline
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }

    /// Bytes per second in this run, once measured.
    pub fn rate(&self, sent: u64) -> Option<f64> {
        let elapsed = self.started.elapsed();
        let sent = sent.saturating_sub(self.sent_before);
        (elapsed >= RATE_AFTER && sent > 0).then(|| sent as f64 / elapsed.as_secs_f64())
    }

    /// Whether a part whose last byte goes out after `ahead` more bytes can
    /// be acknowledged before the Upload expires (with a margin); the time
    /// it needs when it cannot.
    pub fn too_late(&self, ahead: u64, sent: u64) -> Option<Late> {
        let left = self.expires_in()?;
        let needed = match self.rate(sent) {
            Some(rate) => Duration::try_from_secs_f64(ahead as f64 / rate).unwrap_or(Duration::MAX),
            None => Duration::ZERO,
        };
        (needed.saturating_add(EXPIRY_MARGIN) > left).then_some(Late { needed, left })
    }

    /// The warning, once, when the rest of the file cannot be sent in time
    /// at the measured rate.
    pub fn warning(&mut self, bytes_left: u64, sent: u64) -> Option<UploadEvent> {
        if self.warned {
            return None;
        }
        let (left, rate) = (self.expires_in()?, self.rate(sent)?);
        let needed = Duration::try_from_secs_f64(bytes_left as f64 / rate).unwrap_or(Duration::MAX);
        if needed.saturating_add(EXPIRY_MARGIN) <= left {
            return None;
        }
        self.warned = true;
        Some(UploadEvent::ExpiryWarning {
            bytes_left,
            rate,
            needed,
            expires_in: left,
        })
    }
}

/// A part that cannot be acknowledged before the Upload expires.
#[derive(Debug, Clone, Copy)]
pub(super) struct Late {
    pub needed: Duration,
    pub left: Duration,
}

/// The time left before `expires_at` (Unix seconds on the server's clock),
/// measured from `created_at` on that same clock when known, so that a local
/// clock that is off does not matter. `None` for a reply without
/// `expires_at`.
pub(super) fn expires_in(created_at: Option<i64>, expires_at: Option<i64>) -> Option<Duration> {
    let expires_at = expires_at?;
    let from = created_at.unwrap_or_else(unix_now);
    let seconds = expires_at.saturating_sub(from).max(0);
    Some(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)))
}

/// Seconds since the Unix epoch, now.
pub(super) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_counts_on_the_servers_clock() {
        assert_eq!(
            expires_in(Some(100), Some(3700)),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(expires_in(Some(100), Some(50)), Some(Duration::ZERO));
        assert_eq!(expires_in(Some(100), None), None);
        // Absurd values from a server do not overflow.
        assert_eq!(
            expires_in(Some(i64::MIN), Some(i64::MAX)),
            Some(Duration::from_secs(i64::MAX as u64))
        );
        assert_eq!(
            expires_in(Some(i64::MAX), Some(i64::MIN)),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn sent_never_goes_below_zero() {
        let sent = Sent::starting_at(5);
        sent.add(10);
        sent.take_back(100);
        assert_eq!(sent.get(), 0);
    }

    /// A clock 10 s into a run that sent `sent` bytes since, its Upload
    /// expiring 60 s after the run started.
    fn ten_seconds_in() -> Clock {
        let started = Instant::now() - Duration::from_secs(10);
        Clock::starting(started, Some(Duration::from_secs(60)), 1000)
    }

    #[test]
    fn the_expiry_warning_comes_once_with_the_numbers() {
        let mut clock = ten_seconds_in();
        let sent = 1000 + 10_000_000; // 1 MB/s
        // 10 MB more: 10 s, in time.
        assert_eq!(clock.warning(10_000_000, sent), None);
        // 100 MB more: 100 s, past the 50 s left.
        let Some(UploadEvent::ExpiryWarning {
            bytes_left,
            rate,
            needed,
            expires_in,
        }) = clock.warning(100_000_000, sent)
        else {
            panic!("no warning");
        };
        assert_eq!(bytes_left, 100_000_000);
        assert!((rate - 1e6).abs() < 2e4, "{rate}");
        assert!(needed.as_secs().abs_diff(100) <= 2, "{needed:?}");
        assert!(expires_in.as_secs().abs_diff(50) <= 1, "{expires_in:?}");
        assert_eq!(clock.warning(100_000_000, sent), None, "only once");
    }

    #[test]
    fn a_part_that_cannot_go_out_in_time_is_late() {
        let clock = ten_seconds_in();
        let sent = 1000 + 10_000_000; // 1 MB/s, 50 s left, 10 s of margin
        assert!(clock.too_late(1_000_000, sent).is_none());
        let late = clock.too_late(45_000_000, sent).expect("late");
        assert!(late.needed.as_secs().abs_diff(45) <= 1, "{late:?}");
        assert!(late.left.as_secs().abs_diff(50) <= 1, "{late:?}");
        // Before anything was measured, only the margin counts.
        let fresh = Clock::new(Some(Duration::from_secs(60)), 0);
        assert!(fresh.too_late(u64::MAX, 0).is_none());
    }

    #[test]
    fn a_near_expiry_stops_parts_before_any_rate_is_known() {
        let clock = Clock::new(Some(Duration::from_secs(5)), 0);
        assert!(clock.too_late(1, 0).is_some());
        let clock = Clock::new(Some(Duration::from_secs(3600)), 0);
        assert!(clock.too_late(1 << 30, 0).is_none());
        let clock = Clock::new(None, 0);
        assert!(clock.too_late(u64::MAX, 0).is_none());
    }
}
