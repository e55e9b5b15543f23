//! What the upload shows on stderr as it goes: a bar (bytes, rate, ETA and the time left before
//! the Upload expires) when stderr is a terminal, one JSON object per event with
//! `--progress json`, and short notes (resumed, retried, warnings) otherwise.

use std::time::Duration;

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use openai_uploads::UploadEvent;

use crate::output::escape;
use crate::size;

const TEMPLATE: &str =
    "{bar:30.cyan/blue} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}";

/// How events are shown.
pub enum Display {
    /// The bar, and notes above it.
    Bar(ProgressBar),
    /// One JSON object per line.
    Json,
    /// Notes only (stderr is not a terminal).
    Notes,
    /// Warnings only (--quiet, --progress none).
    Quiet,
}

impl Display {
    /// A bar for `total` bytes, drawn on stderr.
    pub fn bar(total: u64) -> Self {
        let style = ProgressStyle::with_template(TEMPLATE)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(style);
        // Redraws between events too, so the rate and ETA keep moving on a stalled link.
        bar.enable_steady_tick(Duration::from_millis(200));
        Self::Bar(bar)
    }

    pub fn show(&self, event: &UploadEvent) {
        match self {
            Self::Json => {
                if let Some(line) = json_line(event) {
                    write_line(&line);
                }
            }
            Self::Bar(bar) => {
                match event {
                    UploadEvent::Progress {
                        sent, expires_in, ..
                    } => {
                        bar.set_position(*sent);
                        if let Some(left) = expires_in {
                            bar.set_message(format!("(expires in {})", clock(*left)));
                        }
                    }
                    UploadEvent::Resumed { bytes_done, .. } => {
                        bar.set_position(*bytes_done);
                        bar.reset_eta();
                    }
                    _ => {}
                }
                if let Some(note) = note(event) {
                    bar.suspend(|| write_line(&note));
                }
            }
            Self::Notes => {
                if let Some(note) = note(event) {
                    write_line(&note);
                }
            }
            Self::Quiet => {
                if is_warning(event)
                    && let Some(note) = note(event)
                {
                    write_line(&note);
                }
            }
        }
    }

