//! Fault injection: which requests the fake sabotages, and how.
//!
//! Three ways to aim a fault, all set in [`crate::Config`]:
//!
//! * [`PartFault`]: by the number of the parts request (1-based, counting
//!   every authenticated request to the parts route, as
//!   [`crate::Config::fail_part`] does). Exact, but a test has to know the
//!   order its client sends requests in.
//! * [`FlakyParts`]: by the Part itself. A client retries a Part by sending
//!   the same bytes again, so the fake names a Part by its Upload, its size
//!   and the md5 of its bytes, and counts the attempts at each. "The first
//!   3 distinct Parts each fail twice, then succeed" needs no knowledge of
//!   the order or concurrency of the client's requests.
//! * [`crate::Config::complete_fault`]: the first completion the fake
//!   would accept.
//!
//! A fault fires where the fake would otherwise do the work (store the
//! Part, complete the Upload): a request refused earlier (bad body, unknown
//! or non-pending Upload, wrong md5) gets its ordinary error reply and
//! fires nothing.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

/// What the fake does to a request it was told to sabotage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// Reply with this status (400..=599) and an OpenAI-style error body.
    /// No `x-should-retry` header: the client's own rules decide. Nothing
    /// is stored.
    Status(u16),
    /// Close the connection without a byte of reply, after reading the
    /// whole request body. Nothing is stored. The client sees the
    /// connection end before a reply (hyper: "connection closed before
    /// message completed").
    Reset,
    /// Never reply, so the client's timeout has to end the request. Nothing
    /// is stored. When the fake stops, the connection is closed as for
    /// [`FaultKind::Reset`] (so stopping never waits for it).
    Hang,
    /// Do the work (store the Part, with an id: an orphan the client never
    /// learns of; or complete the Upload), then close the connection as
    /// for [`FaultKind::Reset`]: the work happened, the reply was lost.
    StoreThenDrop,
    /// Reply with this status and a JSON-looking body that never ends
    /// (chunked, at most about 16 MB/s), until the client hangs up or the
    /// fake stops. Nothing is stored. For a client's body-size and
    /// read-timeout limits.
    EndlessBody(u16),
}

impl FaultKind {
    /// Whether the client gets no reply at all (the log's `status` stays
    /// `None`).
    pub fn drops_reply(self) -> bool {
        matches!(self, Self::Reset | Self::Hang | Self::StoreThenDrop)
    }

    /// Refuses statuses a fault cannot carry: [`FaultKind::Status`] must be
    /// an error (400..=599); [`FaultKind::EndlessBody`] must allow a body
    /// (200..=599, not 204, 205 or 304).
    pub fn check(self) -> Result<(), String> {
        match self {
            Self::Status(code) if !(400..=599).contains(&code) => Err(format!(
                "a fault status must be an error status (400..=599), not {code}"
            )),
            Self::EndlessBody(code)
                if !(200..=599).contains(&code) || matches!(code, 204 | 205 | 304) =>
            {
                Err(format!(
                    "an endless body needs a status that has a body (200..=599, \
                     not 204, 205 or 304), not {code}"
                ))
            }
            _ => Ok(()),
        }
    }
}

/// The spelling the binary's flags take: `502`, `reset`, `hang`,
/// `store-then-drop`, `endless-body` (status 200) or `endless-body:503`.
impl FromStr for FaultKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let kind = match text {
            "reset" => Self::Reset,
            "hang" => Self::Hang,
            "store-then-drop" => Self::StoreThenDrop,
            "endless-body" => Self::EndlessBody(200),
            _ => match text.strip_prefix("endless-body:") {
                Some(code) => Self::EndlessBody(status(code)?),
                None => Self::Status(status(text).map_err(|_| {
                    format!(
                        "unknown fault {text:?}: expected a status (e.g. 502), reset, hang, \
                         store-then-drop, endless-body or endless-body:STATUS"
                    )
                })?),
            },
        };
        kind.check()?;
        Ok(kind)
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status(code) => write!(f, "{code}"),
            Self::Reset => f.write_str("reset"),
            Self::Hang => f.write_str("hang"),
            Self::StoreThenDrop => f.write_str("store-then-drop"),
            Self::EndlessBody(code) => write!(f, "endless-body:{code}"),
        }
    }
}

fn status(text: &str) -> Result<u16, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not an HTTP status"))
}

/// Sabotage the `nth` parts request (1-based, counting every authenticated
/// request to the parts route, refused or not) with `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartFault {
    pub nth: usize,
    pub kind: FaultKind,
}

