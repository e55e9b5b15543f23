//! `openai webhooks unwrap`: checks a webhook OpenAI sent (Standard
//! Webhooks: HMAC-SHA256 of `id.timestamp.body` under the endpoint's
//! secret) and prints its event when the signature holds.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Arg, ArgMatches};
use openai_runtime::webhooks::Webhook;

use crate::exit::{FAILURE, USAGE, fail};
use crate::options::Global;
use crate::output::{Doc, print_result};
use crate::stdin;

/// The `webhooks` group, with its one command.
pub fn group() -> clap::Command {
    clap::Command::new("webhooks")
        .about("Webhooks OpenAI sends: check and read them.")
        .subcommand_required(true)
        .subcommand(unwrap_command())
}

/// `webhooks unwrap`.
pub fn unwrap_command() -> clap::Command {
    let header = |name: &'static str, help: &'static str| {
        Arg::new(name)
            .long(name)
            .value_name("VALUE")
            .required(true)
            .allow_hyphen_values(true)
            .help(help)
    };
    clap::Command::new("unwrap")
        .about("Check a webhook's signature and print its event.")
        .long_about(
            "Check a webhook's signature and print its event.\n\n\
             The body is read from stdin, exactly as received; the three headers come from \
             flags; the secret from --webhook-secret or OPENAI_WEBHOOK_SECRET (`whsec_` and \
             base64, or its raw bytes). Exit 0 and the event on stdout when a v1 signature \
             matches and the timestamp is within the tolerance; otherwise exit 1 and the \
             reason on stderr.",
        )
        .arg(header("webhook-id", "The webhook-id header."))
        .arg(header(
            "webhook-timestamp",
            "The webhook-timestamp header (Unix seconds).",
        ))
        .arg(header(
            "webhook-signature",
            "The webhook-signature header: space-separated `v1,<base64>` signatures.",
        ))
        .arg(
            Arg::new("tolerance")
                .long("tolerance")
                .value_name("SECONDS")
                .value_parser(clap::value_parser!(u64))
                .default_value("300")
                .help("How far the timestamp may be from now, either way."),
        )
}

/// Runs `webhooks unwrap` with its arguments.
pub fn unwrap(global: &Global, matches: &ArgMatches) -> ExitCode {
    let Some(secret) = global.webhook_secret.as_deref().filter(|s| !s.is_empty()) else {
        return fail(
            USAGE,
            "no webhook secret: pass --webhook-secret or set OPENAI_WEBHOOK_SECRET",
        );
    };
    let tolerance = matches.get_one::<u64>("tolerance").copied().unwrap_or(300);
    let webhook = match Webhook::new(secret) {
        Ok(webhook) => webhook.tolerance(Duration::from_secs(tolerance)),
        Err(err) => return fail(USAGE, &err.to_string()),
    };
    let body = match stdin::webhook_body() {
        Ok(body) => body,
        Err(message) => return fail(USAGE, &message),
    };
    let headers: Vec<(&str, String)> = ["webhook-id", "webhook-timestamp", "webhook-signature"]
        .into_iter()
        .filter_map(|name| Some((name, matches.get_one::<String>(name)?.clone())))
        .collect();
    match webhook.verify(&body, headers) {
        Ok(()) => print_result(global, &Doc::from_bytes(&body)),
        Err(err) => fail(FAILURE, &format!("the webhook is not genuine: {err}")),
    }
}
