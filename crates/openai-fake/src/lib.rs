//! A small stateful stand-in for the OpenAI Uploads API.
//!
//! It keeps Uploads in memory, serves the operations in `spec/` under `/v1`,
//! checks the bearer header and tags every reply with `x-request-id`. Tests
//! start it in-process with [`Fake::start`]; the `openai-fake` binary serves
//! it on the command line for the demo.
//!
//! ```no_run
//! let fake = openai_fake::Fake::start(openai_fake::Config::default())?;
//! println!("{}", fake.base_url()); // http://127.0.0.1:PORT/v1
//! # Ok::<(), std::io::Error>(())
//! ```

mod error;
mod model;
mod routes;
mod store;

use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use error::ApiError;
pub use model::{FileObject, Upload, UploadStatus};
pub use routes::router;
pub use store::{SEED_UPLOAD_ID, Store};

/// How long a stopping server waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How to run the fake.
#[derive(Clone)]
pub struct Config {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The only bearer token accepted; `None` accepts any non-empty token.
    pub api_key: Option<String>,
    /// How long a new Upload stays pending before it expires.
    pub upload_ttl: Duration,
    /// Start with the seeded uploads (`upload_abc123`, pending).
    pub seed: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            port: 0,
            api_key: None,
            upload_ttl: Duration::from_secs(3600),
            seed: true,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("port", &self.port)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("upload_ttl", &self.upload_ttl)
            .field("seed", &self.seed)
            .finish()
    }
}

/// The server's shared state: the store plus the settings handlers need.
#[derive(Clone)]
pub struct FakeState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Mutex<Store>,
    api_key: Option<String>,
    upload_ttl: Duration,
}

impl FakeState {
    pub fn new(config: &Config) -> Self {
        let store = if config.seed {
            Store::seeded(unix_now(), config.upload_ttl.as_secs())
        } else {
            Store::default()
        };
        Self {
            inner: Arc::new(Inner {
                store: Mutex::new(store),
                api_key: config.api_key.clone(),
                upload_ttl: config.upload_ttl,
            }),
        }
    }

    /// Runs `f` with the store locked and the current Unix time.
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store, u64) -> T) -> T {
        // A handler that panicked cannot leave the map half-written, so a
        // poisoned lock is still safe to use.
        let mut store = self
            .inner
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f(&mut store, unix_now())
    }

    /// The Upload with this id as a client would see it now.
    pub fn upload(&self, id: &str) -> Option<Upload> {
        self.with_store(|store, now| store.get(id, now))
    }

    /// Adds or replaces an Upload, e.g. to set up a state for a test.
    pub fn insert_upload(&self, upload: Upload) {
        self.with_store(|store, _| store.insert(upload));
    }

    pub fn upload_ttl(&self) -> Duration {
        self.inner.upload_ttl
    }

    fn api_key(&self) -> Option<&str> {
        self.inner.api_key.as_deref()
    }

    fn next_request_id(&self) -> String {
        format!("req_{:032x}", fastrand::u128(..))
    }
}

/// Serves the fake on `listener` until `shutdown` completes, then waits a
/// bounded time for requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: FakeState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, router(state))
        .with_graceful_shutdown(async move {
            let _ = stop_rx.wait_for(|stop| *stop).await;
        })
        .into_future();
    let mut server = std::pin::pin!(server);
    tokio::select! {
        result = &mut server => return result,
        () = shutdown => {}
    }
    let _ = stop_tx.send(true);
    tokio::time::timeout(SHUTDOWN_GRACE, server)
        .await
        .unwrap_or(Ok(()))
}

/// A fake running on its own thread, stopped on [`Fake::stop`] or drop.
pub struct Fake {
    addr: SocketAddr,
    state: FakeState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Fake {
    /// Binds 127.0.0.1 on `config.port` and starts serving. Works inside or
    /// outside a Tokio runtime: the server has a runtime of its own.
    pub fn start(config: Config) -> io::Result<Self> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = FakeState::new(&config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<()>>();
        let server_state = state.clone();
        let thread = std::thread::Builder::new()
            .name(format!("openai-fake-{}", addr.port()))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready_tx.send(Err(io::Error::new(e.kind(), e.to_string())));
                        return Err(e);
                    }
                };
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(e) => {
                            let _ = ready_tx.send(Err(io::Error::new(e.kind(), e.to_string())));
                            return Err(e);
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    serve(listener, server_state, async move {
                        let _ = stopped.await;
                    })
                    .await
                })
            })?;
        let ready = ready_rx.recv().unwrap_or_else(|_| {
            Err(io::Error::other(
                "the fake's server thread ended before it started",
            ))
        });
        let mut fake = Self {
            addr,
            state,
            stop: Some(stop),
            thread: Some(thread),
        };
        match ready {
            Ok(()) => Ok(fake),
            Err(e) => {
                let _ = fake.shutdown();
                Err(e)
            }
        }
    }

    /// The bound address (always 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL a client should use, e.g. `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The server's state, to inspect or arrange Uploads from a test.
    pub fn state(&self) -> &FakeState {
        &self.state
    }

    /// The Upload with this id as a client would see it now.
    pub fn upload(&self, id: &str) -> Option<Upload> {
        self.state.upload(id)
    }

    /// Stops accepting, waits (bounded) for requests in flight and joins the
    /// server thread.
    pub fn stop(mut self) -> io::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the fake's server thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

impl fmt::Debug for Fake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fake").field("addr", &self.addr).finish()
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