/// The binary's spelling: `N=KIND`, e.g. `3=reset` or `1=502`.
impl FromStr for PartFault {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (nth, kind) = text
            .split_once('=')
            .ok_or_else(|| format!("expected N=FAULT (e.g. 2=reset), not {text:?}"))?;
        let nth = nth
            .parse()
            .ok()
            .filter(|&nth| nth > 0)
            .ok_or_else(|| format!("{nth:?} is not a request number (1, 2, ...)"))?;
        Ok(Self {
            nth,
            kind: kind.parse()?,
        })
    }
}

/// Parts that fail a few times each, then succeed.
///
/// The fake names a Part by (Upload id, size, md5 of its bytes) and counts
/// the attempts at each: attempt `i` (0-based) of one of the first `parts`
/// distinct Parts it receives fails with `faults[i]`; attempts past the
/// list, and every other Part, succeed. So `faults.len()` is how many times
/// each of those Parts fails. Parts with equal bytes in one Upload count as
/// one Part: give each Part distinct contents.
///
/// "3 Parts each fail twice with a 502, then succeed":
/// `FlakyParts::each_fails(3, 2, FaultKind::Status(502))`. Use
/// `usize::MAX` parts for "every Part". A request that a [`PartFault`] or
/// [`crate::Config::fail_part`] sabotages is not counted here.
///
/// The md5 is taken while the body is read, so this works with
/// [`crate::Config::verify_md5`] and `keep_file_bytes` off too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlakyParts {
    /// How many distinct Parts (the first received) fail.
    pub parts: usize,
    /// What each of their attempts meets, in order, before one succeeds.
    pub faults: Vec<FaultKind>,
}

impl FlakyParts {
    /// The first `parts` distinct Parts each fail `times` times with
    /// `kind`, then succeed.
    pub fn each_fails(parts: usize, times: usize, kind: FaultKind) -> Self {
        Self {
            parts,
            faults: vec![kind; times],
        }
    }

    /// Refuses a rule that could never fire.
    pub fn check(&self) -> Result<(), String> {
        if self.parts == 0 || self.faults.is_empty() {
            return Err("flaky_parts must name at least one part and one fault".to_owned());
        }
        self.faults.iter().try_for_each(|kind| kind.check())
    }
}

/// The binary's spelling: `PARTS:FAULT[,FAULT...]`, where a fault may be
/// repeated as `TIMES*FAULT`: `3:2*502` or `3:502,reset`.
impl FromStr for FlakyParts {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (parts, list) = text.split_once(':').ok_or_else(|| {
            format!("expected PARTS:FAULT[,FAULT...] (e.g. 3:2*502), not {text:?}")
        })?;
        let parts = parts
            .parse()
            .map_err(|_| format!("{parts:?} is not a number of parts"))?;
        let mut faults = Vec::new();
        for item in list.split(',') {
            let (times, kind) = match item.split_once('*') {
                Some((times, kind)) => (
                    times
                        .parse()
                        .map_err(|_| format!("{times:?} is not a number of times"))?,
                    kind,
                ),
                None => (1, item),
            };
            let kind: FaultKind = kind.parse()?;
            faults.extend(std::iter::repeat_n(kind, times));
        }
        let flaky = Self { parts, faults };
        flaky.check()?;
        Ok(flaky)
    }
}

/// A Part as [`FlakyParts`] tells Parts apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PartIdentity {
    pub upload_id: String,
    pub bytes: u64,
    pub md5: String,
}

/// The faults a running fake still has to inject.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    by_request: HashMap<usize, FaultKind>,
    flaky: Option<FlakyParts>,
    /// Attempts so far at each flaky Part (only the first `flaky.parts`
    /// distinct Parts are entered).
    attempts: Mutex<HashMap<PartIdentity, usize>>,
    /// Taken by the first completion that would succeed.
    complete: Mutex<Option<FaultKind>>,
}

impl Faults {
    pub fn new(
        part_faults: &[PartFault],
        flaky: Option<FlakyParts>,
        complete: Option<FaultKind>,
    ) -> Self {
        Self {
            // With two rules for one request (refused by `Fake::start`), the
            // first wins.
            by_request: part_faults
                .iter()
                .rev()
                .map(|fault| (fault.nth, fault.kind))
                .collect(),
            flaky,
            attempts: Mutex::default(),
            complete: Mutex::new(complete),
        }
    }

    /// Whether Parts must be hashed to be told apart.
    pub fn needs_part_identity(&self) -> bool {
        self.flaky.is_some()
    }

