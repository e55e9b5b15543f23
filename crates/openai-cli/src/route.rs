//! Which command a command line names, found from the generated table
//! without building any clap tree, and the clap command of that one
//! command alone: start-up does not grow with the number of commands.
//!
//! Groups go by their official names (`beta:threads:runs`), and nested
//! words work too (`beta threads runs`). Global flags may come before the
//! group or anywhere after it.

use std::ffi::OsString;

use clap::{Arg, ArgAction, Args};
use openai_runtime::table::{Command, Flag, Group, Kind, ReplyKind, Target};

use crate::generated::commands::{ALL, GROUPS};
use crate::options::Global;

/// Ends the help of every command, in place of the global options it leaves out.
pub const GLOBALS_POINTER: &str =
    "Global options (--api-key, --format, --debug, ...) work here too: see `openai --help`.";

/// What a command line names.
pub enum Route {
    /// A generated command; `args` are the command line without the words
    /// that named it, for its own parser.
    Api {
        command: &'static Command,
        args: Vec<OsString>,
    },
    /// A hand-written command of a group (`uploads upload`).
    HandWritten {
        group: &'static str,
        name: &'static str,
        args: Vec<OsString>,
    },
    /// `webhooks unwrap`, with the rest of the command line.
    Webhook { args: Vec<OsString> },
    /// Anything else (help, the version, completion, a usage error): for
    /// the whole command line's parser.
    Other,
}

/// Finds the command `args` (with the program name first) names.
pub fn route(args: &[OsString]) -> Route {
    let takes_value = global_value_flags();
    let mut words = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let Some(arg) = args[i].to_str() else {
            return Route::Other;
        };
        if arg == "--" {
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            if !long.contains('=') && takes_value.iter().any(|name| *name == long) {
                i += 1;
            }
        } else if !arg.starts_with('-') || arg == "-" {
            words.push(i);
            if words.len() == 4 {
                // The deepest group is three words below the top.
                break;
            }
        }
        i += 1;
        // The path is over once a word is not a group or command: stop at
        // the first word that leaves the tree.
        if let Some(found) = resolve(args, &words) {
            return found;
        }
    }
    Route::Other
}

/// The route `args` names through its words at `positions`, once they name
/// a command.
fn resolve(args: &[OsString], positions: &[usize]) -> Option<Route> {
    let words: Vec<&str> = positions
        .iter()
        .map(|&i| args[i].to_str().unwrap_or(""))
        .collect();
    let (last, groups) = words.split_last()?;
    let group = group_of(groups)?;
    let rest = || -> Vec<OsString> {
        args.iter()
            .enumerate()
            .filter(|(i, _)| *i == 0 || !positions.contains(i))
            .map(|(_, a)| a.clone())
            .collect()
    };
    if let Some(command) = ALL
        .iter()
        .flat_map(|commands| commands.iter())
        .find(|c| c.group == group.name && (c.name == *last || c.aliases.contains(last)))
    {
        return Some(Route::Api {
            command,
            args: rest(),
        });
    }
    if group.name == "webhooks" && *last == "unwrap" {
        return Some(Route::Webhook { args: rest() });
    }
    group
        .hand_written
        .iter()
        .find(|(name, _)| name == last)
        .map(|(name, _)| Route::HandWritten {
            group: group.name,
            name,
            args: rest(),
        })
}

/// The group `words` name: its official name, or nested words, or both.
fn group_of(words: &[&str]) -> Option<&'static Group> {
    /// The hand-written group beside the generated ones.
    static WEBHOOKS: Group = Group {
        name: "webhooks",
        doc: "",
        hand_written: &[],
    };
    let name = words.join(":");
    if name.is_empty() {
        return None;
    }
    if name == WEBHOOKS.name {
        return Some(&WEBHOOKS);
    }
    GROUPS.iter().find(|g| g.name == name)
}

/// The long names of the global flags that take a value.
fn global_value_flags() -> Vec<String> {
    Global::augment_args(clap::Command::new("openai"))
        .get_arguments()
        .filter(|arg| arg.get_action().takes_values())
        .filter_map(|arg| arg.get_long().map(str::to_owned))
        .collect()
}

