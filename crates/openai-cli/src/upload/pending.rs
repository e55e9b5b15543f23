//! `openai uploads pending` and `openai uploads prune`: the Uploads the uploader's journal keeps.

use std::process::ExitCode;

use openai_uploads::{PendingUpload, PruneOutcome, pending_uploads};
use serde_json::Value;

use super::args::JournalArgs;
use super::{Given, connection, journal_dir};
use crate::client;
use crate::exit::{self, FAILURE};
use crate::options::Global;
use crate::output::{self, Doc};

/// Lists the journaled Uploads as a JSON array (no request is sent).
pub fn list(global: &Global, args: &JournalArgs) -> ExitCode {
    match pending_uploads(args.journal_dir.as_deref()) {
        Ok(pending) => print(global, pending.iter().map(entry).collect()),
        Err(err) => exit::fail(FAILURE, &format!("cannot read the journals: {err}")),
    }
}

/// Cancels the journaled Uploads no run is working on; prints what was done with each.
pub fn prune(global: &Global, args: &JournalArgs, given: &Given) -> ExitCode {
    let client = match client::build_client(global) {
        Ok(client) => client,
        Err(code) => return code,
    };
    let runtime = match client::runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let pruned = runtime.block_on(client.uploads().prune_pending(args.journal_dir.as_deref()));
    let pruned = match pruned {
        Ok(pruned) => pruned,
        Err(err) => return exit::fail(FAILURE, &format!("cannot read the journals: {err}")),
    };
    let mut failed = false;
    let entries = pruned
        .iter()
        .map(|pruned| {
            let outcome = pruned.outcome.as_str();
            let error = match &pruned.outcome {
                PruneOutcome::Failed(err) => {
                    failed = true;
                    Some(output::summary(err, global))
                }
                _ => None,
            };
            let mut entry = entry(&pruned.pending);
            if let Value::Object(fields) = &mut entry {
                fields.insert("outcome".into(), outcome.into());
                if let Some(error) = error {
                    fields.insert("error".into(), error.into());
                }
            }
            entry
        })
        .collect();
    let code = print(global, entries);
    if failed {
        return exit::fail(
            FAILURE,
            "some Uploads could not be cancelled; their journals are kept",
        );
    }
    // Journals that are all someone else's: nothing was done, which is no success.
    let elsewhere = |outcome: &PruneOutcome| {
        matches!(outcome, PruneOutcome::OtherApi | PruneOutcome::OtherAccount)
    };
    if !pruned.is_empty() && pruned.iter().all(|pruned| elsewhere(&pruned.outcome)) {
        return exit::fail(FAILURE, &elsewhere_text(global, args, given, &pruned));
    }
    code
}

/// What to say when every journal is for another API or account: which APIs, and the prune
/// that would reach them.
fn elsewhere_text(
    global: &Global,
    args: &JournalArgs,
    given: &Given,
    pruned: &[openai_uploads::PrunedUpload],
) -> String {
    let mut apis: Vec<&str> = pruned
        .iter()
        .filter(|pruned| matches!(pruned.outcome, PruneOutcome::OtherApi))
        .map(|pruned| pruned.pending.base_url.as_str())
        .collect();
    apis.sort_unstable();
    apis.dedup();
    let mut text = format!(
        "nothing was pruned: every journaled Upload was created on another API or with \
         another API key, organization or project than {}'s",
        output::escape(global.base_url(), false)
    );
    for api in apis {
        let mut words = vec![
            "openai".to_owned(),
            "uploads".to_owned(),
            "prune".to_owned(),
        ];
        words.extend(["--base-url".to_owned(), super::shell::quote(api)]);
        let others = Given {
            base_url: false,
            ..*given
        };
        words.extend(connection(global, &others));
        words.extend(journal_dir(given, args));
        text.push_str(&format!(
            "\nfor those created on {}, run `{}`",
            output::escape(api, false),
            words.join(" ")
        ));
    }
    text
}

/// A journaled Upload as the library serializes it.
fn entry(pending: &PendingUpload) -> Value {
    serde_json::to_value(pending).unwrap_or(Value::Null)
}

fn print(global: &Global, entries: Vec<Value>) -> ExitCode {
    let bytes = serde_json::to_vec(&Value::Array(entries)).unwrap_or_else(|_| b"[]".to_vec());
    output::print_result(global, &Doc::from_bytes(&bytes))
}
