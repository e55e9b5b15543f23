//! Bidirectional controls a server chose (U+202E RIGHT-TO-LEFT OVERRIDE and its kin) never
//! reach the terminal raw: they would reorder what the user reads.

use crate::support::{cancel, serve};

const RLO: char = '\u{202e}';

/// The error summary quotes the server's message on one line, the override escaped.
#[tokio::test]
async fn an_error_message_cannot_reorder_the_summary() {
    let evil =
        "{\"error\":{\"message\":\"No such upload: invoice\u{202e}fdp.exe\",\"type\":\"x\"}}";
    let server = serve("u", 404, evil).await;
    let run = cancel(&server, "u", &["--format-error", "jsonl"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    let first = run.stderr.lines().next().unwrap();
    assert!(
        first.contains(r"No such upload: invoice\u{202e}fdp.exe"),
        "{first}"
    );
    assert!(!first.contains(RLO), "{first}");
}

/// A reply that is not JSON is escaped wherever it is shown even off a terminal (stderr
/// here, for an error object), the override included.
#[tokio::test]
async fn a_body_that_is_not_json_cannot_reorder_the_error() {
    let evil = "<html>bad gateway: cod.\u{202e}txt\u{2066}x\u{2069}</html>";
    for format in ["raw", "jsonl", "pretty", "yaml"] {
        let server = serve("u", 404, evil).await;
        let run = cancel(&server, "u", &["--format-error", format]).await;
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            !run.stderr.contains([RLO, '\u{2066}', '\u{2069}']),
            "{format}: {:?}",
            run.stderr
        );
        assert!(
            run.stderr.contains(r"cod.\u{202e}txt\u{2066}x\u{2069}"),
            "{format}: {:?}",
            run.stderr
        );
    }
}
