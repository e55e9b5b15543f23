//! Path parameters: one value becomes exactly one path segment.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{Error, Result};

/// Everything but RFC 3986 "unreserved" characters is encoded, so `/`, `\`,
/// `?`, `#`, `%`, spaces, controls and non-ASCII can never change the route.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Validates `value` and percent-encodes it as a single path segment.
///
/// `name` is the parameter's name, used in the error. Empty values, `.` and
/// `..` are rejected: URL parsers would drop or resolve them, sending the
/// request to another endpoint. Dots are left as they are (never `%2E`)
/// because URL parsers treat `%2E%2E` like `..` too.
pub fn encode_path(name: &'static str, value: &str) -> Result<String> {
    match value {
        "" => Err(Error::invalid_argument(name, "must not be empty")),
        "." | ".." => Err(Error::invalid_argument(
            name,
            format!("must not be {value:?} (a relative path segment)"),
        )),
        // Without formatting: an id that needs no escape is copied as is.
        _ => Ok(std::borrow::Cow::from(utf8_percent_encode(value, SEGMENT)).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_one_segment() {
        let table = [
            ("upload_abc123", "upload_abc123"),
            ("a/b", "a%2Fb"),
            ("a?b", "a%3Fb"),
            ("a#b", "a%23b"),
            ("%2F", "%252F"),
            ("%2e%2e", "%252e%252e"),
            ("a b", "a%20b"),
            ("é", "%C3%A9"),
            ("a\\b", "a%5Cb"),
            ("a\nb\0", "a%0Ab%00"),
            ("...", "..."),
            (".a", ".a"),
            ("A-Z_a.z~0", "A-Z_a.z~0"),
            ("a;b=c&d+e", "a%3Bb%3Dc%26d%2Be"),
        ];
        for (value, want) in table {
            assert_eq!(encode_path("upload_id", value).unwrap(), want, "{value:?}");
        }
    }

    #[test]
    fn rejects_empty_and_dot_segments() {
        for value in ["", ".", ".."] {
            let err = encode_path("upload_id", value).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
            assert!(err.to_string().contains("upload_id"), "{err}");
        }
    }
}
