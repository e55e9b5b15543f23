//! `openai uploads upload PATH`: the whole flow in one command, on top of the library's
//! uploader, with progress on stderr and Ctrl-C / SIGTERM / SIGHUP handling; and
//! `uploads pending` / `uploads prune` for the Uploads its journal keeps.

mod args;
mod pending;
mod progress;
mod shell;
mod signal;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{ArgMatches, Args, FromArgMatches};
use openai_uploads::{
    CompletedUpload, CreateUploadRequestPurpose, Error, FileExpirationAfter,
    FileExpirationAfterAnchor, UploadError, UploadOptions,
};

use crate::client;
use crate::exit::{self, FAILURE};
use crate::options::Global;
use crate::output::{self, Doc};

use crate::output::escape;
pub use args::UploadArgs;
use args::{JournalArgs, ProgressMode};
use progress::Display;
use shell::quote;

/// The hand-written commands of the `uploads` group.
#[derive(Debug)]
pub enum Command {
    Upload(UploadArgs),
    Pending(JournalArgs),
    Prune(JournalArgs),
}

/// The clap command of the hand-written command `name` of `group`
/// (declared under `commands` in generate.yaml), if this module has it.
pub fn subcommand(group: &str, name: &str) -> Option<clap::Command> {
    // The texts go on after `augment_args`, which would put the struct's doc comment there.
    let command = match (group, name) {
        ("uploads", "upload") => UploadArgs::augment_args(clap::Command::new("upload"))
            .about(args::ABOUT)
            .long_about(args::LONG_ABOUT)
            .after_help(args::AFTER_HELP),
        ("uploads", "pending") => JournalArgs::augment_args(clap::Command::new("pending"))
            .about(args::PENDING_ABOUT)
            .long_about(args::PENDING_LONG_ABOUT),
        ("uploads", "prune") => JournalArgs::augment_args(clap::Command::new("prune"))
            .about(args::PRUNE_ABOUT)
            .long_about(args::PRUNE_LONG_ABOUT),
        _ => return None,
    };
    Some(command)
}

/// The hand-written command `name` with its parsed arguments.
pub fn command(name: &str, matches: &ArgMatches) -> Result<Command, clap::Error> {
    match name {
        "upload" => UploadArgs::from_arg_matches(matches).map(Command::Upload),
        "pending" => JournalArgs::from_arg_matches(matches).map(Command::Pending),
        _ => JournalArgs::from_arg_matches(matches).map(Command::Prune),
    }
}

pub fn run(global: &Global, command: Command) -> ExitCode {
    match command {
        Command::Upload(args) => upload(global, args),
        Command::Pending(args) => pending::list(global, &args),
        Command::Prune(args) => pending::prune(global, &args),
    }
}

fn upload(global: &Global, args: UploadArgs) -> ExitCode {
    let options = options(&args);
    let client = match client::build_client(global) {
        Ok(client) => client,
        Err(code) => return code,
    };
    let runtime = match client::runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let display = display(&args);
    let result = runtime.block_on(async {
        let (caught, interrupt) = signal::interrupt()?;
        let on_event = |event: &openai_uploads::UploadEvent| display.show(event);
        let result = client
            .uploads()
            .upload_file_with(&args.path, &options, &on_event, interrupt)
            .await;
        Ok::<_, std::io::Error>((caught, result))
    });
    display.finish();
    // Parts still being aborted must not hold the exit.
    runtime.shutdown_background();
    match result {
        Err(err) => exit::fail(FAILURE, &format!("cannot handle signals: {err}")),
        Ok((_, Ok(done))) => print_completed(global, &done),
        Ok((caught, Err(err))) => report(global, &args, &err, caught.exit_code()),
    }
}

fn options(args: &UploadArgs) -> UploadOptions {
    let mut options = UploadOptions::new(CreateUploadRequestPurpose::from(args.purpose.as_str()))
        .part_size(args.part_size)
        .concurrency(args.concurrency)
        .part_retries(args.part_retries)
        .resume(!args.no_resume);
    options.mime_type = args.mime_type.clone();
    options.filename = args.filename.clone();
    options.journal_dir = args.journal.journal_dir.clone();
    options.expires_after = args
        .expires_after_seconds
        .map(|seconds| FileExpirationAfter {
            anchor: FileExpirationAfterAnchor,
            seconds,
        });
    options
}

fn display(args: &UploadArgs) -> Display {
    match (args.progress, args.quiet) {
        (ProgressMode::Json, _) => Display::Json,
        (ProgressMode::None, _) | (_, true) => Display::Quiet,
        (ProgressMode::Auto, false) if std::io::stderr().is_terminal() => {
            // Only for the bar; the uploader checks the file itself.
            Display::bar(std::fs::metadata(&args.path).map_or(0, |m| m.len()))
        }
        (ProgressMode::Auto, false) => Display::Notes,
    }
}

