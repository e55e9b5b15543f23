//! `cargo xtask`: the project's maintenance commands.
//!
//! Kept thin: each subcommand lives in its own module.

mod gen_cmd;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["gen"] => gen_cmd::run(false),
        ["gen", "--check"] => gen_cmd::run(true),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  gen            regenerate the checked-in code from spec/
  gen --check    write nothing; fail if generated code is stale";
