//! When to retry, and how long to wait first.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::Error;

/// A server-suggested wait is honoured only up to this long.
const MAX_SERVER_WAIT: Duration = Duration::from_secs(60);
const INITIAL_BACKOFF: f64 = 0.5;
const MAX_BACKOFF: f64 = 8.0;

/// What a failed attempt left to judge by: a reply that is not a 2xx, or an
/// error before a whole reply came.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Failed<'a> {
    Reply(StatusCode, &'a HeaderMap),
    Error(&'a Error),
}

/// The one verdict on trying a request again after `failed`, for the
/// client's own retries and for a caller's ([`Client::execute_once`]).
///
/// `replayable`: whether sending the request twice is harmless. Such a
/// request is tried again after connection errors, timeouts and the replies
/// [`should_retry`] names, but a 409 only when `retry_conflicts`. Another
/// is tried again only when it surely never reached the server, or on a
/// reply that says it was refused ([`should_retry_refused`]).
///
/// [`Client::execute_once`]: crate::Client::execute_once
pub(crate) fn again(failed: Failed<'_>, replayable: bool, retry_conflicts: bool) -> bool {
    match failed {
        Failed::Reply(status, headers) if !replayable => should_retry_refused(status, headers),
        Failed::Reply(StatusCode::CONFLICT, _) if !retry_conflicts => false,
        Failed::Reply(status, headers) => should_retry(status, headers),
        Failed::Error(error) if replayable => error.is_retryable(),
        Failed::Error(error) => error.surely_not_sent(),
    }
}

/// 408, 409, 429 and every status from 500 up.
pub(crate) fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 409 | 429) || status.as_u16() >= 500
}

/// Whether a non-2xx reply should be retried; `x-should-retry` wins.
pub(crate) fn should_retry(status: StatusCode, headers: &HeaderMap) -> bool {
    match hint(headers) {
        Some(hint) => hint,
        None => retryable_status(status),
    }
}

/// Whether a reply to a request that must not run twice should be retried:
/// only 408 and 429, where the server refused to process it. A 5xx may come
/// after the work was done, so not even `x-should-retry: true` retries it.
pub(crate) fn should_retry_refused(status: StatusCode, headers: &HeaderMap) -> bool {
    matches!(status.as_u16(), 408 | 429) && hint(headers) != Some(false)
}

/// The `x-should-retry` header, when it says `true` or `false`.
fn hint(headers: &HeaderMap) -> Option<bool> {
    let hint = headers
        .get("x-should-retry")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)?;
    if hint.eq_ignore_ascii_case("true") {
        Some(true)
    } else if hint.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// The wait before retry number `retry + 1` (so `retry` is 0 for the first).
///
/// `retry-after-ms`, else `retry-after` (seconds or an HTTP date), when over 0
/// and at most 60 s; otherwise 0.5 s × 2^retry capped at 8 s, minus up to 25%
/// (`jitter` is in `0.0..1.0`).
pub(crate) fn wait(
    retry: u32,
    headers: Option<&HeaderMap>,
    now: SystemTime,
    jitter: f64,
) -> Duration {
    if let Some(wait) = headers.and_then(|headers| server_wait(headers, now)) {
        return wait;
    }
    let exponent = i32::try_from(retry.min(16)).unwrap_or(16);
    let backoff = (INITIAL_BACKOFF * 2f64.powi(exponent)).min(MAX_BACKOFF);
    let jitter = if jitter.is_nan() {
        1.0
    } else {
        jitter.clamp(0.0, 1.0)
    };
    Duration::from_secs_f64(backoff * (1.0 - 0.25 * jitter))
}

