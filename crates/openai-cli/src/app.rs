//! Running one generated command: read stdin, build the request from the
//! command's table entry, send, print, pick the exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ArgMatches;
use openai_runtime::table::{BodyKind, Command, Kind, Paging, ReplyKind};
use openai_runtime::{Error, Method, Multipart, Request};
use serde::de::IgnoredAny;
use serde_json::Value;

use crate::client::{build_client_for, runtime};
use crate::download::Failure;
use crate::exit::{FAILURE, INTERRUPTED, USAGE, fail};
use crate::input::{self, Pieces};
use crate::options::Global;
use crate::output::{Doc, print_error, print_result};
use crate::{download, stdin};

pub fn run(global: &Global, command: &Command, matches: &ArgMatches) -> ExitCode {
    // Configuration first: a missing key must not wait on stdin.
    let client = match build_client_for(global, command.admin) {
        Ok(client) => client,
        Err(code) => return code,
    };
    // A file flag given `-` takes stdin as its bytes; then no document is read.
    let stdin_file = command.flags.iter().any(|flag| {
        flag.kind == Kind::File
            && matches
                .try_get_many::<String>(&crate::route::flag_id(flag))
                .ok()
                .flatten()
                .is_some_and(|mut values| values.any(|v| openai_runtime::cli::is_stdin(v.as_ref())))
    });
    let document = if command.flags.is_empty() || stdin_file {
        None
    } else {
        match stdin::document() {
            Ok(document) => document,
            Err(message) => return fail(USAGE, &message),
        }
    };
    let pieces = match input::gather(command, matches, document) {
        Ok(pieces) => pieces,
        Err(message) => return fail(USAGE, &message),
    };
    let streaming = streams(command, &pieces);
    let request = match request(command, pieces) {
        Ok(request) => request,
        Err(err) => return print_error(global, &err),
    };
    let output = matches
        .try_get_one::<PathBuf>("output")
        .ok()
        .flatten()
        .cloned();
    let force = matches
        .try_get_one::<bool>("force")
        .ok()
        .flatten()
        .copied()
        .unwrap_or(false);
    let max_items = matches
        .try_get_one::<u64>("max-items")
        .ok()
        .flatten()
        .copied();
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let client = client.runtime();
    if streaming {
        return runtime.block_on(stream(global, client, request, max_items));
    }
    let download = match command.reply {
        ReplyKind::Binary(_) => true,
        ReplyKind::Empty => output.is_some(),
        _ => false,
    };
    match command.reply {
        _ if download => {
            let saved = runtime.block_on(async {
                let response = client
                    .execute_bytes_stream(request)
                    .await
                    .map_err(Failure::Api)?;
                download::save(response, output, force).await
            });
            match saved {
                Ok(()) => ExitCode::SUCCESS,
                Err(Failure::Api(err)) => print_error(global, &err),
                Err(Failure::Usage(message)) => fail(USAGE, &message),
                Err(Failure::Io(message)) => fail(FAILURE, &message),
            }
        }
        // Whatever a bodiless reply carries (`{}`, nothing) is not printed.
        ReplyKind::Empty | ReplyKind::Binary(_) => {
            match runtime.block_on(client.execute::<IgnoredAny>(request)) {
                Ok(_) => ExitCode::SUCCESS,
                Err(Error::Decode { status, .. }) if status.is_success() => ExitCode::SUCCESS,
                Err(err) => print_error(global, &err),
            }
        }
        ReplyKind::Json | ReplyKind::Text(_) if command.paging == Paging::None || raw(global) => {
            let reply = runtime.block_on(client.execute::<IgnoredAny>(request));
            match reply {
                Ok(response) => print_result(global, &Doc::from_bytes(&response.body)),
                // The call succeeded; the reply is not JSON (a text reply,
                // or a server's mistake): print the bytes as received.
                Err(Error::Decode { body, status, .. }) if status.is_success() => {
                    print_result(global, &Doc::from_bytes(&body))
                }
                Err(err) => print_error(global, &err),
            }
        }
        ReplyKind::Json | ReplyKind::Text(_) => {
            runtime.block_on(list(global, client, command, request, max_items))
        }
    }
}

/// Whether this run asks for server-sent events: the command always
/// streams, or its `stream` field is `true`.
fn streams(command: &Command, pieces: &Pieces) -> bool {
    match command.stream {
        None => false,
        Some("") => true,
        Some(switch) => pieces.body.get(switch) == Some(&Value::Bool(true)),
    }
}

