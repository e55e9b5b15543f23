//! A log of every request the fake received, so tests can assert what
//! arrived, in which order, and how it was answered.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::faults::FaultKind;

/// Which operation a request was for, judged by method and path alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Route {
    /// `POST /v1/uploads`
    CreateUpload,
    /// `POST /v1/uploads/{upload_id}/parts`
    AddPart,
    /// `POST /v1/uploads/{upload_id}/complete`
    CompleteUpload,
    /// `POST /v1/uploads/{upload_id}/cancel`
    CancelUpload,
    /// Anything else (answered 404 or 405).
    Other,
}

impl Route {
    /// The route of a request and the upload id segment in its path, as
    /// sent (still percent-encoded).
    pub fn of(method: &str, path: &str) -> (Self, Option<String>) {
        if method != "POST" {
            return (Self::Other, None);
        }
        let segments: Vec<&str> = path.split('/').collect();
        match segments.as_slice() {
            ["", "v1", "uploads"] => (Self::CreateUpload, None),
            ["", "v1", "uploads", id, action] if !id.is_empty() => {
                let route = match *action {
                    "parts" => Self::AddPart,
                    "complete" => Self::CompleteUpload,
                    "cancel" => Self::CancelUpload,
                    _ => return (Self::Other, None),
                };
                (route, Some((*id).to_owned()))
            }
            _ => (Self::Other, None),
        }
    }
}

/// One request, as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    /// The path as sent, without the query.
    pub path: String,
    pub route: Route,
    /// The `{upload_id}` path segment as sent, for routes that have one.
    pub upload_id: Option<String>,
    /// When its head was read (before the body).
    pub received_at: Instant,
    /// The reply's status; `None` while in flight, when the client went
    /// away before the reply, or when a [`FaultKind`] dropped the reply.
    pub status: Option<u16>,
    /// For a parts request whose body was read whole and well-formed: the
    /// Part's size, md5 and (once stored) id. With it a test can tell
    /// which Parts a client sent again, and that it sent only the missing
    /// ones.
    pub part: Option<PartInfo>,
    /// The fault the fake injected into this request, if any (also
    /// [`crate::Config::fail_part`]'s, as a [`FaultKind::Status`]).
    pub fault: Option<FaultKind>,
}

/// The Part a parts request carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartInfo {
    /// Its length in bytes.
    pub bytes: u64,
    /// The md5 of its bytes, lowercase hex; `None` when the fake keeps no
    /// Part data (`verify_md5` and `keep_file_bytes` both off) and no
    /// [`crate::Config::flaky_parts`] rule needs it.
    pub md5: Option<String>,
    /// The id the Part was stored under; `None` if it was not stored (a
    /// refusal or a fault). Set for [`FaultKind::StoreThenDrop`] too: an
    /// orphan Part the client never learnt of.
    pub id: Option<String>,
}

/// Which log entry a request is, for its handler to add to (a request
/// extension the logging middleware sets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LogEntry(pub usize);

#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    records: Mutex<Vec<RequestRecord>>,
}

impl RequestLog {
    /// Records an arriving request; returns its index for [`Self::finish`].
    pub fn start(&self, method: &str, path: &str) -> usize {
        let (route, upload_id) = Route::of(method, path);
        let mut records = self.lock();
        records.push(RequestRecord {
            method: method.to_owned(),
            path: path.to_owned(),
            route,
            upload_id,
            received_at: Instant::now(),
            status: None,
            part: None,
            fault: None,
        });
        records.len() - 1
    }

    /// Records the reply's status, unless a fault dropped the reply.
    pub fn finish(&self, index: usize, status: u16) {
        if let Some(record) = self.lock().get_mut(index)
            && !record.fault.is_some_and(FaultKind::drops_reply)
        {
            record.status = Some(status);
        }
    }

    pub fn set_part(&self, LogEntry(index): LogEntry, part: PartInfo) {
        if let Some(record) = self.lock().get_mut(index) {
            record.part = Some(part);
        }
    }

    pub fn set_part_id(&self, LogEntry(index): LogEntry, id: &str) {
        if let Some(part) = self.lock().get_mut(index).and_then(|r| r.part.as_mut()) {
            part.id = Some(id.to_owned());
        }
    }

    pub fn set_fault(&self, LogEntry(index): LogEntry, fault: FaultKind) {
        if let Some(record) = self.lock().get_mut(index) {
            record.fault = Some(fault);
        }
    }

    pub fn records(&self) -> Vec<RequestRecord> {
        self.lock().clone()
    }

    pub fn counts(&self) -> BTreeMap<Route, usize> {
        let mut counts = BTreeMap::new();
        for record in self.lock().iter() {
            *counts.entry(record.route).or_insert(0) += 1;
        }
        counts
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RequestRecord>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_told_apart_by_method_and_path() {
        let id = || Some("upload_1".to_owned());
        assert_eq!(
            Route::of("POST", "/v1/uploads"),
            (Route::CreateUpload, None)
        );
        assert_eq!(
            Route::of("POST", "/v1/uploads/upload_1/parts"),
            (Route::AddPart, id())
        );
        assert_eq!(
            Route::of("POST", "/v1/uploads/upload_1/complete"),
            (Route::CompleteUpload, id())
        );
        assert_eq!(
            Route::of("POST", "/v1/uploads/upload_1/cancel"),
            (Route::CancelUpload, id())
        );
        for (method, path) in [
            ("GET", "/v1/uploads/upload_1/cancel"),
            ("POST", "/v1/uploads//cancel"),
            ("POST", "/v1/uploads/upload_1/parts/x"),
            ("POST", "/uploads"),
            ("POST", "/v1/uploads/upload_1/pause"),
        ] {
            assert_eq!(
                Route::of(method, path),
                (Route::Other, None),
                "{method} {path}"
            );
        }
    }

    #[test]
    fn the_log_keeps_order_and_statuses() {
        let log = RequestLog::default();
        let first = log.start("POST", "/v1/uploads");
        let second = log.start("POST", "/v1/uploads/u/parts");
        log.finish(second, 200);
        let records = log.records();
        assert_eq!(records.len(), 2);
        assert_eq!(records[first].status, None);
        assert_eq!(records[second].status, Some(200));
        assert!(records[0].received_at <= records[1].received_at);
        assert_eq!(log.counts()[&Route::AddPart], 1);
    }

    #[test]
    fn a_dropped_reply_keeps_no_status() {
        let log = RequestLog::default();
        let entry = log.start("POST", "/v1/uploads/u/parts");
        let part = PartInfo {
            bytes: 3,
            md5: None,
            id: None,
        };
        log.set_part(LogEntry(entry), part.clone());
        log.set_part_id(LogEntry(entry), "part_1");
        log.set_fault(LogEntry(entry), FaultKind::StoreThenDrop);
        log.finish(entry, 200);
        let record = &log.records()[entry];
        assert_eq!(record.status, None);
        assert_eq!(record.fault, Some(FaultKind::StoreThenDrop));
        let stored = PartInfo {
            id: Some("part_1".to_owned()),
            ..part
        };
        assert_eq!(record.part, Some(stored));
    }
}
