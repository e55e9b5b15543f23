//! A small stateful stand-in for the OpenAI Uploads API.
//!
//! It keeps Uploads and their Parts in memory and serves the whole flow under
//! `/v1`: create, add parts (multipart), complete (byte count and md5
//! checked, parts assembled into a File) and cancel, with expiry after a
//! TTL. It checks the bearer header, tags every reply with `x-request-id`
//! and logs every request ([`Fake::requests`]: route, status, and for Parts
//! their size, md5 and id). Tests start it in-process with [`Fake::start`];
//! the `openai-fake` binary serves it on the command line.
//!
//! For resilience tests it can sabotage requests ([`FaultKind`]: an error
//! status, a dropped connection, a request that never answers, work done
//! but the reply lost, an endless body), aimed by request number
//! ([`Config::part_faults`], [`Config::fail_part`]), by Part
//! ([`Config::flaky_parts`]: "3 Parts each fail twice, then succeed") or at
//! the completion ([`Config::complete_fault`]); and it expires Uploads on
//! demand ([`Fake::expire`], [`Fake::set_expires_at`],
//! [`Fake::advance_time`]) so no test waits for a clock.
//!
//! ```no_run
//! let fake = openai_fake::Fake::start(openai_fake::Config::default())?;
//! println!("{}", fake.base_url()); // http://127.0.0.1:PORT/v1
//! # Ok::<(), std::io::Error>(())
//! ```

mod config;
mod digest;
mod error;
mod faults;
mod log;
mod model;
mod params;
mod parts;
mod replies;
mod routes;
mod store;

use std::collections::BTreeMap;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use bytes::{Bytes, BytesMut};

pub use config::Config;
pub use error::ApiError;
pub use faults::{FaultKind, FlakyParts, PartFault};
pub use log::{PartInfo, RequestRecord, Route};
pub use model::{FileObject, Upload, UploadPart, UploadStatus};
pub use params::{EXPIRES_AFTER_SECONDS, MAX_UPLOAD_BYTES, NewUpload};
pub use parts::{MAX_PART_BYTES, PART_BODY_LIMIT};
pub use routes::router;
pub use store::{PartBody, SEED_UPLOAD_ID, Store};

/// How long a stopping server waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The server's shared state: the store plus the settings handlers need.
#[derive(Clone)]
pub struct FakeState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Mutex<Store>,
    log: log::RequestLog,
    api_key: Option<String>,
    upload_ttl: Duration,
    /// `upload_ttl` in whole seconds, rounded up.
    ttl_secs: u64,
    fail_part: Option<usize>,
    fail_part_status: StatusCode,
    part_delay: Duration,
    keep_file_bytes: bool,
    verify_md5: bool,
    /// Requests to the parts route so far.
    part_requests: AtomicUsize,
    /// Seconds added to the wall clock by [`FakeState::advance_time`].
    clock_offset: AtomicU64,
    faults: faults::Faults,
    /// Becomes `true` when the server starts to stop: hung requests and
    /// endless bodies end then, so stopping never waits for them.
    closing: tokio::sync::watch::Sender<bool>,
}

impl FakeState {
    /// The state for `config`. A `fail_part_status` outside 400..=599
    /// becomes 500 ([`Fake::start`] refuses it instead).
    pub fn new(config: &Config) -> Self {
        let store = if config.seed {
            Store::seeded(unix_now(), config.ttl_secs())
        } else {
            Store::default()
        };
        let fail_part_status = StatusCode::from_u16(config.fail_part_status)
            .ok()
            .filter(|s| s.is_client_error() || s.is_server_error())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self {
            inner: Arc::new(Inner {
                store: Mutex::new(store),
                log: log::RequestLog::default(),
                api_key: config.api_key.clone(),
                upload_ttl: config.upload_ttl,
                ttl_secs: config.ttl_secs(),
                fail_part: config.fail_part,
                fail_part_status,
                part_delay: config.part_delay,
                keep_file_bytes: config.keep_file_bytes,
                verify_md5: config.verify_md5,
                part_requests: AtomicUsize::new(0),
                clock_offset: AtomicU64::new(0),
                faults: faults::Faults::new(
                    &config.part_faults,
                    config.flaky_parts.clone(),
                    config.complete_fault,
                ),
                closing: tokio::sync::watch::Sender::new(false),
            }),
        }
    }