/// Prints each event's data as it comes, one value each, at most `max`;
/// an Assistants event (`thread.*`) as `{"event": ..., "data": ...}`.
/// Ctrl-C ends the stream cleanly: what was printed is flushed, exit 130.
async fn stream(
    global: &Global,
    client: &openai_runtime::Client,
    request: Request,
    max: Option<u64>,
) -> ExitCode {
    use futures_util::StreamExt;
    // Listening starts before the request, so Ctrl-C is never the default
    // kill mid-line.
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let options =
        openai_runtime::sse::Options::default().idle_timeout(Some(global.stream_idle_timeout));
    let mut events = tokio::select! {
        opened = client.stream_events_with(request, &options) => match opened {
            Ok(events) => events,
            Err(err) => return print_error(global, &err),
        },
        _ = &mut interrupted => return ExitCode::from(INTERRUPTED),
    };
    let mut left = max.unwrap_or(u64::MAX);
    while left > 0 {
        let next = tokio::select! {
            next = events.next() => next,
            _ = &mut interrupted => return ExitCode::from(INTERRUPTED),
        };
        let event = match next {
            None => break,
            Some(Ok(event)) => event,
            Some(Err(err)) => return print_error(global, &err),
        };
        let doc = match event.event.as_deref() {
            Some(name) if name.starts_with("thread.") => {
                let data = serde_json::from_str::<Value>(&event.data)
                    .unwrap_or_else(|_| Value::String(event.data.clone()));
                let wrapped = serde_json::json!({"event": name, "data": data});
                Doc::from_bytes(wrapped.to_string().as_bytes())
            }
            _ => Doc::from_bytes(event.data.as_bytes()),
        };
        // `--transform` applies to the events that have its path.
        if let Some(path) = &global.transform
            && doc.transform(path).is_none()
        {
            continue;
        }
        let code = print_result(global, &doc);
        if code != ExitCode::SUCCESS {
            return code;
        }
        left -= 1;
    }
    ExitCode::SUCCESS
}

/// `--format raw` prints a list's first page as received.
fn raw(global: &Global) -> bool {
    global.format == crate::options::Format::Raw
}

/// Prints every item of every page, each as one value as received, at most
/// `max` of them. The runtime's pager asks for a page only when the items
/// before it are used up, and stops at a page with nothing in it or a
/// cursor it has seen.
async fn list(
    global: &Global,
    client: &openai_runtime::Client,
    command: &Command,
    request: Request,
    max: Option<u64>,
) -> ExitCode {
    use futures_util::StreamExt;
    use openai_runtime::paging::{self, Style};
    let style = match command.paging {
        Paging::After { param } => Style::After {
            param: param.into(),
        },
        Paging::LastId { param, field } => Style::last_id(param, field),
        Paging::Token { param, field } => Style::next_token(param, field),
        Paging::Single | Paging::None => Style::Single,
    };
    let mut items = paging::items::<Box<serde_json::value::RawValue>>(client, request, style);
    let mut left = max.unwrap_or(u64::MAX);
    while left > 0 {
        match items.next().await {
            None => break,
            Some(Ok(item)) => {
                let code = print_result(global, &Doc::from_bytes(item.get().as_bytes()));
                if code != ExitCode::SUCCESS {
                    return code;
                }
                left -= 1;
            }
            Some(Err(err)) => return print_error(global, &err),
        }
    }
    ExitCode::SUCCESS
}

/// The request `pieces` describe for `command`.
fn request(command: &Command, pieces: Pieces) -> Result<Request, Error> {
    let method = Method::from_bytes(command.method.as_bytes())
        .map_err(|_| Error::invalid_argument("method", command.method))?;
    let mut request = Request::new(method, pieces.path);
    for (key, value) in command.fixed_query {
        request = request.query_pair(key, value);
    }
    if !pieces.query.is_empty() {
        request = request.query(&pieces.query)?;
    }
    for (name, value) in &pieces.headers {
        request = request.header(name, value)?;
    }
    if command.admin {
        request = request.admin();
    }
    if !command.retry_conflicts {
        request = request.retry_conflicts(false);
    }
    match command.reply {
        ReplyKind::Binary(accept) | ReplyKind::Text(accept) if !accept.is_empty() => {
            request = request.header("accept", accept)?;
        }
        _ => {}
    }
    match command.body {
        BodyKind::None => {}
        BodyKind::Json => {
            if !pieces.body.is_empty() || command.method != "GET" {
                request = request.json(&pieces.body)?;
            }
        }
        BodyKind::Multipart => request = request.multipart(multipart(command, pieces.body)?),
    }
    Ok(request)
}

/// A multipart form of `body`: file flags as file parts (streamed when
/// sent), everything else as text parts (see `Multipart::value`).
fn multipart(command: &Command, body: serde_json::Map<String, Value>) -> Result<Multipart, Error> {
    let mut form = Multipart::new();
    for (key, value) in body {
        let flag = command.flags.iter().find(|f| f.key == key);
        let name: &'static str = match flag {
            Some(flag) => flag.key,
            // Keys of stdin no flag knows are not sent in a form.
            None => continue,
        };
        let file_or_value = flag.is_some_and(|f| f.kind == Kind::FileOrValue);
        let names_file = matches!(&value, Value::String(text) if input::is_file(text));
        if flag.is_some_and(|f| f.kind == Kind::File) || (file_or_value && names_file) {
            let paths = match value {
                Value::Array(items) => items,
                one => vec![one],
            };
            for path in paths {
                let Value::String(path) = path else {
                    return Err(Error::invalid_argument(name, "a file flag takes a path"));
                };
                let part = stdin::file_part(path.as_ref()).map_err(|err| {
                    Error::invalid_argument(
                        name,
                        format!("{}: {err}", crate::output::escape(&path, false)),
                    )
                })?;
                form = form.file(name, part);
            }
            continue;
        }
        // Lists as `name[]` parts, objects as `name[key]` parts, as
        // OpenAI's API (and the official CLI) reads forms.
        form = form.value(name, &value);
    }
    Ok(form)
}
