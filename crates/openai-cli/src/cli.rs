//! The command line: global flags and the top-level subcommands.

use clap::{Arg, ArgAction, CommandFactory, Parser, Subcommand, ValueEnum};

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
  explore accepted for the official CLI's scripts: JSON, as `auto` (there is no
          interactive viewer); off a terminal it warns and falls back to `json`

Exit status:
  0  success
  1  API error, connection failure or timeout, undecodable reply,
     a --transform path that matched nothing, or stdout that could not be written
  2  usage or configuration error (no request is sent)
  129, 130, 143  `uploads upload` stopped by SIGHUP, Ctrl-C or SIGTERM (the Upload was
                 cancelled, or its journal kept)

Results go to stdout; errors go to stderr, so a script reading stdout only ever sees results.

Stdin: API commands also read a JSON or YAML object of fields from a pipe that has data
within 10 ms, or from a non-empty file; never from a terminal or an idle pipe.

Examples:
  openai uploads upload train.jsonl --purpose fine-tune
  openai uploads cancel upload_abc123
  openai uploads cancel --upload-id upload_abc123 --format yaml
  openai uploads cancel upload_abc123 --transform status -r";

/// What `-v` / `--version` print after the name, as the official CLI does:
/// `openai version 0.1.0`.
const VERSION: &str = concat!("version ", env!("CARGO_PKG_VERSION"));

/// Ends the help of every subcommand, in place of the global options it leaves out.
const GLOBALS_POINTER: &str =
    "Global options (--api-key, --format, --debug, ...) work here too: see `openai --help`.";

/// The OpenAI Uploads API from your terminal.
#[derive(Debug, Parser)]
#[command(
    name = "openai",
    version = VERSION,
    disable_version_flag = true,
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    /// `None` for a bare `openai` (global flags only): the help is printed.
    #[command(subcommand)]
    pub command: Option<Command>,
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

    /// The official CLI's spelling of `completion`.
    #[command(name = "@completion", hide = true)]
    AtCompletion {
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
    #[value(alias = "pwsh")]
    Powershell,
}

/// The command line that parses `openai`'s arguments: [`command`], with the global options
/// left out of every subcommand's help (they are still accepted there).
pub fn parser() -> clap::Command {
    let root = command();
    let globals: Vec<Arg> = root
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .cloned()
        .collect();
    let names: Vec<String> = root
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    names.iter().fold(root, |root, name| {
        root.mut_subcommand(name, |sub| hide_globals(sub, &globals))
    })
}

/// Adds hidden copies of the global options to `command` and its subcommands (clap then
/// does not add visible ones), and ends their help with a pointer to `openai --help`.
fn hide_globals(command: clap::Command, globals: &[Arg]) -> clap::Command {
    let after = match command.get_after_help() {
        Some(text) => format!("{text}\n\n{GLOBALS_POINTER}"),
        None => GLOBALS_POINTER.to_owned(),
    };
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    let command = globals
        .iter()
        .fold(command, |command, arg| command.arg(arg.clone().hide(true)))
        .after_help(after);
    names.iter().fold(command, |command, name| {
        command.mut_subcommand(name, |sub| hide_globals(sub, globals))
    })
}

/// The whole command line: the derived [`Cli`], `-v` / `--version`, and the hand-written
/// `uploads upload`, `uploads pending` and `uploads prune`, which join the generated `uploads`
/// group here. Shell completions are
/// written from this one, so they offer the global options everywhere.
pub fn command() -> clap::Command {
    let version = Arg::new("version")
        .short('v')
        .long("version")
        .short_alias('V')
        .action(ArgAction::Version)
        .help("Print the version");
    Cli::command()
        .arg(version)
        .mut_subcommand("uploads", upload::subcommands)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use clap::FromArgMatches;

    use super::*;
    use crate::options::Format;

    #[test]
    fn command_definition_is_valid() {
        command().debug_assert();
        parser().debug_assert();
    }

    #[test]
    fn global_flags_are_hidden_but_accepted_in_subcommands() {
        let mut parser = parser();
        let cancel = parser
            .find_subcommand_mut("uploads")
            .and_then(|uploads| uploads.find_subcommand_mut("cancel"))
            .expect("uploads cancel");
        let help = cancel.render_long_help().to_string();
        assert!(!help.contains("--api-key <KEY>"), "{help}");
        assert!(help.contains("openai --help"), "{help}");
        let matches = parser
            .try_get_matches_from(["openai", "uploads", "cancel", "u", "--format", "YAML"])
            .unwrap();
        let cli = Cli::from_arg_matches(&matches).unwrap();
        assert_eq!(cli.global.format, Format::Yaml);
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

    /// The generator refuses a flag named like a global one: its list is this CLI's.
    #[test]
    fn the_generators_reserved_flags_are_the_global_flags() {
        let command = command();
        let mut globals: BTreeSet<&str> = command
            .get_arguments()
            .filter(|arg| arg.is_global_set())
            .filter_map(Arg::get_long)
            .collect();
        globals.insert("help");
        let reserved: BTreeSet<&str> = codegen::RESERVED_FLAGS.iter().copied().collect();
        assert_eq!(globals, reserved);
    }

    /// The generator refuses a command named like a hand-written one: its list is the
    /// commands this CLI has beyond the generated ones.
    #[test]
    fn the_generators_reserved_commands_are_the_hand_written_ones() {
        fn paths(command: &clap::Command, parents: &[String], out: &mut BTreeSet<Vec<String>>) {
            for sub in command.get_subcommands() {
                let mut path = parents.to_vec();
                path.push(sub.get_name().to_owned());
                out.insert(path.clone());
                paths(sub, &path, out);
            }
        }
        let (mut all, mut generated) = (BTreeSet::new(), BTreeSet::new());
        paths(&command(), &[], &mut all);
        paths(
            &Resource::augment_subcommands(clap::Command::new("openai")),
            &[],
            &mut generated,
        );
        let hand_written: BTreeSet<Vec<String>> = all.difference(&generated).cloned().collect();
        let reserved: BTreeSet<Vec<String>> = codegen::RESERVED_COMMANDS
            .iter()
            .map(|path| path.iter().map(|word| (*word).to_owned()).collect())
            .collect();
        assert_eq!(hand_written, reserved);
    }

    #[test]
    fn unknown_format_is_a_usage_error() {
        let err = Cli::try_parse_from(["openai", "--format", "xml", "uploads", "cancel", "x"])
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
