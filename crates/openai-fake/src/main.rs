//! `openai-fake`: serves the fake Uploads API on 127.0.0.1 until SIGTERM or Ctrl-C.

use std::io::Write;
use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use openai_fake::{Config, FakeState};

/// A stateful stand-in for the OpenAI Uploads API, on 127.0.0.1.
///
/// Prints `listening on http://127.0.0.1:PORT/v1` once it accepts requests,
/// and stops on SIGTERM or Ctrl-C. Starts with `upload_abc123` pending.
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
}

fn main() -> ExitCode {
    let args = Args::parse();
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
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("openai-fake: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let config = Config {
        port: args.port,
        api_key: args.api_key,
        upload_ttl: Duration::from_secs(args.upload_ttl),
        ..Config::default()
    };
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
