//! The flags of `openai uploads upload`, `uploads pending` and `uploads prune`.

use std::path::PathBuf;

use clap::builder::{NonEmptyStringValueParser, RangedU64ValueParser};

use crate::size;

/// The largest Part the API accepts, and the default part size.
pub use openai_uploads::MAX_PART_SIZE;
/// More parallel Parts than this gains nothing: they share one connection's worth of bandwidth.
pub const MAX_CONCURRENCY: u64 = openai_uploads::MAX_CONCURRENCY as u64;

pub const ABOUT: &str =
    "Upload a file: create an Upload, send its Parts in parallel, and complete it";

pub const LONG_ABOUT: &str = "\
Upload a file: create an Upload, send its Parts in parallel, and complete it.

The file is sent in parts of --part-size bytes, at most --concurrency of them in flight at once, \
each streamed from the file (a retry reads it again), so memory does not grow with the part size \
or the file's: about 1 MiB per Part in flight, under 64 MiB in all at the defaults. Its md5 is \
computed by one reader going through the file alongside, and checked by the server on \
completion; a Part whose bytes differ from one read to the next (the file changed) stops the \
upload. Prints the completed Upload, with its File, as the server sent it.

A Part that fails on a connection error, a timeout, 408, 429 or a 5xx reply is sent again \
(--part-retries times at most), after the wait the server asks for or a growing, jittered one; \
a 409 is not, as it says the Upload is no longer pending. \
Anything else that fails, and Ctrl-C, SIGTERM or SIGHUP, stop the upload: no more Parts are sent \
and the Upload is cancelled, so nothing is left pending; stderr says which Upload was cancelled.

While the Upload is pending, a journal in --journal-dir records it and each Part sent. If the \
upload is killed, or cannot cancel its Upload, running the same command again resumes it: the \
Parts already sent are read and hashed again but not sent. A journal whose file has changed, or \
whose Upload has expired, is dropped (the Upload cancelled) and a new Upload is started; \
--no-resume always starts a new one. `openai uploads pending` lists the journaled Uploads and \
`openai uploads prune` cancels them.

An Upload expires an hour after it is created. When the measured rate will not finish the file \
in time, a warning says so; Parts that cannot be sent before the Upload expires are not sent, \
and the upload stops with its journal kept (run the command again, on a faster connection, to \
resume it while it lasts). --expires-after.seconds sets when the new File expires, not the \
Upload.";

pub const AFTER_HELP: &str = "\
Limits (checked before anything is sent): the file must be a regular, non-empty file of at most \
8 GiB, in at most 10000 Parts; a Part is at most 64 MiB.

Sizes: a whole number of bytes with an optional unit: B, KB, MB, GB (powers of 1000) or \
K, M, G, KiB, MiB, GiB (powers of 1024).

Progress (--progress): auto draws a bar on stderr when it is a terminal (bytes sent, rate, ETA \
and the time left before the Upload expires); json writes one JSON object per event and line on \
stderr: created, resumed, discarded, part_sent, part_retried, expiry_warning, journal_warning, \
completed, cancelled; none shows neither. stdout only ever gets the result.

Exit status: 0 success, 1 failure (the Upload was cancelled, or its journal kept), 2 usage \
error or a limit (nothing sent), 129 on SIGHUP, 130 on Ctrl-C, 143 on SIGTERM.

Examples:
  openai uploads upload train.jsonl --purpose fine-tune
  openai uploads upload big.jsonl --purpose batch --part-size 16MiB --concurrency 16
  openai uploads upload train.jsonl --purpose fine-tune --transform file.id -r
  openai uploads upload train.jsonl --purpose fine-tune --progress json 2>events.jsonl";

pub const PENDING_ABOUT: &str =
    "List the Uploads that `uploads upload` journaled: left pending, or being uploaded now";

pub const PENDING_LONG_ABOUT: &str = "\
List the Uploads that `uploads upload` journaled: those a killed or failed upload left pending, \
and those being uploaded now (`active`). For each: its id, the file, the bytes and Parts sent, \
when it expires and the seconds left. Running the same `uploads upload` command again resumes \
one; `openai uploads prune` cancels those no upload is working on.";

pub const PRUNE_ABOUT: &str =
    "Cancel the journaled Uploads that no upload is working on, and remove their journals";

pub const PRUNE_LONG_ABOUT: &str = "\
Cancel the journaled Uploads (see `openai uploads pending`) that no upload is working on, and \
remove their journals. Expired Uploads only lose their journal. Uploads being uploaded now, and \
those created on another API (--base-url) or with another key, organization or project, are \
left alone; journals of Uploads the server does not know are removed. Prints what was done \
with each; exits 1 if a cancel failed (that journal is kept, to try again), or if every journal \
found was another API's or account's.";

