//! `cargo xtask`: the project's maintenance commands.
//!
//! Kept thin: each subcommand lives in its own module.

mod census;
mod conformance;
mod demo;
mod derive_cases;
mod gen_cmd;
#[cfg(test)]
mod generate_names;
mod import;
#[cfg(test)]
mod layout;
mod official;
mod suite;
mod test_cmd;
mod util;

use std::process::ExitCode;

/// Half the generator's time, apart from rustfmt, was glibc's malloc and
/// free; mimalloc takes a fifth off `gen` of OpenAI's whole document.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["gen"] => gen_cmd::run(false),
        ["gen", "--check"] => gen_cmd::run(true),
        ["demo"] => demo::run(),
        ["test"] => test_cmd::run(),
        ["conformance"] => conformance::run(),
        ["census", rest @ ..] => census::run(rest),
        ["import", rest @ ..] => import::run(rest),
        ["official", url] => official::run_against(url),
        ["official-suite", rest @ ..] => suite::run(rest),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
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
  demo           build, start the fake API, cancel an upload with `openai` twice
                 (success, then the error path); needs no API key
  test           everything CI runs: fmt, clippy, native-tls check, gen --check,
                 cargo test, conformance; stops at the first failure
  conformance    run `openai` against Steady (npm @stdy/cli, installed under
                 target/conformance) for every method in spec/generate.yaml,
                 then the official CLI's eight uploads tests, unchanged
  official URL   the official CLI's uploads tests against a Steady already running
                 at URL (http://127.0.0.1:PORT), e.g. one serving another spec
  official-suite REPO_DIR [--steady-spec PATH] [--filter SUBSTR]
                 every mock-server test in the official CLI's pkg/cmd/*_test.go
                 (REPO_DIR: its work tree or git directory, read at run time),
                 run with our `openai` against Steady serving PATH (default
                 ../shared/reference/openai-openapi.yaml) as its harness does;
                 prints passed/failed per resource and each failure
  census PATH [--compile]
                 generate every operation of an OpenAPI document alone, then
                 together into target/census/ (never the checked-in crates);
                 print counts per stage and each failure; --compile runs
                 cargo clippy -D warnings on the result
  import PATH [--check]
                 rewrite spec/openapi.yaml from OpenAI's OpenAPI document at PATH:
                 its facts, none of its prose, our descriptions kept where their
                 place survives; print operations added, removed and changed;
                 --check writes nothing and fails if the spec would change
  gen            regenerate the checked-in code from spec/
  gen --check    write nothing; fail if generated code is stale";
