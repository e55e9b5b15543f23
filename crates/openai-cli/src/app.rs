//! Running one API command: read stdin, send, print, pick the exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use crate::client::{build_client, runtime};
use crate::exit::{USAGE, fail};
use crate::generated::commands::Resource;
use crate::options::Global;
use crate::output::{Doc, print_error, print_result};

pub fn run(global: &Global, resource: Resource) -> ExitCode {
    // Configuration first: a missing key must not wait on stdin.
    let client = match build_client(global) {
        Ok(client) => client,
        Err(code) => return code,
    };
    let body = if resource.takes_body() {
        match read_body(&mut std::io::stdin().lock()) {
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

/// A whole request body, JSON or YAML, from stdin when it is not a terminal.
/// Nothing (or only white space) there means no body.
fn read_body(
    stdin: &mut (impl std::io::Read + IsTerminal),
) -> Result<Option<serde_json::Value>, String> {
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut text = String::new();
    stdin
        .read_to_string(&mut text)
        .map_err(|err| format!("cannot read the request body from stdin: {err}"))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    // YAML is a superset of JSON, so one parser takes both.
    serde_yaml::from_str(&text)
        .map(Some)
        .map_err(|err| format!("the request body on stdin is neither JSON nor YAML: {err}"))
}
