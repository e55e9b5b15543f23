//! The flags of `openai uploads upload`.

use std::path::PathBuf;

use clap::builder::{NonEmptyStringValueParser, RangedU64ValueParser};

use crate::size;

/// The largest Part the API accepts, and the default part size.
pub use openai_uploads::MAX_PART_SIZE;
/// More parallel Parts than this gains nothing and costs `concurrency × part size` of memory.
pub const MAX_CONCURRENCY: u64 = 64;

pub const ABOUT: &str =
    "Upload a file: create an Upload, send its Parts in parallel, and complete it";

pub const LONG_ABOUT: &str = "\
Upload a file: create an Upload, send its Parts in parallel, and complete it.

The file is read in parts of --part-size bytes, at most --concurrency of them in flight at once, \
so memory stays near concurrency × part size whatever the file's size. Its md5 is computed while \
reading and checked by the server on completion. Prints the completed Upload, with its File.

If anything fails, or on Ctrl-C or SIGTERM, no more Parts are sent and the Upload is cancelled, \
so nothing is left pending; stderr says which Upload was cancelled.";

pub const AFTER_HELP: &str = "\
Limits (checked before anything is sent): the file must be a regular, non-empty file of at most \
8 GiB; a Part is at most 64 MiB.

Sizes: a whole number of bytes with an optional unit: B, KB, MB, GB (powers of 1000) or \
K, M, G, KiB, MiB, GiB (powers of 1024).

Exit status: 0 success, 1 failure (the Upload was cancelled), 2 usage error or a limit \
(nothing sent), 130 on Ctrl-C, 143 on SIGTERM.

Examples:
  openai uploads upload train.jsonl --purpose fine-tune
  openai uploads upload big.jsonl --purpose batch --part-size 16MiB --concurrency 8
  openai uploads upload train.jsonl --purpose fine-tune --transform file.id -r";

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

    /// How many Parts to send at once.
    #[arg(
        long,
        value_name = "N",
        default_value_t = openai_uploads::DEFAULT_CONCURRENCY,
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_CONCURRENCY)
    )]
    pub concurrency: usize,

    /// No progress bar (there is none either when stderr is not a terminal).
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

    /// Seconds after the anchor when the File expires (3600 to 2592000).
    #[arg(long = "expires-after.seconds", value_name = "SECONDS")]
    pub expires_after_seconds: Option<i64>,
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