fn server_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let wait = match header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        Some(ms) => Duration::try_from_secs_f64(ms / 1000.0).ok(),
        None => header("retry-after").and_then(|value| match value.parse::<f64>() {
            Ok(seconds) => Duration::try_from_secs_f64(seconds).ok(),
            Err(_) => httpdate::parse_http_date(value)
                .ok()
                .and_then(|date| date.duration_since(now).ok()),
        }),
    }?;
    (!wait.is_zero() && wait <= MAX_SERVER_WAIT).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    fn wait_with(pairs: &[(&'static str, &str)]) -> Duration {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        wait(0, Some(&headers(pairs)), now, 0.0)
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let now = SystemTime::now();
        let secs = |retry| wait(retry, None, now, 0.0).as_secs_f64();
        assert_eq!(
            [secs(0), secs(1), secs(2), secs(3), secs(4)],
            [0.5, 1.0, 2.0, 4.0, 8.0]
        );
        assert_eq!(secs(5), 8.0);
        assert_eq!(secs(u32::MAX), 8.0);
    }

    #[test]
    fn jitter_takes_off_at_most_a_quarter() {
        let now = SystemTime::now();
        assert_eq!(wait(0, None, now, 0.999_999).as_millis(), 375);
        assert_eq!(wait(3, None, now, 0.5).as_secs_f64(), 3.5);
        assert_eq!(wait(0, None, now, f64::NAN).as_millis(), 375);
    }

    #[test]
    fn server_hints() {
        let ms = Duration::from_millis;
        assert_eq!(wait_with(&[("retry-after-ms", "10")]), ms(10));
        assert_eq!(
            wait_with(&[("retry-after-ms", "1.5")]),
            Duration::from_micros(1500)
        );
        assert_eq!(wait_with(&[("retry-after", "3")]), ms(3000));
        assert_eq!(
            wait_with(&[("retry-after-ms", "20"), ("retry-after", "3")]),
            ms(20)
        );
        assert_eq!(
            wait_with(&[("retry-after-ms", "junk"), ("retry-after", "3")]),
            ms(3000)
        );
        assert_eq!(wait_with(&[("retry-after", "60")]), ms(60_000));
        // 2023-11-14T22:13:20Z is the `now` above; ten seconds later:
        assert_eq!(
            wait_with(&[("retry-after", "Tue, 14 Nov 2023 22:13:30 GMT")]),
            ms(10_000)
        );
    }

    #[test]
    fn out_of_range_hints_fall_back_to_backoff() {
        let backoff = Duration::from_millis(500);
        for pairs in [
            &[("retry-after", "3600")][..],
            &[("retry-after", "0")],
            &[("retry-after", "-1")],
            &[("retry-after", "60.5")],
            &[("retry-after", "soon")],
            &[("retry-after", "NaN")],
            &[("retry-after", "inf")],
            &[("retry-after-ms", "0")],
            &[("retry-after-ms", "60001")],
            &[("retry-after", "Tue, 14 Nov 2023 22:13:10 GMT")],
            &[("retry-after", "Wed, 15 Nov 2023 22:13:20 GMT")],
        ] {
            assert_eq!(wait_with(pairs), backoff, "{pairs:?}");
        }
    }

    #[test]
    fn which_replies_are_retried() {
        let none = HeaderMap::new();
        for code in [408, 409, 429, 500, 502, 503, 504, 599] {
            assert!(
                should_retry(StatusCode::from_u16(code).unwrap(), &none),
                "{code}"
            );
        }
        for code in [400, 401, 403, 404, 410, 422, 300, 304] {
            assert!(
                !should_retry(StatusCode::from_u16(code).unwrap(), &none),
                "{code}"
            );
        }
        let no = headers(&[("x-should-retry", "false")]);
        assert!(!should_retry(StatusCode::INTERNAL_SERVER_ERROR, &no));
        let yes = headers(&[("x-should-retry", "TRUE")]);
        assert!(should_retry(StatusCode::BAD_REQUEST, &yes));
        let junk = headers(&[("x-should-retry", "maybe")]);
        assert!(should_retry_refused(StatusCode::TOO_MANY_REQUESTS, &junk));
        assert!(should_retry_refused(StatusCode::REQUEST_TIMEOUT, &none));
        assert!(!should_retry_refused(StatusCode::TOO_MANY_REQUESTS, &no));
        for code in [409, 500, 502, 503, 504] {
            let status = StatusCode::from_u16(code).unwrap();
            assert!(!should_retry_refused(status, &none), "{code}");
            assert!(!should_retry_refused(status, &yes), "{code}");
        }
        assert!(should_retry(StatusCode::TOO_MANY_REQUESTS, &junk));
        assert!(!should_retry(StatusCode::NOT_FOUND, &junk));
    }

    #[test]
    fn one_verdict_for_replies() {
        let none = HeaderMap::new();
        let yes = headers(&[("x-should-retry", "true")]);
        let reply = |code, headers| Failed::Reply(StatusCode::from_u16(code).unwrap(), headers);
        // (status, headers, replayable, retry_conflicts) -> again
        let cases = [
            (500, &none, true, true, true),
            (500, &none, false, true, false),
            (500, &yes, false, true, false),
            (429, &none, false, true, true),
            (408, &none, false, false, true),
            (409, &none, true, true, true),
            (409, &none, true, false, false),
            (409, &yes, true, false, false),
            (409, &none, false, true, false),
            (400, &none, true, true, false),
            (400, &yes, true, true, true),
            (404, &none, false, true, false),
        ];
        for (code, headers, replayable, conflicts, want) in cases {
            assert_eq!(
                again(reply(code, headers), replayable, conflicts),
                want,
                "{code} replayable={replayable} retry_conflicts={conflicts}"
            );
        }
    }

    #[test]
    fn one_verdict_for_errors() {
        let timeout = Error::Timeout {
            method: reqwest::Method::POST,
            path: "/x".into(),
            timeout: Duration::from_secs(1),
        };
        assert!(again(Failed::Error(&timeout), true, true));
        assert!(again(Failed::Error(&timeout), true, false));
        // It may have reached the server: not sent twice.
        assert!(!again(Failed::Error(&timeout), false, true));
        let connect = Error::ConnectTimeout {
            method: reqwest::Method::POST,
            path: "/x".into(),
            host: "127.0.0.1:9".into(),
            timeout: Duration::from_secs(1),
        };
        // Surely never sent: even a request that must not run twice.
        assert!(again(Failed::Error(&connect), false, true));
        assert!(again(Failed::Error(&connect), true, true));
        let config = Error::Config("no key".into());
        assert!(!again(Failed::Error(&config), true, true));
        assert!(!again(Failed::Error(&config), false, true));
    }
}
