//! `openai uploads upload PATH`: the whole flow in one command, on top of the library's
//! uploader, with a progress bar and Ctrl-C / SIGTERM handling.

mod args;
mod progress;
mod signal;

use std::io::IsTerminal;
use std::process::ExitCode;

use openai_uploads::{
    CreateUploadRequestPurpose, Error, FileExpirationAfter, FileExpirationAfterAnchor, Upload,
    UploadError, UploadOptions,
};

use crate::client::{build_client, runtime};
use crate::exit::{self, FAILURE};
use crate::options::Global;
use crate::output::{self, Doc};

pub use args::{ABOUT, AFTER_HELP, LONG_ABOUT, UploadArgs};

pub fn run(global: &Global, args: UploadArgs) -> ExitCode {
    let options = options(&args);
    let client = match build_client(global) {
        Ok(client) => client,
        Err(code) => return code,
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    // Only for the bar; the uploader checks the file itself.
    let total = std::fs::metadata(&args.path).map_or(0, |m| m.len());
    let bar = progress::bar(total, !args.quiet && std::io::stderr().is_terminal());
    let result = runtime.block_on(async {
        let (caught, interrupt) = signal::interrupt()?;
        let on_progress = |bytes: u64| bar.set_position(bytes);
        let result = client
            .uploads()
            .upload_file_with(&args.path, &options, &on_progress, interrupt)
            .await;
        Ok::<_, std::io::Error>((caught, result))
    });
    bar.finish_and_clear();
    // Parts still being aborted must not hold the exit.
    runtime.shutdown_background();
    match result {
        Err(err) => exit::fail(FAILURE, &format!("cannot handle Ctrl-C: {err}")),
        Ok((_, Ok(upload))) => print_upload(global, &upload),
        Ok((caught, Err(err))) => report(global, &err, caught.exit_code()),
    }
}

fn options(args: &UploadArgs) -> UploadOptions {
    let mut options = UploadOptions::new(CreateUploadRequestPurpose::from(args.purpose.as_str()));
    options.mime_type = args.mime_type.clone();
    options.filename = args.filename.clone();
    options.part_size = args.part_size;
    options.concurrency = args.concurrency;
    options.expires_after = args
        .expires_after_seconds
        .map(|seconds| FileExpirationAfter {
            anchor: FileExpirationAfterAnchor,
            seconds,
        });
    options
}

fn print_upload(global: &Global, upload: &Upload) -> ExitCode {
    match serde_json::to_vec(upload) {
        Ok(bytes) => output::print_result(global, &Doc::from_bytes(&bytes)),
        Err(err) => exit::fail(FAILURE, &format!("cannot print the Upload: {err}")),
    }
}

/// Says what failed and what became of the Upload, and picks the exit status.
fn report(global: &Global, err: &UploadError, signal: Option<u8>) -> ExitCode {
    match err {
        UploadError::Interrupted {
            upload_id,
            cancelled,
            cancel_error,
        } => {
            let text = match upload_id {
                None => {
                    "Interrupted before the Upload's creation was confirmed; nothing was cancelled.\n".to_owned()
                }
                Some(id) => interrupted(id, *cancelled, cancel_error.as_deref(), global),
            };
            let _ = exit::write(&mut std::io::stderr().lock(), &text);
            ExitCode::from(signal.unwrap_or(signal::SIGINT_EXIT))
        }
        UploadError::Failed {
            upload_id,
            cancelled,
            cancel_error,
            source,
        } => {
            let (_, mut text) = output::error_text(global, source);
            text.push_str(&outcome(
                upload_id,
                *cancelled,
                cancel_error.as_deref(),
                global,
            ));
            let _ = exit::write(&mut std::io::stderr().lock(), &text);
            ExitCode::from(FAILURE)
        }
        UploadError::NotStarted(other) => output::print_error(global, other),
        other => exit::fail(FAILURE, &other.to_string()),
    }
}

fn interrupted(id: &str, cancelled: bool, cancel_error: Option<&Error>, global: &Global) -> String {
    if cancelled {
        format!("Interrupted: cancelled Upload {id}; no more Parts were sent.\n")
    } else {
        format!(
            "Interrupted.\n{}",
            outcome(id, cancelled, cancel_error, global)
        )
    }
}

/// `Cancelled Upload upload_x.`, or how cancelling it failed and what to run instead.
fn outcome(id: &str, cancelled: bool, cancel_error: Option<&Error>, global: &Global) -> String {
    if cancelled {
        return format!("Cancelled Upload {id}.\n");
    }
    let why = match cancel_error {
        Some(err) => format!(": {}", output::summary(err, global)),
        None => String::new(),
    };
    format!(
        "Error: cancelling Upload {id} failed{why}\nIt may still be pending; run `openai uploads cancel {id}` to cancel it.\n"
    )
}
