//! The command line: global flags and the top-level subcommands.

use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::generated::commands::Resource;
use crate::upload;

const GLOBAL: &str = "Global options";

/// Used when neither --base-url nor a non-empty OPENAI_BASE_URL is given.
pub use openai_uploads::DEFAULT_BASE_URL;

const AFTER_HELP: &str = "\
Formats (--format, --format-error):
  auto    coloured JSON on a terminal, indented JSON otherwise
          (NO_COLOR turns colour off, CLICOLOR_FORCE=1 forces it)
  json    indented JSON
  jsonl   JSON on one line
  pretty  for people: aligned `key: value` lines, strings unquoted, nesting
          by indentation, `*_at` Unix timestamps followed by their UTC date
  yaml    YAML
  raw     the reply body exactly as received

Exit status:
  0  success
  1  API error, connection failure or timeout, undecodable reply,
     or a --transform path that matched nothing
  2  usage or configuration error (no request is sent)
  130, 143  `uploads upload` stopped by Ctrl-C or SIGTERM (the Upload was cancelled)

Results go to stdout; errors go to stderr, so a script reading stdout only ever sees results.

Examples:
  openai uploads upload train.jsonl --purpose fine-tune
  openai uploads cancel upload_abc123
  openai uploads cancel --upload-id upload_abc123 --format yaml
  openai uploads cancel upload_abc123 --transform status -r";

/// The OpenAI Uploads API from your terminal.
#[derive(Debug, Parser)]
#[command(
    name = "openai",
    version,
    arg_required_else_help = true,
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Command,
}

/// Top-level subcommands: the API's resources, plus hand-written ones.
#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(flatten)]
    Api(Resource),

    /// Print a shell completion script to stdout.
    #[command(
        after_help = "Examples:\n  source <(openai completion bash)\n  openai completion fish > ~/.config/fish/completions/openai.fish"
    )]
    Completion {
        /// The shell to write the script for.
        shell: Shell,
    },
}

/// Shells that `openai completion` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

/// Flags accepted before or after the subcommand.
#[derive(Debug, Args)]
pub struct Global {
    /// API key, sent as `Authorization: Bearer <key>`. Never printed.
    #[arg(
        long,
        env = "OPENAI_API_KEY",
        hide_env_values = true,
        value_name = "KEY",
        global = true,
        help_heading = GLOBAL
    )]
    pub api_key: Option<String>,

    /// Base URL of the API, with an http:// or https:// scheme.
    #[arg(
        long,
        env = "OPENAI_BASE_URL",
        hide_env_values = true,
        value_name = "URL",
        default_value = DEFAULT_BASE_URL,
        global = true,
        help_heading = GLOBAL
    )]
    pub base_url: String,

    /// Organization id, sent as the `OpenAI-Organization` header.
    #[arg(
        long,
        env = "OPENAI_ORG_ID",
        hide_env_values = true,
        value_name = "ID",
        global = true,
        help_heading = GLOBAL
    )]
    pub organization: Option<String>,

    /// Project id, sent as the `OpenAI-Project` header.
    #[arg(
        long,
        env = "OPENAI_PROJECT_ID",
        hide_env_values = true,
        value_name = "ID",
        global = true,
        help_heading = GLOBAL
    )]
    pub project: Option<String>,

    /// How to print the result (see "Formats" in `openai --help`).
    #[arg(
        long,
        value_enum,
        default_value_t = Format::Auto,
        value_name = "FORMAT",
        global = true,
        help_heading = GLOBAL
    )]
    pub format: Format,

    /// How to print an API error object (on stderr).
    #[arg(
        long,
        value_enum,
        default_value_t = Format::Auto,
        value_name = "FORMAT",
        global = true,
        help_heading = GLOBAL
    )]
    pub format_error: Format,

    /// GJSON path to print instead of the whole result, e.g. `status` or `file.id`; no match is an error.
    #[arg(long, value_name = "PATH", global = true, help_heading = GLOBAL)]
    pub transform: Option<String>,

    /// GJSON path to print instead of the whole error object, e.g. `error.message`.
    #[arg(long, value_name = "PATH", global = true, help_heading = GLOBAL)]
    pub transform_error: Option<String>,

    /// Print a string result without quotes (like `jq -r`).
    #[arg(short = 'r', long, global = true, help_heading = GLOBAL)]
    pub raw_output: bool,

    /// Retries for connection errors, timeouts, 408, 409, 429 and 5xx replies.
    #[arg(
        long,
        value_name = "N",
        default_value_t = openai_uploads::DEFAULT_MAX_RETRIES,
        global = true,
        help_heading = GLOBAL
    )]
    pub max_retries: u32,

    /// Timeout of each attempt, in seconds (fractions allowed).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value = "600",
        value_parser = parse_seconds,
        global = true,
        help_heading = GLOBAL
    )]
    pub timeout: Duration,

    /// Print each request and response, headers and bodies, to stderr (the key is redacted).
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub debug: bool,
}

/// Output formats for results and error objects (described in `FORMATS`; no doc comments on
/// the variants, so that help pages keep clap's compact layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Auto,
    Json,
    Jsonl,
    Pretty,
    Yaml,
    Raw,
}

/// The whole command line: the derived [`Cli`] plus the hand-written `uploads upload`, which
/// joins the generated `uploads` group here.
pub fn command() -> clap::Command {
    Cli::command().mut_subcommand("uploads", |uploads| {
        // The texts go on after `augment_args`, which would put the struct's doc comment there.
        let upload = <upload::UploadArgs as Args>::augment_args(clap::Command::new("upload"))
            .about(upload::ABOUT)
            .long_about(upload::LONG_ABOUT)
            .after_help(upload::AFTER_HELP);
        uploads.subcommand(upload)
    })
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err("the timeout must be a positive number of seconds".into());
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| "the timeout is too large".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_definition_is_valid() {
        command().debug_assert();
    }

    #[test]
    fn seconds_parse() {
        assert_eq!(parse_seconds("600"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        for bad in ["0", "-1", "abc", "", "inf", "NaN", "1e300"] {
            assert!(parse_seconds(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "openai",
            "uploads",
            "cancel",
            "upload_1",
            "--format",
            "yaml",
            "-r",
            "--max-retries",
            "0",
        ])
        .unwrap();
        assert_eq!(cli.global.format, Format::Yaml);
        assert!(cli.global.raw_output);
        assert_eq!(cli.global.max_retries, 0);
    }

    #[test]
    fn unknown_format_is_a_usage_error() {
        let err = Cli::try_parse_from(["openai", "--format", "xml", "uploads", "cancel", "x"])
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
