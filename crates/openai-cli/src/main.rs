//! `openai`: the OpenAI API from the command line.
//!
//! `generated/` comes from the spec through `cargo xtask gen`; everything else is hand-written.
//! Dependencies run one way: `main` → `route` / `cli` / `app` / `upload` → `input` / `client` / `download` → `output` →
//! `options`, `exit`, `stdin` (leaves).

mod app;
mod cli;
mod client;
mod color;
mod download;
mod exit;
mod generated;
mod input;
mod options;
mod output;
mod pretty;
mod route;
mod size;
mod stdin;
mod upload;
mod webhook;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::process::ExitCode;

use clap::FromArgMatches;

use cli::Shell;
use options::Global;
use route::Route;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    if cli::wants_version(&args) {
        return print_stdout(&cli::version_line());
    }
    // Usage errors exit with 2 here, and --help with 0, before any runtime or TLS work.
    match route::route(&args) {
        Route::Api { command, args } => {
            let parsed = route::leaf(command)
                .try_get_matches_from(args)
                .and_then(|matches| Ok((Global::from_arg_matches(&matches)?, matches)));
            match parsed {
                Ok((global, matches)) => {
                    let code = app::run(&global, command, &matches);
                    stdin::warn_if_late();
                    code
                }
                Err(err) => clap_exit(&err),
            }
        }
        Route::HandWritten { group, name, args } => {
            let Some(cli) = upload::subcommand(group, name) else {
                return exit::fail(exit::USAGE, &format!("`{group} {name}` is not built in"));
            };
            let cli = route::with_pointer(route::hidden_globals(cli))
                .bin_name(format!("openai {} {name}", group.replace(':', " ")));
            let parsed = cli.try_get_matches_from(args).and_then(|matches| {
                Ok((
                    Global::from_arg_matches(&matches)?,
                    upload::command(name, &matches)?,
                ))
            });
            match parsed {
                Ok((global, command)) => upload::run(&global, command),
                Err(err) => clap_exit(&err),
            }
        }
        Route::Webhook { args } => {
            let cli = route::with_pointer(route::hidden_globals(webhook::unwrap_command()))
                .bin_name("openai webhooks unwrap");
            let parsed = cli
                .try_get_matches_from(args)
                .and_then(|matches| Ok((Global::from_arg_matches(&matches)?, matches)));
            match parsed {
                Ok((global, matches)) => webhook::unwrap(&global, &matches),
                Err(err) => clap_exit(&err),
            }
        }
        Route::Other => other(&args),
    }
}

/// Help, completion and usage errors: the whole command line, without
/// the commands' flags.
fn other(args: &[OsString]) -> ExitCode {
    let matches = match route::tree(false).try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(err) => return clap_exit(&err),
    };
    match matches.subcommand() {
        // A bare `openai`, as the official CLI: the help, on stdout, and success.
        None => help(),
        Some(("completion" | "@completion", sub)) => match sub.get_one::<Shell>("shell") {
            Some(shell) => completion(*shell),
            None => help(),
        },
        // Every command is routed before this; a group alone asks for help.
        Some(_) => help(),
    }
}

/// Prints what clap has to say: help and the version on stdout (a failed write is an
/// error, as for results), usage errors on stderr.
fn clap_exit(err: &clap::Error) -> ExitCode {
    if err.use_stderr() {
        let _ = err.print();
        return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(exit::USAGE));
    }
    let styled = err.render();
    let text = if color::enabled(std::io::stdout().is_terminal()) {
        styled.ansi().to_string()
    } else {
        styled.to_string()
    };
    print_stdout(&text)
}

/// The root help, exactly as `openai --help` prints it.
fn help() -> ExitCode {
    match route::tree(false).try_get_matches_from(["openai", "--help"]) {
        Err(help) => clap_exit(&help),
        Ok(_) => ExitCode::SUCCESS,
    }
}

fn completion(shell: Shell) -> ExitCode {
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(generator, &mut route::tree(true), "openai", &mut script);
    print_stdout(&String::from_utf8_lossy(&script))
}

fn print_stdout(text: &str) -> ExitCode {
    match exit::print_stdout(text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
