//! The global flags every command shares, and the output formats. A leaf: it imports
//! nothing else from the crate, so every other module can use it.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

/// The help heading of the global flags.
pub const GLOBAL: &str = "Global options";

/// Used when neither --base-url nor a non-empty OPENAI_BASE_URL is given.
pub use openai_uploads::DEFAULT_BASE_URL;

/// Flags accepted before or after the subcommand. `Debug` never shows the keys.
#[derive(Args)]
pub struct Global {
    /// API key, sent as `Authorization: Bearer <key>`. Never printed.
    #[arg(
        long,
        env = "OPENAI_API_KEY",
        hide_env_values = true,
        value_name = "KEY",
        global = true,
        help_heading = GLOBAL
    )]
    pub api_key: Option<String>,

    /// Admin API key, for the organization's admin endpoints only: never sent with
    /// uploads requests. Never printed.
    #[arg(
        long,
        env = "OPENAI_ADMIN_KEY",
        hide_env_values = true,
        value_name = "KEY",
        global = true,
        help_heading = GLOBAL
    )]
    pub admin_api_key: Option<String>,

    /// Webhook signing secret, for verifying webhooks; no uploads command sends it.
    /// Never printed.
    #[arg(
        long,
        env = "OPENAI_WEBHOOK_SECRET",
        hide_env_values = true,
        value_name = "SECRET",
        global = true,
        help_heading = GLOBAL
    )]
    pub webhook_secret: Option<String>,

    /// PEM client certificate chain for mutual TLS (leaf first, then intermediates).
    /// Needs --mtls-client-key-file and an https:// base URL.
    #[arg(
        long,
        env = "OPENAI_MTLS_CLIENT_CERT_FILE",
        hide_env_values = true,
        value_name = "PATH",
        global = true,
        help_heading = GLOBAL
    )]
    pub mtls_client_cert_file: Option<PathBuf>,

    /// PEM private key of the --mtls-client-cert-file certificate.
    #[arg(
        long,
        env = "OPENAI_MTLS_CLIENT_KEY_FILE",
        hide_env_values = true,
        value_name = "PATH",
        global = true,
        help_heading = GLOBAL
    )]
    pub mtls_client_key_file: Option<PathBuf>,

    /// Base URL of the API, with an http:// or https:// scheme.
    #[arg(
        long,
        env = "OPENAI_BASE_URL",
        hide_env_values = true,
        value_name = "URL",
        default_value = DEFAULT_BASE_URL,
        global = true,
        help_heading = GLOBAL
    )]
    pub base_url: String,

    /// Organization id, sent as the `OpenAI-Organization` header.
    #[arg(
        long,
        env = "OPENAI_ORG_ID",
        hide_env_values = true,
        value_name = "ID",
        global = true,
        help_heading = GLOBAL
    )]
    pub organization: Option<String>,

    /// Project id, sent as the `OpenAI-Project` header.
    #[arg(
        long,
        env = "OPENAI_PROJECT_ID",
        hide_env_values = true,
        value_name = "ID",
        global = true,
        help_heading = GLOBAL
    )]
    pub project: Option<String>,

    /// How to print the result (see "Formats" in `openai --help`); any case.
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        default_value_t = Format::Auto,
        value_name = "FORMAT",
        global = true,
        help_heading = GLOBAL
    )]
    pub format: Format,

    /// How to print an API error object (on stderr); any case.
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        default_value_t = Format::Auto,
        value_name = "FORMAT",
        global = true,
        help_heading = GLOBAL
    )]
    pub format_error: Format,

    /// GJSON path to print instead of the whole result, e.g. `status` or `file.id`; no match is an error.
    #[arg(long, value_name = "PATH", global = true, help_heading = GLOBAL)]
    pub transform: Option<String>,

    /// GJSON path to print instead of the whole error object, e.g. `error.message`.
    #[arg(long, value_name = "PATH", global = true, help_heading = GLOBAL)]
    pub transform_error: Option<String>,

    /// Print a string result without quotes (like `jq -r`).
    #[arg(short = 'r', long, global = true, help_heading = GLOBAL)]
    pub raw_output: bool,

    /// Retries for connection errors, timeouts, 408, 409, 429 and 5xx replies.
    #[arg(
        long,
        value_name = "N",
        default_value_t = openai_uploads::DEFAULT_MAX_RETRIES,
        global = true,
        help_heading = GLOBAL
    )]
    pub max_retries: u32,

    /// Timeout of each attempt, in seconds (fractions allowed).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value = "600",
        value_parser = parse_seconds,
        global = true,
        help_heading = GLOBAL
    )]
    pub timeout: Duration,

    /// Time allowed to connect, TLS handshake included, in seconds; separate from
    /// --timeout, which bounds each whole attempt.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value = "10",
        value_parser = parse_seconds,
        global = true,
        help_heading = GLOBAL
    )]
    pub connect_timeout: Duration,

    /// With --stream: the longest silence allowed between two events (keep-alives count),
    /// in seconds; separate from --timeout, because a long stream is not a hung one.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value = "600",
        value_parser = parse_seconds,
        global = true,
        help_heading = GLOBAL
    )]
    pub stream_idle_timeout: Duration,

    /// Print each request and response, headers and bodies, to stderr (the key is redacted).
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub debug: bool,
}