    /// Removes the bar before the result and any message.
    pub fn finish(&self) {
        if let Self::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

fn write_line(line: &str) {
    let _ = crate::exit::write(&mut std::io::stderr().lock(), &format!("{line}\n"));
}

fn is_warning(event: &UploadEvent) -> bool {
    matches!(
        event,
        UploadEvent::ExpiryWarning { .. }
            | UploadEvent::JournalWarning { .. }
            | UploadEvent::Discarded { .. }
    )
}

/// A line for people, for the events worth one.
fn note(event: &UploadEvent) -> Option<String> {
    Some(match event {
        UploadEvent::Resumed {
            upload_id,
            parts,
            parts_done,
            bytes_done,
            ..
        } => format!(
            "Resuming Upload {}: {parts_done} of {parts} Parts ({}) were sent by an earlier run.",
            escape(upload_id, false),
            size::display(*bytes_done)
        ),
        UploadEvent::Discarded {
            upload_id,
            reason,
            cancelled,
        } => format!(
            "Not resuming Upload {} from an earlier run: {}; {}. Starting a new Upload.",
            escape(upload_id, false),
            escape(reason, false),
            if *cancelled {
                "it was cancelled"
            } else {
                "it was not cancelled and stays pending until it expires"
            }
        ),
        UploadEvent::PartRetried {
            index,
            attempt,
            error,
            wait,
        } => format!(
            "Part {} failed ({}); sending it again in {:.1} s (attempt {attempt}).",
            index + 1,
            escape(error, false),
            wait.as_secs_f64()
        ),
        UploadEvent::ExpiryWarning {
            bytes_left,
            rate,
            needed,
            expires_in,
        } => format!(
            "Warning: at {}/s, the {} left need about {}, but the Upload expires in {}. Parts \
             that cannot be sent in time will not be; on a faster connection, the same command \
             resumes the Upload.",
            HumanBytes(rate.max(0.0) as u64),
            HumanBytes(*bytes_left),
            clock(*needed),
            clock(*expires_in)
        ),
        UploadEvent::JournalWarning { message } => format!("Warning: {}", escape(message, false)),
        _ => return None,
    })
}

/// The JSON line for an event, as the library serializes it; none for progress, which the
/// bar shows (ten a second would drown the log).
fn json_line(event: &UploadEvent) -> Option<String> {
    if matches!(event, UploadEvent::Progress { .. }) {
        return None;
    }
    let line = serde_json::to_string(event).ok()?;
    // Stderr may be a terminal: C1 and bidi controls as JSON escapes too.
    Some(crate::color::json_safe(&line))
}

/// `1h05m`, `12m30s`, `45s`.
fn clock(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match (seconds / 3600, seconds / 60 % 60, seconds % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event's line, exactly: `--progress json` is read by scripts.
    #[test]
    fn json_lines_for_every_event() {
        let cases = [
            (
                UploadEvent::Created {
                    upload_id: "upload_1".into(),
                    bytes: 100,
                    parts: 2,
                    part_size: 64,
                    expires_at: 1719188511,
                },
                r#"{"event":"created","upload_id":"upload_1","bytes":100,"parts":2,"part_size":64,"expires_at":1719188511}"#,
            ),
            (
                UploadEvent::Resumed {
                    upload_id: "upload_1".into(),
                    bytes: 100,
                    parts: 2,
                    part_size: 64,
                    parts_done: 1,
                    bytes_done: 64,
                    expires_at: 1719188511,
                },
                r#"{"event":"resumed","upload_id":"upload_1","bytes":100,"parts":2,"part_size":64,"parts_done":1,"bytes_done":64,"expires_at":1719188511}"#,
            ),
            (
                UploadEvent::Discarded {
                    upload_id: "upload_0".into(),
                    reason: "it expired".into(),
                    cancelled: false,
                },
                r#"{"event":"discarded","upload_id":"upload_0","reason":"it expired","cancelled":false}"#,
            ),
            (
                UploadEvent::PartSent {
                    index: 1,
                    part_id: "part_1".into(),
                    bytes: 36,
                    attempts: 2,
                },
                r#"{"event":"part_sent","index":1,"part_id":"part_1","bytes":36,"attempts":2}"#,
            ),
            (
                UploadEvent::PartRetried {
                    index: 0,
                    attempt: 2,
                    error: "502 Bad Gateway".into(),
                    wait: Duration::from_millis(1500),
                },
                r#"{"event":"part_retried","index":0,"attempt":2,"error":"502 Bad Gateway","wait_seconds":1.5}"#,
            ),
            (
                UploadEvent::ExpiryWarning {
                    bytes_left: 1000,
                    rate: 2.5,
                    needed: Duration::from_millis(400_900),
                    expires_in: Duration::from_millis(300_200),
                },
                r#"{"event":"expiry_warning","bytes_left":1000,"bytes_per_second":2.5,"seconds_needed":400,"seconds_left":300}"#,
            ),
            (
                UploadEvent::JournalWarning {
                    message: "cannot write".into(),
                },
                r#"{"event":"journal_warning","message":"cannot write"}"#,
            ),
            (
                UploadEvent::Completed {
                    upload_id: "upload_1".into(),
                    file_id: Some("file-1".into()),
                },
                r#"{"event":"completed","upload_id":"upload_1","file_id":"file-1"}"#,
            ),
            (
                UploadEvent::Completed {
                    upload_id: "upload_1".into(),
                    file_id: None,
                },
                r#"{"event":"completed","upload_id":"upload_1","file_id":null}"#,
            ),
            (
                UploadEvent::Cancelled {
                    upload_id: "upload_1".into(),
                },
                r#"{"event":"cancelled","upload_id":"upload_1"}"#,
            ),
        ];
        for (event, line) in cases {
            assert_eq!(json_line(&event).as_deref(), Some(line));
        }
        let progress = UploadEvent::Progress {
            sent: 1,
            total: 2,
            rate: None,
            expires_in: None,
        };
        assert_eq!(json_line(&progress), None);
    }

    #[test]
    fn the_template_is_valid() {
        assert!(ProgressStyle::with_template(TEMPLATE).is_ok());
    }

    #[test]
    fn clocks() {
        assert_eq!(clock(Duration::from_secs(45)), "45s");
        assert_eq!(clock(Duration::from_secs(750)), "12m30s");
        assert_eq!(clock(Duration::from_secs(3900)), "1h05m");
        assert!(clock(Duration::MAX).ends_with('m'));
    }

    #[test]
    fn json_lines_escape_what_the_server_chose() {
        let line = json_line(&UploadEvent::Cancelled {
            upload_id: "upload_\x1b]0;x\x07".into(),
        })
        .unwrap();
        assert_eq!(
            line,
            r#"{"event":"cancelled","upload_id":"upload_\u001b]0;x\u0007"}"#
        );
        assert!(!line.chars().any(char::is_control));
        let line = json_line(&UploadEvent::Cancelled {
            upload_id: "upload_\u{202e}x".into(),
        })
        .unwrap();
        assert_eq!(
            line,
            r#"{"event":"cancelled","upload_id":"upload_\u202ex"}"#
        );
    }

    #[test]
    fn the_expiry_warning_gives_the_numbers() {
        let note = note(&UploadEvent::ExpiryWarning {
            bytes_left: 6 << 30,
            rate: 1.5 * 1024.0 * 1024.0,
            needed: Duration::from_secs(4096),
            expires_in: Duration::from_secs(3000),
        })
        .unwrap();
        assert_eq!(
            note,
            "Warning: at 1.50 MiB/s, the 6.00 GiB left need about 1h08m, but the Upload expires \
             in 50m00s. Parts that cannot be sent in time will not be; on a faster connection, \
             the same command resumes the Upload."
        );
        assert!(is_warning(&UploadEvent::ExpiryWarning {
            bytes_left: 1,
            rate: 1.0,
            needed: Duration::ZERO,
            expires_in: Duration::ZERO,
        }));
    }

    #[test]
    fn notes_escape_what_the_server_chose() {
        let note = note(&UploadEvent::PartRetried {
            index: 2,
            attempt: 2,
            error: "502 Bad Gateway: \x1b[2J".into(),
            wait: Duration::from_millis(500),
        })
        .unwrap();
        assert_eq!(
            note,
            r"Part 3 failed (502 Bad Gateway: \u{1b}[2J); sending it again in 0.5 s (attempt 2)."
        );
    }
}
