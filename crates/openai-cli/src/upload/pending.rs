//! `openai uploads pending` and `openai uploads prune`: the Uploads the uploader's journal keeps.

use std::process::ExitCode;

use openai_uploads::{PendingUpload, PruneOutcome, pending_uploads};
use serde_json::Value;

use super::args::JournalArgs;
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
pub fn prune(global: &Global, args: &JournalArgs) -> ExitCode {
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
    code
}

/// A journaled Upload as the library serializes it.
fn entry(pending: &PendingUpload) -> Value {
    serde_json::to_value(pending).unwrap_or(Value::Null)
}

fn print(global: &Global, entries: Vec<Value>) -> ExitCode {
    let bytes = serde_json::to_vec(&Value::Array(entries)).unwrap_or_else(|_| b"[]".to_vec());
    output::print_result(global, &Doc::from_bytes(&bytes))
}
