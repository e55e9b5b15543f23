//! Ctrl-C, SIGTERM and SIGHUP (a closed terminal, a dropped SSH session) while uploading: the
//! first one asks the uploader to stop and cancel; a second one exits at once, without waiting
//! for the cancel.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// Exit status after SIGHUP (128 + 1), as shells report it.
pub const SIGHUP_EXIT: u8 = 129;
/// Exit status after SIGINT (128 + 2).
pub const SIGINT_EXIT: u8 = 130;
/// Exit status after SIGTERM (128 + 15).
pub const SIGTERM_EXIT: u8 = 143;

/// Which signal arrived, as the exit status it calls for; 0 while none has.
#[derive(Debug, Clone, Default)]
pub struct Caught(Arc<AtomicU8>);

impl Caught {
    pub fn exit_code(&self) -> Option<u8> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            code => Some(code),
        }
    }
}

/// Installs the handlers now (so a signal from here on is never fatal) and returns a future
/// that completes on the first signal. A second signal exits at once, whether or not anything
/// waits on the future: a task watches the signals from the start. Must be called inside the
/// Tokio runtime.
pub fn interrupt() -> std::io::Result<(Caught, impl Future<Output = ()> + Send + 'static)> {
    let caught = Caught::default();
    let mut signals = Signals::install()?;
    let (first_tx, first) = tokio::sync::watch::channel(false);
    let record = caught.clone();
    tokio::spawn(async move {
        let code = signals.next().await;
        record.0.store(code, Ordering::SeqCst);
        let _ = first_tx.send(true);
        let again = signals.next().await;
        let _ = crate::exit::write(
            &mut std::io::stderr().lock(),
            "\nInterrupted again: exiting without waiting for the cancel; the Upload may still be pending.\n",
        );
        std::process::exit(i32::from(again));
    });
    let future = async move {
        let mut first = first;
        // The sender lives as long as the watching task, which never ends before exiting.
        let _ = first.wait_for(|&arrived| arrived).await;
    };
    Ok((caught, future))
}

#[cfg(unix)]
struct Signals {
    hup: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            hup: signal(SignalKind::hangup())?,
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    async fn next(&mut self) -> u8 {
        tokio::select! {
            _ = self.hup.recv() => SIGHUP_EXIT,
            _ = self.int.recv() => SIGINT_EXIT,
            _ = self.term.recv() => SIGTERM_EXIT,
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn next(&mut self) -> u8 {
        match tokio::signal::ctrl_c().await {
            Ok(()) => SIGINT_EXIT,
            // No handler: never fire, rather than cancel at once.
            Err(_) => std::future::pending().await,
        }
    }
}
