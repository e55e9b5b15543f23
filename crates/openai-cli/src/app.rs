//! Running one API command: build the client, send, print, pick the exit code.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use openai_uploads::{Client, Error};

use crate::cli::{DEFAULT_BASE_URL, Global};
use crate::color;
use crate::generated::commands::Resource;
use crate::output::{self, Doc, Style};

/// Exit status for an API error, a connection failure, an undecodable reply or an empty transform.
pub const FAILURE: u8 = 1;
/// Exit status for a usage or configuration error; no request was sent.
pub const USAGE: u8 = 2;

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

/// The async runtime, built only once a request is certain, so that --help,
/// --version and usage errors never pay for it. One thread is enough: the
/// work is waiting on sockets (and the uploader hashes on tokio's blocking
/// pool; two workers measured no faster).
pub fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| fail(FAILURE, &format!("cannot start the async runtime: {err}")))
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

pub fn build_client(global: &Global) -> Result<Client, ExitCode> {
    let key = match global.api_key.as_deref() {
        Some(key) if !key.trim().is_empty() => key,
        _ => {
            return Err(fail(
                USAGE,
                "no API key: pass --api-key KEY or set OPENAI_API_KEY",
            ));
        }
    };
    let mut builder = Client::builder()
        .api_key(key)
        .base_url(base_url(global))
        .max_retries(global.max_retries)
        .timeout(global.timeout)
        .debug(global.debug);
    if let Some(org) = non_empty(&global.organization) {
        builder = builder.organization(org);
    }
    if let Some(project) = non_empty(&global.project) {
        builder = builder.project(project);
    }
    builder.build().map_err(|err| print_error(global, &err))
}

/// An empty OPENAI_BASE_URL counts as unset, as it does for the other variables.
fn base_url(global: &Global) -> &str {
    match global.base_url.as_str() {
        "" => DEFAULT_BASE_URL,
        url => url,
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

pub fn print_result(global: &Global, body: &Doc) -> ExitCode {
    let doc = match &global.transform {
        None => body.clone(),
        Some(path) => match body.transform(path) {
            Some(doc) => doc,
            None => {
                return fail(
                    FAILURE,
                    &format!("--transform path `{path}` matched nothing in the result"),
                );
            }
        },
    };
    let stdout = std::io::stdout();
    let style = Style {
        format: global.format,
        raw_output: global.raw_output,
        colour: color::enabled(stdout.is_terminal()),
    };
    match write(&mut stdout.lock(), &output::render(&doc, style)) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            fail(FAILURE, &format!("cannot write to stdout: {err}"))
        }
        _ => ExitCode::SUCCESS,
    }
}

/// Prints an error to stderr (stdout stays empty) and returns its exit status.
pub fn print_error(global: &Global, err: &Error) -> ExitCode {
    let (code, text) = error_text(global, err);
    let _ = write(&mut std::io::stderr().lock(), &text);
    ExitCode::from(code)
}

/// The exit status for an error and the text to print for it on stderr: `Error: ...`, then,
/// for an API error, the error object in `--format-error` with `--transform-error`.
pub fn error_text(global: &Global, err: &Error) -> (u8, String) {
    let code = match err {
        Error::InvalidArgument { .. } | Error::Config { .. } => USAGE,
        _ => FAILURE,
    };
    let mut text = format!("Error: {}\n", summary(err, global));
    let Error::Api { raw, .. } = err else {
        return (code, text);
    };
    let body = Doc::from_bytes(raw.as_bytes()).printable();
    let doc = match &global.transform_error {
        None => Some(body),
        Some(path) => {
            let found = body.transform(path);
            if found.is_none() {
                text.push_str(&format!(
                    "Error: --transform-error path `{path}` matched nothing in the error object\n"
                ));
            }
            found
        }
    };
    if let Some(doc) = doc.filter(|d| !d.raw.trim().is_empty()) {
        let style = Style {
            format: global.format_error,
            raw_output: global.raw_output,
            colour: color::enabled(std::io::stderr().is_terminal()),
        };
        text.push_str(&output::render(&doc, style));
    }
    (code, text)
}

/// [`summary_for`] with the base URL the client uses.
pub fn summary(err: &Error, global: &Global) -> String {
    summary_for(err, base_url(global))
}

/// One line naming the request and, for network failures, the host.
fn summary_for(err: &Error, base_url: &str) -> String {
    let request = match (err.method(), err.path()) {
        (Some(method), Some(path)) => format!("{method} {path}: "),
        _ => String::new(),
    };
    match err {
        Error::Timeout { timeout, .. } => format!(
            "{request}no reply from {} within {timeout:?}",
            host(base_url)
        ),
        // `Api` reads `404 Not Found: No such upload (request id req_123)`;
        // `Connection` reads `could not connect to host:port: ...`.
        _ => format!("{request}{err}"),
    }
}

/// `host[:port]` of a URL, without any `user:password@`.
fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority.rsplit('@').next().unwrap_or(authority)
}

/// Prints `Error: message` to stderr and returns `code`.
pub fn fail(code: u8, message: &str) -> ExitCode {
    let _ = write(
        &mut std::io::stderr().lock(),
        &format!("Error: {message}\n"),
    );
    ExitCode::from(code)
}

/// Writes everything; the caller decides what a failure means (a closed pipe is no error).
pub fn write(stream: &mut impl Write, text: &str) -> std::io::Result<()> {
    stream.write_all(text.as_bytes())?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_url() {
        assert_eq!(host("https://api.openai.com/v1"), "api.openai.com");
        assert_eq!(host("http://127.0.0.1:8080/v1?x#y"), "127.0.0.1:8080");
        assert_eq!(host("http://user:secret@proxy:3128/v1"), "proxy:3128");
        assert_eq!(host("https://[::1]:443"), "[::1]:443");
    }
}
