//! `openai`: the OpenAI Uploads API from the command line.
//!
//! `generated/` comes from the spec through `cargo xtask gen`; everything else is hand-written.
//! Dependencies run one way: `main` → `cli` / `app` / `upload` → `client` / `download` → `output` →
//! `options`, `exit`, `stdin` (leaves).

mod app;
mod cli;
mod client;
mod color;
mod download;
mod exit;
mod generated;
mod options;
mod output;
mod pretty;
mod size;
mod stdin;
mod upload;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::FromArgMatches;

use cli::{Cli, Command, Shell};
use options::Global;

fn main() -> ExitCode {
    // Usage errors exit with 2 here, and --help / --version with 0, before any runtime or TLS work.
    let matches = match cli::parser().try_get_matches() {
        Ok(matches) => matches,
        Err(err) => return clap_exit(&err),
    };
    if let Some(command) = upload::command(&matches) {
        let (global, command) =
            match Global::from_arg_matches(&matches).and_then(|global| Ok((global, command?))) {
                Ok(parsed) => parsed,
                Err(err) => return clap_exit(&err),
            };
        return upload::run(&global, command);
    }
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => return clap_exit(&err),
    };
    match cli.command {
        // A bare `openai`, as the official CLI: the help, on stdout, and success.
        None => help(),
        Some(Command::Completion { shell } | Command::AtCompletion { shell }) => completion(shell),
        Some(Command::Api(resource)) => {
            let code = app::run(&cli.global, resource);
            stdin::warn_if_late();
            code
        }
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
    match cli::parser().try_get_matches_from(["openai", "--help"]) {
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
    clap_complete::generate(generator, &mut cli::command(), "openai", &mut script);
    print_stdout(&String::from_utf8_lossy(&script))
}

fn print_stdout(text: &str) -> ExitCode {
    match exit::print_stdout(text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