    /// Runs `f` with the store locked and the fake's current Unix time.
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store, u64) -> T) -> T {
        // A handler that panicked cannot leave the map half-written, so a
        // poisoned lock is still safe to use.
        let mut store = self
            .inner
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f(&mut store, self.now())
    }

    /// The fake's clock: Unix seconds, plus any [`FakeState::advance_time`].
    pub fn now(&self) -> u64 {
        unix_now().saturating_add(self.inner.clock_offset.load(Ordering::Relaxed))
    }

    /// Moves the fake's clock forward (whole seconds), e.g. past an
    /// Upload's `expires_at` without sleeping.
    pub fn advance_time(&self, by: Duration) {
        self.inner
            .clock_offset
            .fetch_add(by.as_secs(), Ordering::Relaxed);
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.inner.log.records()
    }

    /// How many requests each route received (routes with none are absent).
    pub fn request_counts(&self) -> BTreeMap<Route, usize> {
        self.inner.log.counts()
    }

    /// How many requests `route` received.
    pub fn count(&self, route: Route) -> usize {
        self.request_counts().get(&route).copied().unwrap_or(0)
    }

    /// The bytes of the File a completed Upload made, assembled in the
    /// order the completion listed its Parts. `None` before completion, for
    /// unknown ids, and when [`Config::keep_file_bytes`] is off.
    pub fn file_bytes(&self, upload_id: &str) -> Option<Bytes> {
        let parts = self.with_store(|store, _| store.file_data(upload_id))?;
        if let [only] = parts.as_slice() {
            return Some(only.clone());
        }
        let mut whole = BytesMut::with_capacity(parts.iter().map(Bytes::len).sum());
        for part in &parts {
            whole.extend_from_slice(part);
        }
        Some(whole.freeze())
    }

    /// How many Parts an Upload was sent and stored, and their total bytes
    /// (listed at completion or not).
    pub fn parts_received(&self, upload_id: &str) -> Option<(usize, u64)> {
        self.with_store(|store, _| store.parts_received(upload_id))
    }

    /// The Upload with this id as a client would see it now.
    pub fn upload(&self, id: &str) -> Option<Upload> {
        self.with_store(|store, now| store.get(id, now))
    }

    /// Every Upload, as a client would see it now, in id order.
    pub fn uploads(&self) -> Vec<Upload> {
        self.with_store(|store, now| store.all(now))
    }

    /// Adds or replaces an Upload, e.g. to set up a state for a test.
    pub fn insert_upload(&self, upload: Upload) {
        self.with_store(|store, _| store.insert(upload));
    }

    /// Sets the `expires_at` an Upload reports. A pending Upload expires
    /// once the fake's clock ([`FakeState::now`]) reaches it, so a time in
    /// the past expires it now, and a later one keeps it pending however
    /// long a test runs. Returns the Upload as it is now; `None` for an
    /// unknown id.
    pub fn set_expires_at(&self, id: &str, expires_at: u64) -> Option<Upload> {
        self.with_store(|store, now| store.set_expires_at(id, expires_at, now))
    }

    /// Expires a pending Upload now, without waiting (its `expires_at`
    /// becomes the fake's current time). Other states are left alone.
    /// Returns the Upload as it is now; `None` for an unknown id.
    pub fn expire(&self, id: &str) -> Option<Upload> {
        self.with_store(|store, now| store.expire(id, now))
    }

    pub fn upload_ttl(&self) -> Duration {
        self.inner.upload_ttl
    }

    pub(crate) fn ttl_secs(&self) -> u64 {
        self.inner.ttl_secs
    }

    fn api_key(&self) -> Option<&str> {
        self.inner.api_key.as_deref()
    }

    pub(crate) fn log(&self) -> &log::RequestLog {
        &self.inner.log
    }

    /// Counts a request to the parts route; returns its number (1-based).
    pub(crate) fn count_part_request(&self) -> usize {
        self.inner.part_requests.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The status to fail part request `n` with, if it is the chosen one.
    pub(crate) fn injected_failure(&self, n: usize) -> Option<StatusCode> {
        (self.inner.fail_part == Some(n)).then_some(self.inner.fail_part_status)
    }

    pub(crate) fn part_delay(&self) -> Duration {
        self.inner.part_delay
    }

    pub(crate) fn keep_file_bytes(&self) -> bool {
        self.inner.keep_file_bytes
    }

    pub(crate) fn verifies_md5(&self) -> bool {
        self.inner.verify_md5
    }

    /// Whether Parts are kept as bytes (else only counted).
    pub(crate) fn keeps_part_data(&self) -> bool {
        self.inner.keep_file_bytes || self.inner.verify_md5
    }

    /// Whether each Part's md5 is taken as it is read: for the log and for
    /// [`Config::flaky_parts`], unless the fake keeps no Part data (a
    /// benchmark, where the hashing would take CPU from the client).
    pub(crate) fn hashes_parts(&self) -> bool {
        self.keeps_part_data() || self.inner.faults.needs_part_identity()
    }

    pub(crate) fn faults(&self) -> &faults::Faults {
        &self.inner.faults
    }

    /// Tells hung requests and endless bodies that the server is stopping.
    fn begin_shutdown(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Completes once the server starts to stop.
    pub(crate) async fn closing(&self) {
        let mut closing = self.inner.closing.subscribe();
        // The sender lives as long as `self`, so this cannot fail.
        let _ = closing.wait_for(|closing| *closing).await;
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
    let state_for_stop = state.clone();
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
    state_for_stop.begin_shutdown();
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
    /// outside a Tokio runtime: the server has a runtime of its own. Refuses
    /// (`InvalidInput`) a config that [`Config::check`] refuses.
    pub fn start(config: Config) -> io::Result<Self> {
        config
            .check()
            .map_err(|message| io::Error::new(io::ErrorKind::InvalidInput, message))?;
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = FakeState::new(&config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<()>>();
        let server_state = state.clone();
        let background = config.background;
        let thread = std::thread::Builder::new()
            .name(format!("openai-fake-{}", addr.port()))
            .spawn(move || {
                if background {
                    // The runtime's threads, made from this one, inherit it.
                    lowest_priority();
                }
                // Two workers: a benchmark sends several Parts at once.
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("openai-fake-worker")
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

    /// See [`FakeState::uploads`].
    pub fn uploads(&self) -> Vec<Upload> {
        self.state.uploads()
    }

    /// See [`FakeState::expire`].
    pub fn expire(&self, id: &str) -> Option<Upload> {
        self.state.expire(id)
    }

    /// See [`FakeState::set_expires_at`].
    pub fn set_expires_at(&self, id: &str, expires_at: u64) -> Option<Upload> {
        self.state.set_expires_at(id, expires_at)
    }

    /// See [`FakeState::now`].
    pub fn now(&self) -> u64 {
        self.state.now()
    }

    /// See [`FakeState::requests`].
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.requests()
    }

    /// See [`FakeState::count`].
    pub fn count(&self, route: Route) -> usize {
        self.state.count(route)
    }

    /// See [`FakeState::file_bytes`].
    pub fn file_bytes(&self, upload_id: &str) -> Option<Bytes> {
        self.state.file_bytes(upload_id)
    }

    /// See [`FakeState::parts_received`].
    pub fn parts_received(&self, upload_id: &str) -> Option<(usize, u64)> {
        self.state.parts_received(upload_id)
    }

    /// See [`FakeState::advance_time`].
    pub fn advance_time(&self, by: Duration) {
        self.state.advance_time(by);
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

/// Nice 19 for the calling thread, and the threads it makes from now on.
/// Best effort: a refusal leaves the priority as it was.
#[cfg(target_os = "linux")]
fn lowest_priority() {
    // On Linux, `who` 0 is the calling thread, not the whole process.
    // SAFETY: a plain system call on the calling thread; no memory passed.
    unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 19) };
}

#[cfg(not(target_os = "linux"))]
fn lowest_priority() {}