/// The clap command of one generated command: the global options (hidden
/// from its help), its flags, and `--max-items` / `--output` where they
/// apply.
pub fn leaf(command: &Command) -> clap::Command {
    let bin = format!(
        "openai {} {}",
        command.group.replace(':', " "),
        command.name
    );
    let mut cli = clap::Command::new(command.name.to_owned())
        .bin_name(bin)
        .about(command.about.to_owned())
        .visible_aliases(command.aliases.iter().copied())
        .long_about(long_about(command))
        .disable_version_flag(true);
    cli = with_pointer(hidden_globals(cli));
    // A command's own flag wins over a global one of the same name, as in
    // the official CLI (`admin:organization:invites create --project` is
    // the invite's project; `OPENAI_PROJECT_ID` still sets the header).
    let shadowed: Vec<clap::Id> = cli
        .get_arguments()
        .filter(|global| {
            global.get_long().is_some_and(|long| {
                command
                    .flags
                    .iter()
                    .flat_map(|f| std::iter::once(f).chain(f.fields))
                    .any(|f| f.long == long)
            })
        })
        .map(|global| global.get_id().clone())
        .collect();
    for id in shadowed {
        cli = cli.mut_arg(id, |global| {
            let long = format!("global-{}", global.get_long().unwrap_or_default());
            global.long(long).short(None)
        });
    }
    for flag in command.flags {
        cli = cli.arg(arg(flag, None));
        if flag.positional {
            cli = cli.arg(
                Arg::new(positional_id(flag))
                    .value_name(flag.value_name.to_owned())
                    .help(format!("The same as --{}.", flag.long))
                    .conflicts_with(flag_id(flag)),
            );
        }
        for field in flag.fields {
            cli = cli.arg(arg(field, Some(flag)));
        }
    }
    // Every command takes it, as in the official CLI; it caps lists and streams.
    {
        cli = cli.arg(
            Arg::new("max-items")
                .long("max-items")
                .value_name("N")
                .value_parser(clap::value_parser!(u64))
                .help("Print at most N items (of every page, or events of a stream), then stop."),
        );
    }
    // A download, or a reply the spec gives no body, which a server may
    // still send (a file's `content`).
    let help = match command.reply {
        ReplyKind::Binary(_) => Some("Write the file to PATH (- for stdout)."),
        ReplyKind::Empty => Some("Write whatever body the reply has to PATH (- for stdout)."),
        _ => None,
    };
    if let ReplyKind::Binary(_) = command.reply {
        cli = cli.arg(
            Arg::new("force")
                .long("force")
                .action(ArgAction::SetTrue)
                .help("Replace an existing file of the name the server chose (without --output)."),
        );
    }
    if let Some(help) = help {
        cli = cli.arg(
            Arg::new("output")
                .long("output")
                .short('o')
                .value_name("PATH")
                .value_parser(clap::value_parser!(std::path::PathBuf))
                .help(help),
        );
    }
    cli
}

/// Adds the global options to `cli`, hidden from its help.
pub fn hidden_globals(cli: clap::Command) -> clap::Command {
    // The ids of the global options, found once: `--help` adds them to every command.
    static GLOBALS: std::sync::OnceLock<Vec<clap::Id>> = std::sync::OnceLock::new();
    let globals = GLOBALS.get_or_init(|| {
        Global::augment_args(clap::Command::new("openai"))
            .get_arguments()
            .map(|a| a.get_id().clone())
            .collect()
    });
    // `augment_args` would put `Global`'s doc comment in place of the command's.
    let about = cli.get_about().cloned();
    let long_about = cli.get_long_about().cloned();
    // A global option given before and after the command: the last wins.
    let mut cli = Global::augment_args(cli).args_override_self(true);
    cli = match about {
        Some(about) => cli.about(about),
        None => cli.about(None::<&str>),
    };
    if let Some(long_about) = long_about {
        cli = cli.long_about(long_about);
    }
    globals.iter().fold(cli, |cli, id| {
        cli.mut_arg(id, |a| a.hide(true).global(false))
    })
}

