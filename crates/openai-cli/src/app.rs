//! Running one API command: read stdin, send, print, pick the exit code.

use std::process::ExitCode;

use crate::client::{build_client, runtime};
use crate::exit::{USAGE, fail};
use crate::generated::commands::Resource;
use crate::options::Global;
use crate::output::{Doc, print_error, print_result};
use crate::stdin;

pub fn run(global: &Global, resource: Resource) -> ExitCode {
    // Configuration first: a missing key must not wait on stdin.
    let client = match build_client(global) {
        Ok(client) => client,
        Err(code) => return code,
    };
    let body = if resource.reads_stdin() {
        match stdin::document() {
            Ok(body) => body,
            Err(message) => return fail(USAGE, &message),
        }
    } else {
        None
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(resource.run(&client, body)) {
        Ok(response) => print_result(global, &Doc::from_bytes(&response.body)),
        Err(err) => print_error(global, &err),
    }
}
