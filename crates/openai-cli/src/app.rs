//! Running one API command: read stdin, send, print, pick the exit code.

use std::process::ExitCode;

use openai_runtime::Error;
use openai_runtime::cli::{Input, Reply};

use crate::client::{build_client, runtime};
use crate::download::Failure;
use crate::exit::{FAILURE, USAGE, fail};
use crate::generated::commands::Resource;
use crate::options::Global;
use crate::output::{Doc, print_error, print_result};
use crate::{download, stdin};

pub fn run(global: &Global, resource: Resource) -> ExitCode {
    // Configuration first: a missing key must not wait on stdin.
    let client = match build_client(global) {
        Ok(client) => client,
        Err(code) => return code,
    };
    let document = if resource.reads_stdin() {
        match stdin::document() {
            Ok(document) => document,
            Err(message) => return fail(USAGE, &message),
        }
    } else {
        None
    };
    // File flags (`--data PATH`) open their file, or read stdin for `-`.
    let input = match Input::new(document) {
        Ok(input) => input.open_files_with(stdin::file_part),
        Err(err) => return print_error(global, &err),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(resource.run(&client, input)) {
        Ok(Reply::Body(response)) => print_result(global, &Doc::from_bytes(&response.body)),
        // A reply without a body prints nothing.
        Ok(Reply::Empty(_)) => ExitCode::SUCCESS,
        Ok(Reply::Download { response, output }) => {
            match runtime.block_on(download::save(response, output)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(Failure::Api(err)) => print_error(global, &err),
                Err(Failure::Usage(message)) => fail(USAGE, &message),
                Err(Failure::Io(message)) => fail(FAILURE, &message),
            }
        }
        // The call succeeded; only our types disagree with the reply (a
        // field renamed or phased out). The CLI relays the server's bytes,
        // so it prints them and does not report a failure.
        Err(Error::Decode { body, status, .. }) if status.is_success() => {
            print_result(global, &Doc::from_bytes(&body))
        }
        Err(err) => print_error(global, &err),
    }
}