impl Global {
    /// The base URL to use: an empty OPENAI_BASE_URL counts as unset, as it does for the
    /// other variables.
    pub fn base_url(&self) -> &str {
        match self.base_url.as_str() {
            "" => DEFAULT_BASE_URL,
            url => url,
        }
    }
}

/// Output formats for results and error objects (described in `FORMATS`; no doc comments on
/// the variants, so that help pages keep clap's compact layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Auto,
    Json,
    Jsonl,
    Pretty,
    Yaml,
    Raw,
    Explore,
}

impl fmt::Debug for Global {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |secret: &Option<String>| secret.as_ref().map(|_| "<REDACTED>");
        f.debug_struct("Global")
            .field("api_key", &redacted(&self.api_key))
            .field("admin_api_key", &redacted(&self.admin_api_key))
            .field("webhook_secret", &redacted(&self.webhook_secret))
            .field("mtls_client_cert_file", &self.mtls_client_cert_file)
            .field("mtls_client_key_file", &self.mtls_client_key_file)
            .field("base_url", &"<not shown>")
            .field("organization", &self.organization)
            .field("project", &self.project)
            .field("format", &self.format)
            .field("format_error", &self.format_error)
            .field("transform", &self.transform)
            .field("transform_error", &self.transform_error)
            .field("raw_output", &self.raw_output)
            .field("max_retries", &self.max_retries)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("stream_idle_timeout", &self.stream_idle_timeout)
            .field("debug", &self.debug)
            .finish()
    }
}

pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err("the timeout must be a positive number of seconds".into());
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| "the timeout is too large".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secrets() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            global: Global,
        }
        let cli = <Cli as clap::Parser>::parse_from([
            "openai",
            "--api-key",
            "sk-one",
            "--admin-api-key",
            "sk-admin-two",
            "--webhook-secret",
            "whsec_three",
            "--base-url",
            "https://user:pw@example.com/v1",
        ]);
        let shown = format!("{:?}", cli.global);
        for secret in ["sk-one", "sk-admin-two", "whsec_three", "pw@"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn default_timeouts_are_the_runtimes() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            global: Global,
        }
        let cli = <Cli as clap::Parser>::parse_from(["openai"]);
        assert_eq!(cli.global.timeout, openai_uploads::DEFAULT_TIMEOUT);
        assert_eq!(
            cli.global.connect_timeout,
            openai_uploads::runtime::DEFAULT_CONNECT_TIMEOUT
        );
    }

    #[test]
    fn seconds_parse() {
        assert_eq!(parse_seconds("600"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        for bad in ["0", "-1", "abc", "", "inf", "NaN", "1e300"] {
            assert!(parse_seconds(bad).is_err(), "{bad} should be rejected");
        }
    }
}