/// Flags of `openai uploads upload` (its `--help` text comes from [`ABOUT`] and friends).
#[derive(Debug, Clone, clap::Args)]
pub struct UploadArgs {
    /// The file to upload.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// What the file is for: assistants, batch, fine-tune or vision.
    #[arg(long, value_name = "PURPOSE", required = true, value_parser = NonEmptyStringValueParser::new())]
    pub purpose: String,

    /// MIME type of the file; guessed from its extension when not given.
    #[arg(long, value_name = "TYPE", value_parser = NonEmptyStringValueParser::new())]
    pub mime_type: Option<String>,

    /// Name of the file on the server; defaults to PATH's file name.
    #[arg(long, value_name = "NAME", value_parser = NonEmptyStringValueParser::new())]
    pub filename: Option<String>,

    /// Size of each Part (the last one may be smaller); at most 64MiB.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_part_size)]
    pub part_size: u64,

    /// How many Parts to send at once; each in flight needs about 1 MiB of memory.
    #[arg(
        long,
        value_name = "N",
        default_value_t = openai_uploads::DEFAULT_CONCURRENCY,
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_CONCURRENCY)
    )]
    pub concurrency: usize,

    /// How many times a Part that failed on a connection error, a timeout, 408, 429 or 5xx is
    /// sent again (never after a 409: the Upload is no longer pending).
    #[arg(
        long,
        value_name = "N",
        default_value_t = openai_uploads::DEFAULT_PART_RETRIES,
        value_parser = RangedU64ValueParser::<u32>::new().range(0..=u64::from(openai_uploads::MAX_PART_RETRIES))
    )]
    pub part_retries: u32,

    /// Complete without the file's md5. The server then cannot check the file it assembled
    /// against the one read here, but the upload no longer waits for the md5, which one core
    /// computes at about 0.5 GB/s: worth it only when Parts go out faster than that. Each Part is
    /// still checked against its retries, and the file's size and time at the end.
    #[arg(long)]
    pub no_md5: bool,

    /// Start a new Upload even when a journal records one for this file (that one is cancelled).
    #[arg(long)]
    pub no_resume: bool,

    #[command(flatten)]
    pub journal: JournalArgs,

    /// Progress on stderr: auto (a bar when stderr is a terminal), json (one event per line)
    /// or none.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,

    /// No progress bar and no notes on stderr, only warnings and errors (same as --progress none).
    #[arg(short, long)]
    pub quiet: bool,

    /// What the File's expiry counts from: only `created_at`.
    #[arg(
        long = "expires-after.anchor",
        value_name = "ANCHOR",
        value_parser = ["created_at"],
        requires = "expires_after_seconds"
    )]
    pub expires_after_anchor: Option<String>,

    /// Seconds after the anchor when the File expires (3600 to 2592000). The File's expiry, not
    /// the Upload's: an Upload always expires an hour after it is created.
    #[arg(long = "expires-after.seconds", value_name = "SECONDS")]
    pub expires_after_seconds: Option<i64>,
}

/// Where journals are kept.
#[derive(Debug, Clone, clap::Args)]
pub struct JournalArgs {
    /// Directory of the journals of pending Uploads [default: $XDG_STATE_HOME/openai/uploads,
    /// else ~/.local/state/openai/uploads, or the platform's equivalent].
    #[arg(
        long,
        value_name = "DIR",
        env = "OPENAI_UPLOAD_JOURNAL_DIR",
        hide_env_values = true
    )]
    pub journal_dir: Option<PathBuf>,
}

/// `--progress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    Auto,
    Json,
    None,
}

fn parse_part_size(text: &str) -> Result<u64, String> {
    let bytes = size::parse(text)?;
    if bytes == 0 {
        return Err("the part size must be at least 1 byte".into());
    }
    if bytes > MAX_PART_SIZE {
        return Err(format!(
            "{} is over the API's limit of {} per Part",
            size::display(bytes),
            size::display(MAX_PART_SIZE)
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_sizes() {
        assert_eq!(parse_part_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_part_size("1"), Ok(1));
        assert_eq!(parse_part_size("67108864"), Ok(64 << 20));
        let over = parse_part_size("67108865").unwrap_err();
        assert!(
            over.contains("67108865 B is over the API's limit of 64 MiB"),
            "{over}"
        );
        assert!(parse_part_size("65MiB").unwrap_err().contains("65 MiB"));
        assert!(
            parse_part_size("0")
                .unwrap_err()
                .contains("at least 1 byte")
        );
        assert!(parse_part_size("lots").unwrap_err().contains("not a size"));
    }
}