    /// The fault for parts request `n` carrying the Part `identity` (if
    /// known), counting the attempt at a flaky Part.
    pub fn for_part(&self, n: usize, identity: Option<PartIdentity>) -> Option<FaultKind> {
        if let Some(kind) = self.by_request.get(&n) {
            return Some(*kind);
        }
        let (flaky, identity) = (self.flaky.as_ref()?, identity?);
        let mut attempts = self.attempts.lock().unwrap_or_else(PoisonError::into_inner);
        let known = attempts.len();
        let attempt = match attempts.get_mut(&identity) {
            Some(attempt) => attempt,
            None if known < flaky.parts => attempts.entry(identity).or_insert(0),
            None => return None,
        };
        let fault = flaky.faults.get(*attempt).copied();
        *attempt = attempt.saturating_add(1);
        fault
    }

    /// The completion fault, once.
    pub fn take_complete(&self) -> Option<FaultKind> {
        self.complete
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(md5: &str) -> Option<PartIdentity> {
        Some(PartIdentity {
            upload_id: "upload_1".to_owned(),
            bytes: 3,
            md5: md5.to_owned(),
        })
    }

    #[test]
    fn kinds_parse_and_print_the_same_spelling() {
        for (text, kind) in [
            ("502", FaultKind::Status(502)),
            ("reset", FaultKind::Reset),
            ("hang", FaultKind::Hang),
            ("store-then-drop", FaultKind::StoreThenDrop),
            ("endless-body:503", FaultKind::EndlessBody(503)),
        ] {
            assert_eq!(text.parse::<FaultKind>(), Ok(kind));
            assert_eq!(kind.to_string(), text);
        }
        assert_eq!("endless-body".parse(), Ok(FaultKind::EndlessBody(200)));
        for bad in [
            "200",
            "600",
            "boom",
            "endless-body:204",
            "endless-body:x",
            "",
        ] {
            assert!(bad.parse::<FaultKind>().is_err(), "{bad}");
        }
    }

    #[test]
    fn rules_parse_from_flag_spellings() {
        assert_eq!(
            "2=reset".parse(),
            Ok(PartFault {
                nth: 2,
                kind: FaultKind::Reset
            })
        );
        for bad in ["0=reset", "2", "x=reset", "2=nope"] {
            assert!(bad.parse::<PartFault>().is_err(), "{bad}");
        }
        assert_eq!(
            "3:2*502".parse(),
            Ok(FlakyParts::each_fails(3, 2, FaultKind::Status(502)))
        );
        assert_eq!(
            "1:reset,2*hang".parse(),
            Ok(FlakyParts {
                parts: 1,
                faults: vec![FaultKind::Reset, FaultKind::Hang, FaultKind::Hang],
            })
        );
        for bad in ["3", "0:502", "3:0*502", "3:x*502", "3:502,", "x:502"] {
            assert!(bad.parse::<FlakyParts>().is_err(), "{bad}");
        }
    }

    #[test]
    fn request_numbers_fire_once_and_win_over_flaky_parts() {
        let faults = Faults::new(
            &[PartFault {
                nth: 2,
                kind: FaultKind::Hang,
            }],
            Some(FlakyParts::each_fails(1, 1, FaultKind::Reset)),
            None,
        );
        assert_eq!(faults.for_part(2, identity("a")), Some(FaultKind::Hang));
        // Request 2 did not count as an attempt at "a".
        assert_eq!(faults.for_part(3, identity("a")), Some(FaultKind::Reset));
        assert_eq!(faults.for_part(4, identity("a")), None);
    }

    #[test]
    fn the_first_distinct_parts_fail_their_first_attempts() {
        let faults = Faults::new(
            &[],
            Some(FlakyParts {
                parts: 2,
                faults: vec![FaultKind::Status(502), FaultKind::Reset],
            }),
            None,
        );
        assert_eq!(
            faults.for_part(1, identity("a")),
            Some(FaultKind::Status(502))
        );
        assert_eq!(
            faults.for_part(2, identity("b")),
            Some(FaultKind::Status(502))
        );
        // A third Part is not flaky, ever.
        assert_eq!(faults.for_part(3, identity("c")), None);
        assert_eq!(faults.for_part(4, identity("a")), Some(FaultKind::Reset));
        assert_eq!(faults.for_part(5, identity("a")), None);
        assert_eq!(faults.for_part(6, identity("b")), Some(FaultKind::Reset));
        assert_eq!(faults.for_part(7, identity("b")), None);
        assert_eq!(faults.for_part(8, identity("c")), None);
        // Unhashed Parts cannot be told apart, so never fail.
        assert_eq!(faults.for_part(9, None), None);
    }

    #[test]
    fn the_complete_fault_is_taken_once() {
        let faults = Faults::new(&[], None, Some(FaultKind::StoreThenDrop));
        assert_eq!(faults.take_complete(), Some(FaultKind::StoreThenDrop));
        assert_eq!(faults.take_complete(), None);
    }
}