/// The clap id of a command's flag: apart from the global options' ids
/// (their field names), which a flag may share a long name with.
pub fn flag_id(flag: &Flag) -> String {
    format!("--{}", flag.long)
}

/// The clap id of a path parameter's positional twin.
pub fn positional_id(flag: &Flag) -> String {
    format!("{}#positional", flag.long)
}

/// The id of a dotted flag (`expires-after.seconds`) is its long name.
fn arg(flag: &Flag, parent: Option<&Flag>) -> Arg {
    // A dotted flag's long name is whole already (`expires-after.seconds`).
    let mut arg = Arg::new(flag_id(flag))
        .long(flag.long)
        .value_name(flag.value_name.to_owned())
        .help(flag.help.to_owned());
    if flag.list && parent.is_none() {
        arg = arg.action(ArgAction::Append);
    }
    if flag.kind != Kind::Boolean {
        // `--frequency-penalty -2`, a PEM that starts with `-----BEGIN`.
        arg = arg.allow_hyphen_values(true);
    }
    if flag.kind == Kind::Boolean {
        // `--store`, `--store=true`, `--stream false`.
        arg = arg
            .num_args(0..=1)
            .default_missing_value("true")
            .value_parser(["true", "false"]);
    }
    if flag.target == Target::Path {
        arg = arg.value_name(flag.value_name.to_owned());
    }
    arg
}

fn long_about(command: &Command) -> String {
    match command.doc {
        "" => command.about.to_owned(),
        doc if doc.starts_with(command.about) => doc.to_owned(),
        doc => format!("{}\n\n{doc}", command.about),
    }
}

/// The whole command line, for help, completion and usage errors: every
/// group by its official name (`uploads:parts`) and nested (`uploads
/// parts`), each command by name, without their flags unless `deep`.
pub fn tree(deep: bool) -> clap::Command {
    let mut root = crate::cli::root();
    root = root.subcommand(crate::webhook::group());
    for name in ["completion", "@completion", "webhooks"] {
        root = root.mut_subcommand(name, |sub| with_pointer(hidden_globals(sub)));
    }
    GROUPS.iter().fold(root, |root, group| {
        root.subcommand(group_command(group, deep))
    })
}

/// Ends `cli`'s help with [`GLOBALS_POINTER`].
pub fn with_pointer(cli: clap::Command) -> clap::Command {
    let after = match cli.get_after_help() {
        Some(text) => format!("{text}\n\n{GLOBALS_POINTER}"),
        None => GLOBALS_POINTER.to_owned(),
    };
    cli.after_help(after)
}

fn group_command(group: &Group, deep: bool) -> clap::Command {
    let mut cli = hidden_globals(clap::Command::new(group.name.to_owned()))
        .after_help(GLOBALS_POINTER)
        .about(group.doc.to_owned())
        .subcommand_required(true)
        .arg_required_else_help(true);
    for command in ALL
        .iter()
        .flat_map(|c| c.iter())
        .filter(|c| c.group == group.name)
    {
        let sub = if deep {
            leaf(command)
        } else {
            clap::Command::new(command.name.to_owned())
                .about(command.about.to_owned())
                .visible_aliases(command.aliases.iter().copied())
        };
        cli = cli.subcommand(sub);
    }
    for (name, doc) in group.hand_written {
        let sub = crate::upload::subcommand(group.name, name)
            .map(|sub| with_pointer(hidden_globals(sub)))
            .unwrap_or_else(|| clap::Command::new(*name))
            .about(*doc);
        cli = cli.subcommand(sub);
    }
    let prefix = format!("{}:", group.name);
    for child in GROUPS.iter().filter(|g| {
        g.name
            .strip_prefix(&prefix)
            .is_some_and(|rest| !rest.contains(':'))
    }) {
        let last = &child.name[prefix.len()..];
        cli = cli.subcommand(group_command(child, deep).name(last.to_owned()));
    }
    cli
}
