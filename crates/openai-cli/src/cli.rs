//! The command line: global flags and the top-level subcommands.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::generated::commands::Resource;
use crate::options::Global;
use crate::upload;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Format;

    #[test]
    fn command_definition_is_valid() {
        command().debug_assert();
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
