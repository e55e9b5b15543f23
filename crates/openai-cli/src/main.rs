//! `openai`: the OpenAI Uploads API from the command line.
//!
//! `generated/` comes from the spec through `cargo xtask gen`; everything else is hand-written.

mod app;
mod cli;
mod client;
mod color;
mod exit;
mod generated;
mod options;
mod output;
mod pretty;
mod size;
mod upload;

use std::process::ExitCode;

use clap::{ArgMatches, FromArgMatches};

use cli::{Cli, Command, Shell};
use options::Global;

fn main() -> ExitCode {
    // Usage errors exit with 2 here, and --help / --version with 0, before any runtime or TLS work.
    let matches = cli::command().get_matches();
    if let Some(args) = upload_args(&matches) {
        let global = Global::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
        return upload::run(&global, args);
    }
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    match cli.command {
        Command::Completion { shell } => completion(shell),
        Command::Api(resource) => app::run(&cli.global, resource),
    }
}

/// The flags of `uploads upload`, which the derived [`Cli`] does not know.
fn upload_args(matches: &ArgMatches) -> Option<upload::UploadArgs> {
    let ("uploads", uploads) = matches.subcommand()? else {
        return None;
    };
    let ("upload", args) = uploads.subcommand()? else {
        return None;
    };
    Some(upload::UploadArgs::from_arg_matches(args).unwrap_or_else(|err| err.exit()))
}

fn completion(shell: Shell) -> ExitCode {
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(generator, &mut cli::command(), "openai", &mut script);
    let text = String::from_utf8_lossy(&script);
    match exit::write(&mut std::io::stdout().lock(), &text) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            exit::fail(exit::FAILURE, &format!("cannot write to stdout: {err}"))
        }
        _ => ExitCode::SUCCESS,
    }
}
