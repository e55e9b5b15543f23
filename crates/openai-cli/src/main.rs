//! `openai`: the OpenAI Uploads API from the command line.
//!
//! `generated/` comes from the spec through `cargo xtask gen`; everything else is hand-written.

mod app;
mod cli;
mod color;
mod generated;
mod output;
mod pretty;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use cli::{Cli, Command, Shell};

fn main() -> ExitCode {
    // Usage errors exit with 2 here, and --help / --version with 0, before any runtime or TLS work.
    let cli = Cli::parse();
    match cli.command {
        Command::Completion { shell } => completion(shell),
        Command::Api(resource) => app::run(&cli.global, resource),
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
    clap_complete::generate(generator, &mut Cli::command(), "openai", &mut script);
    let text = String::from_utf8_lossy(&script);
    match app::write(&mut std::io::stdout().lock(), &text) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            app::fail(app::FAILURE, &format!("cannot write to stdout: {err}"))
        }
        _ => ExitCode::SUCCESS,
    }
}
