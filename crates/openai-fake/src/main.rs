//! `openai-fake`: serves the fake Uploads API on 127.0.0.1 until SIGTERM or Ctrl-C.

use std::io::Write;
use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use openai_fake::{Config, FakeState, FaultKind, FlakyParts, PartFault};

/// A stateful stand-in for the OpenAI Uploads API, on 127.0.0.1.
///
/// Serves create, parts, complete and cancel under /v1. Prints
/// `listening on http://127.0.0.1:PORT/v1` once it accepts requests, and
/// stops on SIGTERM or Ctrl-C. Starts with `upload_abc123` pending.
#[derive(Debug, Parser)]
#[command(name = "openai-fake", version)]
struct Args {
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Accept only this bearer token (default: any non-empty token).
    #[arg(long, env = "OPENAI_FAKE_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Seconds a new Upload stays pending before it expires.
    #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
    upload_ttl: u64,
    /// Fail the Nth part request (1-based, counting every request to
    /// /uploads/{id}/parts) after reading its body, with --fail-part-status
    /// and `x-should-retry: false`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    fail_part: Option<u64>,
    /// The status of the --fail-part failure (408 and 429 say
    /// `x-should-retry: true`).
    #[arg(long, default_value_t = 500, value_name = "CODE", value_parser = clap::value_parser!(u16).range(400..=599))]
    fail_part_status: u16,
    /// Wait this long after reading each part's body before answering.
    #[arg(long, default_value_t = 0, value_name = "MILLISECONDS")]
    part_delay_ms: u64,
    /// Drop each completed File's bytes instead of keeping them in memory.
    #[arg(long)]
    discard_files: bool,
    /// Accept any well-formed md5 at completion without hashing the parts
    /// (for benchmarks, where hashing here would take CPU from the client).
    /// With --discard-files too, parts are counted, not kept.
    #[arg(long)]
    skip_md5_check: bool,
    /// Start without the seeded `upload_abc123`.
    #[arg(long)]
    no_seed: bool,
    /// Serve at the lowest CPU priority (nice 19; Linux only), so that a
    /// client measured on the same machine keeps the CPU it needs.
    #[arg(long)]
    background: bool,
    /// Sabotage the Nth part request (1-based, as for --fail-part) with
    /// FAULT; repeat for more requests. FAULT is a status (e.g. 502: an
    /// error reply without x-should-retry), `reset` (close the connection
    /// without a reply), `hang` (never reply), `store-then-drop` (store
    /// the part, then close without a reply) or `endless-body[:STATUS]`
    /// (a reply whose body never ends).
    #[arg(long, value_name = "N=FAULT")]
    part_fault: Vec<PartFault>,
    /// The first PARTS distinct parts (told apart by upload, size and
    /// md5) each meet these faults on their first attempts, then succeed.
    /// `3:2*502` = three parts each fail twice with a 502; `1:reset,hang`.
    #[arg(long, value_name = "PARTS:FAULT[,FAULT...]")]
    flaky_parts: Option<FlakyParts>,
    /// Sabotage the first completion that would succeed with FAULT (as for
    /// --part-fault; with `store-then-drop` the upload is completed but
    /// the reply is lost).
    #[arg(long, value_name = "FAULT")]
    complete_fault: Option<FaultKind>,
}

fn main() -> ExitCode {
    let config = config(Args::parse());
    if let Err(message) = config.check() {
        Args::command()
            .error(clap::error::ErrorKind::ArgumentConflict, message)
            .exit();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("openai-fake: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("openai-fake: {message}");
            ExitCode::FAILURE
        }
    }
}

fn config(args: Args) -> Config {
    Config {
        port: args.port,
        api_key: args.api_key,
        upload_ttl: Duration::from_secs(args.upload_ttl),
        seed: !args.no_seed,
        fail_part: args
            .fail_part
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        fail_part_status: args.fail_part_status,
        part_delay: Duration::from_millis(args.part_delay_ms),
        keep_file_bytes: !args.discard_files,
        verify_md5: !args.skip_md5_check,
        part_faults: args.part_fault,
        flaky_parts: args.flaky_parts,
        complete_fault: args.complete_fault,
        background: args.background,
    }
}

async fn run(config: Config) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", config.port))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let shutdown = shutdown_signal()?;
    // Whoever started us reads this line to learn the port.
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "listening on http://{addr}/v1");
    let _ = stdout.flush();
    drop(stdout);
    openai_fake::serve(listener, FakeState::new(&config), shutdown)
        .await
        .map_err(|e| format!("server error: {e}"))
}

/// Registers for SIGTERM and SIGINT now, so a signal sent right after the
/// "listening" line is not lost; the future completes on either.
#[cfg(unix)]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    use tokio::signal::unix::{SignalKind, signal};
    let register = |kind| signal(kind).map_err(|e| format!("cannot handle signals: {e}"));
    let mut terminate = register(SignalKind::terminate())?;
    let mut interrupt = register(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
}
