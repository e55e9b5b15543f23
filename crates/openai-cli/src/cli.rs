//! The root of the command line: global flags and the hand-written top-level commands.

use clap::{Arg, ArgAction, Args, ValueEnum};

use crate::options::Global;

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
  130  a --stream ended by Ctrl-C (the events printed so far are kept)

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

/// The root command: the global options and the hand-written top-level
/// commands; [`crate::route::tree`] adds the groups when a run needs them.
pub fn root() -> clap::Command {
    let version = Arg::new("version")
        .short('v')
        .long("version")
        .short_alias('V')
        .action(ArgAction::Version)
        .help("Print the version");
    let shell = || {
        Arg::new("shell")
            .required(true)
            .value_parser(clap::value_parser!(Shell))
            .help("The shell to write the script for.")
    };
    let root = clap::Command::new("openai")
        .version(VERSION)
        .disable_version_flag(true)
        .after_help(AFTER_HELP)
        .arg(version)
        .subcommand(
            clap::Command::new("completion")
                .about("Print a shell completion script to stdout.")
                .after_help("Examples:\n  source <(openai completion bash)\n  openai completion fish > ~/.config/fish/completions/openai.fish")
                .arg(shell()),
        )
        .subcommand(
            clap::Command::new("@completion")
                .about("The official CLI's spelling of `completion`.")
                .hide(true)
                .arg(shell()),
        );
    // After the options: `augment_args` would put `Global`'s doc comment there.
    Global::augment_args(root).about("The OpenAI API from your terminal.")
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

/// Whether the command line asks only for the version: answered without
/// building any command.
pub fn wants_version(args: &[std::ffi::OsString]) -> bool {
    matches!(&args[1..], [flag] if ["-v", "-V", "--version"].iter().any(|v| flag == v))
}

/// What `openai --version` prints.
pub fn version_line() -> String {
    format!("openai {VERSION}\n")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use clap::FromArgMatches;

    use super::*;
    use crate::options::Format;
    use crate::route::{self, Route};

    fn args(words: &[&str]) -> Vec<std::ffi::OsString> {
        words.iter().map(Into::into).collect()
    }

    fn parse(words: &[&str]) -> Result<(Global, clap::ArgMatches), clap::Error> {
        let Route::Api { command, args } = route::route(&args(words)) else {
            panic!("{words:?} names no generated command");
        };
        let matches = route::leaf(command).try_get_matches_from(args)?;
        Ok((Global::from_arg_matches(&matches)?, matches))
    }

    #[test]
    fn command_definitions_are_valid() {
        route::tree(true).debug_assert();
        for command in crate::generated::commands::ALL
            .iter()
            .flat_map(|c| c.iter())
        {
            route::leaf(command).debug_assert();
        }
    }

    #[test]
    fn global_flags_are_hidden_but_accepted_in_commands() {
        let Route::Api { command, .. } = route::route(&args(&["openai", "uploads", "cancel"]))
        else {
            panic!("uploads cancel");
        };
        let help = route::leaf(command).render_long_help().to_string();
        assert!(!help.contains("--api-key <KEY>"), "{help}");
        assert!(help.contains("openai --help"), "{help}");
        let (global, _) = parse(&["openai", "uploads", "cancel", "u", "--format", "YAML"]).unwrap();
        assert_eq!(global.format, Format::Yaml);
    }

    #[test]
    fn global_flags_work_before_and_after_the_command() {
        let (global, matches) = parse(&[
            "openai",
            "--format",
            "yaml",
            "uploads:parts",
            "create",
            "upload_1",
            "--data",
            "x",
            "-r",
            "--max-retries",
            "0",
        ])
        .unwrap();
        assert_eq!(global.format, Format::Yaml);
        assert!(global.raw_output);
        assert_eq!(global.max_retries, 0);
        assert_eq!(
            matches
                .get_one::<String>("upload-id#positional")
                .map(String::as_str),
            Some("upload_1")
        );
    }

    #[test]
    fn nested_and_official_spellings_name_the_same_command() {
        for words in [
            &["openai", "uploads", "parts", "create"][..],
            &["openai", "uploads:parts", "create"],
        ] {
            match route::route(&args(words)) {
                Route::Api { command, .. } => {
                    assert_eq!((command.group, command.name), ("uploads:parts", "create"));
                }
                _ => panic!("{words:?}"),
            }
        }
        assert!(matches!(
            route::route(&args(&["openai", "uploads", "upload", "f"])),
            Route::HandWritten { name: "upload", .. }
        ));
        assert!(matches!(
            route::route(&args(&["openai", "nope", "x"])),
            Route::Other
        ));
    }

    /// The generator refuses the flags every list or stream command gets.
    #[test]
    fn the_generators_reserved_flags_are_the_added_ones() {
        let reserved: BTreeSet<&str> = codegen::RESERVED_FLAGS.iter().copied().collect();
        assert_eq!(reserved, BTreeSet::from(["help", "max-items"]));
    }

    #[test]
    fn a_command_flag_takes_the_place_of_a_global_one() {
        use openai_runtime::table::*;
        static FLAGS: &[Flag] = &[Flag {
            long: "project",
            key: "projects",
            value_name: "PROJECT",
            help: "",
            target: Target::Body,
            kind: Kind::Document,
            list: true,
            required: false,
            positional: false,
            fields: &[],
        }];
        let mut command = *crate::generated::commands::ALL
            .iter()
            .find_map(|commands| commands.first())
            .expect("a command");
        command.flags = FLAGS;
        let matches = route::leaf(&command)
            .try_get_matches_from(["openai", "--project", "{id: p}"])
            .unwrap();
        let global = Global::from_arg_matches(&matches).unwrap();
        assert_eq!(global.project, None);
        assert_eq!(
            matches
                .get_many::<String>("--project")
                .unwrap()
                .collect::<Vec<_>>(),
            ["{id: p}"]
        );
    }

    /// The generator keeps the names of the hand-written top-level commands free.
    #[test]
    fn the_generators_root_commands_are_the_hand_written_ones() {
        let root = route::tree(false);
        let names: BTreeSet<&str> = root
            .get_subcommands()
            .map(|c| c.get_name())
            .filter(|name| {
                !crate::generated::commands::GROUPS
                    .iter()
                    .any(|g| g.name == *name)
            })
            .collect();
        let reserved: BTreeSet<&str> = codegen::ROOT_COMMANDS.iter().copied().collect();
        assert_eq!(names, reserved);
    }

    #[test]
    fn unknown_format_is_a_usage_error() {
        let err = parse(&["openai", "--format", "xml", "uploads", "cancel", "x"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn the_version_alone_is_answered_without_a_parser() {
        assert!(wants_version(&args(&["openai", "-v"])));
        assert!(wants_version(&args(&["openai", "--version"])));
        assert!(!wants_version(&args(&["openai", "uploads", "--version"])));
    }
}