/// The server's reply to `complete`, as received; when it was lost or empty, a message that
/// the Upload was completed all the same.
fn print_completed(global: &Global, done: &CompletedUpload) -> ExitCode {
    if done.reply_lost() {
        let _ = exit::write(
            &mut std::io::stderr().lock(),
            &format!(
                "Upload {} was completed, but the reply to `complete` was lost and the API has \
                 no way to fetch an Upload, so its File is not shown here; it is among your \
                 Files.\n",
                escape(&done.upload_id, false)
            ),
        );
        return ExitCode::SUCCESS;
    }
    if done.body.is_empty() {
        let _ = exit::write(
            &mut std::io::stderr().lock(),
            &format!(
                "Upload {} was completed, but the server's reply to `complete` was empty, so its \
                 File is not shown here; it is among your Files.\n",
                escape(&done.upload_id, false)
            ),
        );
        return ExitCode::SUCCESS;
    }
    output::print_result(global, &Doc::from_bytes(&done.body))
}

/// Says what failed and what became of the Upload, and picks the exit status.
fn report(global: &Global, args: &UploadArgs, err: &UploadError, signal: Option<u8>) -> ExitCode {
    let hint = Hint { args };
    let (code, text) = match err {
        UploadError::Interrupted {
            upload_id,
            cancelled,
            cancel_error,
            journal,
        } => {
            let text = match upload_id {
                None => "Interrupted before the Upload's creation was confirmed; nothing was \
                         cancelled.\n"
                    .to_owned(),
                Some(id) if *cancelled => format!(
                    "Interrupted: cancelled Upload {}; no more Parts were sent.\n",
                    escape(id, false)
                ),
                Some(id) => format!(
                    "Interrupted.\n{}",
                    not_cancelled(
                        id,
                        cancel_error.as_deref(),
                        journal.is_some(),
                        &hint,
                        global
                    )
                ),
            };
            (signal.unwrap_or(signal::SIGINT_EXIT), text)
        }
        UploadError::Failed {
            upload_id,
            cancelled,
            cancel_error,
            journal,
            source,
        } => {
            let (_, mut text) = output::error_text(global, source);
            if *cancelled {
                text.push_str(&format!("Cancelled Upload {}.\n", escape(upload_id, false)));
            } else {
                text.push_str(&not_cancelled(
                    upload_id,
                    cancel_error.as_deref(),
                    journal.is_some(),
                    &hint,
                    global,
                ));
            }
            (FAILURE, text)
        }
        UploadError::Expiring {
            upload_id,
            expires_in,
            needed,
            journal,
        } => {
            let mut text = format!(
                "Error: stopped: Upload {} expires in {} s, too soon to send the next Part \
                 (about {} s at the measured rate, and the completion).\n",
                escape(upload_id, false),
                expires_in.as_secs(),
                needed.as_secs()
            );
            text.push_str(&match journal {
                Some(_) => format!(
                    "Its journal is kept: on a faster connection, run `{}` to resume it before it \
                     expires, or `{}` to cancel it.\n",
                    hint.resume(),
                    hint.prune()
                ),
                None => format!(
                    "It stays pending until it expires; run `openai uploads cancel {}` to cancel \
                     it.\n",
                    quote(upload_id)
                ),
            });
            (FAILURE, text)
        }
        UploadError::NotStarted(other) => return output::print_error(global, other),
        other => (
            FAILURE,
            format!("Error: {}\n", escape(&other.to_string(), false)),
        ),
    };
    let _ = exit::write(&mut std::io::stderr().lock(), &text);
    ExitCode::from(code)
}

/// How cancelling failed, and what to run instead.
fn not_cancelled(
    id: &str,
    cancel_error: Option<&Error>,
    journal: bool,
    hint: &Hint<'_>,
    global: &Global,
) -> String {
    let why = match cancel_error {
        Some(err) => format!(": {}", output::summary(err, global)),
        None => String::new(),
    };
    let next = if journal {
        format!(
            "its journal is kept: run `{}` to resume it, or `{}` to cancel it.",
            hint.resume(),
            hint.prune()
        )
    } else {
        format!("run `openai uploads cancel {}` to cancel it.", quote(id))
    };
    format!(
        "Error: cancelling Upload {} failed{why}\nIt may still be pending; {next}\n",
        escape(id, false)
    )
}

/// Commands to suggest, quoted for the shell.
struct Hint<'a> {
    args: &'a UploadArgs,
}

impl Hint<'_> {
    /// The same upload again: the arguments that find its journal.
    fn resume(&self) -> String {
        let args = self.args;
        let mut words = vec![
            "openai".to_owned(),
            "uploads".to_owned(),
            "upload".to_owned(),
            quote(&args.path.to_string_lossy()),
            "--purpose".to_owned(),
            quote(&args.purpose),
        ];
        for (flag, value) in [
            ("--filename", args.filename.as_deref()),
            ("--mime-type", args.mime_type.as_deref()),
        ] {
            if let Some(value) = value {
                words.extend([flag.to_owned(), quote(value)]);
            }
        }
        if let Some(seconds) = args.expires_after_seconds {
            words.extend(["--expires-after.seconds".to_owned(), seconds.to_string()]);
        }
        words.extend(self.journal_dir());
        words.join(" ")
    }

    fn prune(&self) -> String {
        let mut words = vec![
            "openai".to_owned(),
            "uploads".to_owned(),
            "prune".to_owned(),
        ];
        words.extend(self.journal_dir());
        words.join(" ")
    }

    fn journal_dir(&self) -> Option<String> {
        let dir = self.args.journal.journal_dir.as_ref()?;
        Some(format!("--journal-dir {}", quote(&dir.to_string_lossy())))
    }
}
