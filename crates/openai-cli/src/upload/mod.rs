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
    Upload(UploadArgs, Given),
    Pending(JournalArgs),
    Prune(JournalArgs, Given),
}

/// Which connection options were given as flags, so that a suggested command repeats them;
/// those from the environment stay implicit (the key is never repeated).
#[derive(Debug, Default, Clone, Copy)]
pub struct Given {
    base_url: bool,
    organization: bool,
    project: bool,
    journal_dir: bool,
}

impl Given {
    fn of(matches: &ArgMatches) -> Self {
        let flag = |id: &str| {
            // `value_source` panics on an id the matches do not know: asked only once
            // `try_get_raw` found the argument there.
            matches.try_get_raw(id).is_ok_and(|raw| raw.is_some())
                && matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
        };
        Self {
            base_url: flag("base_url"),
            organization: flag("organization"),
            project: flag("project"),
            journal_dir: flag("journal_dir"),
        }
    }
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
        "upload" => UploadArgs::from_arg_matches(matches)
            .map(|parsed| Command::Upload(parsed, Given::of(matches))),
        "pending" => JournalArgs::from_arg_matches(matches).map(Command::Pending),
        _ => JournalArgs::from_arg_matches(matches)
            .map(|parsed| Command::Prune(parsed, Given::of(matches))),
    }
}

pub fn run(global: &Global, command: Command) -> ExitCode {
    match command {
        Command::Upload(args, given) => upload(global, args, &given),
        Command::Pending(args) => pending::list(global, &args),
        Command::Prune(args, given) => pending::prune(global, &args, &given),
    }
}

fn upload(global: &Global, args: UploadArgs, given: &Given) -> ExitCode {
    // The runtime and the signal handlers first: from here on Ctrl-C, SIGTERM and SIGHUP stop
    // the upload (whatever it is doing: reading the journal, cancelling a stale Upload,
    // creating one), and a second one exits at once.
    let runtime = match client::runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let signals = runtime.block_on(async { signal::interrupt() });
    let (caught, interrupt) = match signals {
        Ok(signals) => signals,
        Err(err) => return exit::fail(FAILURE, &format!("cannot handle signals: {err}")),
    };
    let options = options(&args);
    let client = match client::build_client(global) {
        Ok(client) => client,
        Err(code) => return code,
    };
    let display = display(&args);
    let result = runtime.block_on(async {
        let on_event = |event: &openai_uploads::UploadEvent| display.show(event);
        client
            .uploads()
            .upload_file_with(&args.path, &options, &on_event, interrupt)
            .await
    });
    display.finish();
    // Parts still being aborted must not hold the exit.
    runtime.shutdown_background();
    match result {
        Ok(done) => print_completed(global, &done),
        Err(err) => report(global, &args, given, &err, caught.exit_code()),
    }
}

fn options(args: &UploadArgs) -> UploadOptions {
    let mut options = UploadOptions::new(CreateUploadRequestPurpose::from(args.purpose.as_str()))
        .part_size(args.part_size)
        .concurrency(args.concurrency)
        .part_retries(args.part_retries)
        .md5(!args.no_md5)
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
fn report(
    global: &Global,
    args: &UploadArgs,
    given: &Given,
    err: &UploadError,
    signal: Option<u8>,
) -> ExitCode {
    let hint = Hint {
        args,
        global,
        given,
    };
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
                    "It stays pending until it expires; run `{}` to cancel it.\n",
                    hint.cancel(upload_id)
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
        format!("run `{}` to cancel it.", hint.cancel(id))
    };
    format!(
        "Error: cancelling Upload {} failed{why}\nIt may still be pending; {next}\n",
        escape(id, false)
    )
}

/// Commands to suggest, quoted for the shell, with the connection options given as flags.
pub(super) struct Hint<'a> {
    pub(super) args: &'a UploadArgs,
    pub(super) global: &'a Global,
    pub(super) given: &'a Given,
}

impl Hint<'_> {
    /// The same upload again: the arguments that find its journal.
    fn resume(&self) -> String {
        let args = self.args;
        let mut words = self.command("upload");
        words.extend([
            quote(&args.path.to_string_lossy()),
            "--purpose".to_owned(),
            quote(&args.purpose),
        ]);
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
        words.extend(journal_dir(self.given, &self.args.journal));
        words.join(" ")
    }

    fn prune(&self) -> String {
        let mut words = self.command("prune");
        words.extend(journal_dir(self.given, &self.args.journal));
        words.join(" ")
    }

    fn cancel(&self, upload_id: &str) -> String {
        let mut words = self.command("cancel");
        words.push(quote(upload_id));
        words.join(" ")
    }

    /// `openai uploads VERB` and the connection flags given.
    fn command(&self, verb: &str) -> Vec<String> {
        let mut words = vec!["openai".to_owned(), "uploads".to_owned(), verb.to_owned()];
        words.extend(connection(self.global, self.given));
        words
    }
}

/// The connection flags given on the command line, quoted: never the key, and nothing that
/// came from the environment (the same environment gives it again).
pub(super) fn connection(global: &Global, given: &Given) -> Vec<String> {
    let mut words = Vec::new();
    if given.base_url {
        words.extend([
            "--base-url".to_owned(),
            quote(&without_credentials(global.base_url())),
        ]);
    }
    for (flag, value, on) in [
        ("--organization", &global.organization, given.organization),
        ("--project", &global.project, given.project),
    ] {
        if let (true, Some(value)) = (on, value) {
            words.extend([flag.to_owned(), quote(value)]);
        }
    }
    words
}

/// `--journal-dir DIR` when it was given as a flag.
pub(super) fn journal_dir(given: &Given, journal: &JournalArgs) -> Option<String> {
    let dir = journal.journal_dir.as_ref().filter(|_| given.journal_dir)?;
    Some(format!("--journal-dir {}", quote(&dir.to_string_lossy())))
}

/// `url` without a `user:password@` (a secret, never printed): a suggested command then needs
/// them added back, which beats showing them.
fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_credentials;

    #[test]
    fn suggested_base_urls_never_carry_credentials() {
        assert_eq!(
            without_credentials("https://user:sk-secret@proxy.example/v1"),
            "https://proxy.example/v1"
        );
        assert_eq!(
            without_credentials("http://127.0.0.1:9/v1?a=b@c"),
            "http://127.0.0.1:9/v1?a=b@c"
        );
        assert_eq!(without_credentials("no scheme"), "no scheme");
    }
}
