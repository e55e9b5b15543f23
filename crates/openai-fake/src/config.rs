//! [`Config`]: how to run the fake, and the checks [`crate::Fake::start`]
//! makes before it binds.

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use crate::faults::{FaultKind, FlakyParts, PartFault};

/// How to run the fake.
#[derive(Clone)]
pub struct Config {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The only bearer token accepted; `None` accepts any non-empty token.
    pub api_key: Option<String>,
    /// How long a new Upload stays pending before it expires. Upload times
    /// are whole seconds, so a fraction of a second counts as a whole one
    /// (a 500 ms TTL is 1 s, not an Upload that is born expired). To expire
    /// an Upload without waiting, see [`crate::Fake::expire`].
    pub upload_ttl: Duration,
    /// Start with the seeded uploads (`upload_abc123`, pending).
    pub seed: bool,
    /// Fail the Nth request to the parts route (1-based, counting every
    /// authenticated one, refused or not) with
    /// [`Config::fail_part_status`], after its body is read and before the
    /// Part is stored. Only that one request fails.
    pub fail_part: Option<usize>,
    /// The status of that failure, 400..=599; default 500. The reply says
    /// `x-should-retry: false`, except for 408 and 429 (`true`).
    pub fail_part_status: u16,
    /// Wait this long after reading each Part's body before answering, so
    /// a test can interrupt a client with Parts in flight.
    pub part_delay: Duration,
    /// Keep each completed File's bytes for [`crate::Fake::file_bytes`];
    /// `false` drops them at completion (for long benchmarks).
    pub keep_file_bytes: bool,
    /// Check the `md5` a completion sends; `false` accepts any well-formed
    /// md5 without hashing. For benchmarks on one machine, where the fake's
    /// hashing would compete with the client for CPU. With this off and
    /// `keep_file_bytes` off, the fake keeps no Part data at all, only sizes
    /// (and hashes no Part unless [`Config::flaky_parts`] needs it).
    pub verify_md5: bool,
    /// Sabotage parts requests by number; see [`PartFault`]. Unlike
    /// [`Config::fail_part`], a [`FaultKind::Status`] here sets no
    /// `x-should-retry`. At most one rule per request number (and not
    /// `fail_part`'s).
    pub part_faults: Vec<PartFault>,
    /// Parts that fail a few times each, then succeed, however the client
    /// orders its requests; see [`FlakyParts`].
    pub flaky_parts: Option<FlakyParts>,
    /// Sabotage the first completion the fake would accept (of any
    /// Upload). With [`FaultKind::StoreThenDrop`] the Upload is completed
    /// and its File made, but the reply is lost; the other kinds leave it
    /// pending.
    pub complete_fault: Option<FaultKind>,
    /// Serve at the lowest CPU priority (nice 19; Linux only, elsewhere
    /// ignored). For benchmarks on one small machine: the fake stands in
    /// for a server elsewhere, which takes no CPU from its clients, so here
    /// it takes only what they leave idle. At its normal priority, each
    /// time it woke it took the CPU from a client's busiest thread.
    pub background: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            port: 0,
            api_key: None,
            upload_ttl: Duration::from_secs(3600),
            seed: true,
            fail_part: None,
            fail_part_status: 500,
            part_delay: Duration::ZERO,
            keep_file_bytes: true,
            verify_md5: true,
            part_faults: Vec::new(),
            flaky_parts: None,
            complete_fault: None,
            background: false,
        }
    }
}

impl Config {
    /// Refuses settings that cannot mean what they say: statuses outside
    /// their range, request number 0, two rules for one request, a flaky
    /// rule that names no Part or no fault.
    pub fn check(&self) -> Result<(), String> {
        if !(400..=599).contains(&self.fail_part_status) {
            return Err(format!(
                "fail_part_status must be an error status (400..=599), not {}",
                self.fail_part_status
            ));
        }
        let mut numbers: HashSet<usize> = HashSet::new();
        if let Some(nth) = self.fail_part {
            if nth == 0 {
                return Err("fail_part counts from 1".to_owned());
            }
            numbers.insert(nth);
        }
        for fault in &self.part_faults {
            if fault.nth == 0 {
                return Err("part_faults count requests from 1".to_owned());
            }
            if !numbers.insert(fault.nth) {
                return Err(format!(
                    "parts request {} has more than one fault rule",
                    fault.nth
                ));
            }
            fault.kind.check()?;
        }
        if let Some(flaky) = &self.flaky_parts {
            flaky.check()?;
        }
        self.complete_fault.map_or(Ok(()), FaultKind::check)
    }

    /// [`Config::upload_ttl`] in whole seconds, rounded up.
    pub(crate) fn ttl_secs(&self) -> u64 {
        let ttl = self.upload_ttl;
        ttl.as_secs()
            .saturating_add(u64::from(ttl.subsec_nanos() > 0))
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("port", &self.port)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("upload_ttl", &self.upload_ttl)
            .field("seed", &self.seed)
            .field("fail_part", &self.fail_part)
            .field("fail_part_status", &self.fail_part_status)
            .field("part_delay", &self.part_delay)
            .field("keep_file_bytes", &self.keep_file_bytes)
            .field("verify_md5", &self.verify_md5)
            .field("part_faults", &self.part_faults)
            .field("flaky_parts", &self.flaky_parts)
            .field("complete_fault", &self.complete_fault)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fraction_of_a_second_counts_as_a_whole_one() {
        let ttl = |upload_ttl| Config {
            upload_ttl,
            ..Config::default()
        };
        assert_eq!(ttl(Duration::ZERO).ttl_secs(), 0);
        assert_eq!(ttl(Duration::from_millis(1)).ttl_secs(), 1);
        assert_eq!(ttl(Duration::from_millis(2000)).ttl_secs(), 2);
        assert_eq!(ttl(Duration::from_millis(2001)).ttl_secs(), 3);
        assert_eq!(ttl(Duration::MAX).ttl_secs(), u64::MAX);
    }

    #[test]
    fn contradictory_rules_are_refused() {
        let fault = |nth, kind| PartFault { nth, kind };
        let bad = [
            Config {
                fail_part: Some(2),
                part_faults: vec![fault(2, FaultKind::Reset)],
                ..Config::default()
            },
            Config {
                part_faults: vec![fault(1, FaultKind::Reset), fault(1, FaultKind::Hang)],
                ..Config::default()
            },
            Config {
                part_faults: vec![fault(0, FaultKind::Reset)],
                ..Config::default()
            },
            Config {
                part_faults: vec![fault(1, FaultKind::Status(302))],
                ..Config::default()
            },
            Config {
                flaky_parts: Some(FlakyParts::each_fails(0, 2, FaultKind::Reset)),
                ..Config::default()
            },
            Config {
                complete_fault: Some(FaultKind::EndlessBody(304)),
                ..Config::default()
            },
        ];
        for config in bad {
            assert!(config.check().is_err(), "{config:?}");
        }
        let good = Config {
            fail_part: Some(1),
            part_faults: vec![fault(2, FaultKind::Reset), fault(3, FaultKind::Hang)],
            flaky_parts: Some(FlakyParts::each_fails(3, 2, FaultKind::Status(502))),
            complete_fault: Some(FaultKind::StoreThenDrop),
            ..Config::default()
        };
        assert_eq!(good.check(), Ok(()));
    }
}
