//! The accept loop and the life of every connection: how many may be open, how long a client
//! may take to send a request head or leave a connection idle, and how the server drains at
//! shutdown. axum's own `serve` has none of these limits, so a few hundred slow or idle clients
//! could exhaust a service; this loop serves the same router on hyper directly.
//!
//! Every connection is in one of three states, tracked from its socket reads and its requests:
//!
//! - **busy**: a request is being handled; only the request timeout applies;
//! - **reading a head**: bytes arrived but no request was dispatched yet; closed when the head
//!   takes longer than the header-read timeout (slowloris);
//! - **idle**: nothing in flight, nothing received since the last answer; closed after the idle
//!   timeout, and first in line when the connection limit is reached.
//!
//! At shutdown the loop stops accepting (after taking in connections the kernel already
//! accepted), answers every request whose bytes arrived (with `connection: close`), closes idle
//! connections, and gives up on whatever is left when the grace period ends.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Version, header};
use futures_util::FutureExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;

/// Connection limits and timeouts, from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `HEADER_READ_TIMEOUT_MS`: time from the first byte of a request head to its end.
    pub header_read_timeout: Duration,
    /// `IDLE_TIMEOUT_MS`: how long a connection may stay open with no request.
    pub idle_timeout: Duration,
    /// `MAX_CONNECTIONS`: connections open at once; past it, the longest-idle ones are closed
    /// to make room. Never more than the open-file limit allows.
    pub max_connections: usize,
    /// `SHUTDOWN_GRACE_MS`: time allowed, after SIGTERM, to finish requests in flight.
    pub shutdown_grace: Duration,
}

/// Default header-read timeout: generous for a real client, short for a slowloris.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default idle timeout: above the 60 s idle timeout of common load balancers and proxies, so
/// they, not the service, close pooled connections (a close racing a request loses it).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(75);
/// Default connection limit, lowered to fit the open-file limit.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// Default shutdown grace period: within Kubernetes' 30 s termination grace period.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

impl Limits {
    /// The limits from `HEADER_READ_TIMEOUT_MS`, `IDLE_TIMEOUT_MS`, `MAX_CONNECTIONS` and
    /// `SHUTDOWN_GRACE_MS`, each defaulting when unset; an invalid value is an error naming it.
    pub fn from_env() -> Result<Self, String> {
        let ms = |name: &str, default: Duration| -> Result<Duration, String> {
            match std::env::var(name) {
                Ok(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| *ms > 0)
                    .map(Duration::from_millis)
                    .ok_or_else(|| {
                        format!("{name} must be a positive number of milliseconds, got `{v}`")
                    }),
                Err(_) => Ok(default),
            }
        };
        let max_connections =
            match std::env::var("MAX_CONNECTIONS") {
                Ok(v) => v.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!("MAX_CONNECTIONS must be a positive number, got `{v}`")
                })?,
                Err(_) => DEFAULT_MAX_CONNECTIONS,
            };
        Ok(Limits {
            header_read_timeout: ms("HEADER_READ_TIMEOUT_MS", DEFAULT_HEADER_READ_TIMEOUT)?,
            idle_timeout: ms("IDLE_TIMEOUT_MS", DEFAULT_IDLE_TIMEOUT)?,
            max_connections: fit_open_files(max_connections),
            shutdown_grace: ms("SHUTDOWN_GRACE_MS", DEFAULT_SHUTDOWN_GRACE)?,
        })
    }
}

/// Raises the soft open-file limit to the hard one (as Go's runtime does) and keeps `wanted`
/// below it, leaving a tenth (at least 64) for dependency calls, logs and files: past the
/// limit `accept` fails and every client waits, the normal ones included.
#[cfg(unix)]
fn fit_open_files(wanted: usize) -> usize {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return wanted;
    };
    let soft = if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        hard
    } else {
        soft
    };
    let files = usize::try_from(soft).unwrap_or(usize::MAX);
    let room = files.saturating_sub((files / 10).max(64)).max(1);
    if wanted > room && std::env::var_os("MAX_CONNECTIONS").is_some() {
        tracing::warn!(
            "MAX_CONNECTIONS={wanted} exceeds what {files} open files allow: using {room}"
        );
    }
    wanted.min(room)
}

#[cfg(not(unix))]
fn fit_open_files(wanted: usize) -> usize {
    wanted
}

/// What is known about one connection, updated by its reads and its requests.
#[derive(Debug)]
struct Activity {
    /// Requests being handled.
    in_flight: u32,
    /// Requests dispatched so far.
    served: u64,
    /// When the first byte of a request head arrived, while no request is dispatched.
    head_since: Option<Instant>,
    /// When the connection last became idle (accepted, or its last request answered).
    idle_since: Instant,
    /// Asked to close to make room for another connection.
    evict: bool,
}

/// One open connection, shared by its task, its socket wrapper and the accept loop.
struct Conn {
    activity: Mutex<Activity>,
    /// Woken whenever the activity changes, so the task re-evaluates its deadline.
    changed: Notify,
}

impl Conn {
    fn activity(&self) -> std::sync::MutexGuard<'_, Activity> {
        self.activity.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bytes_read(&self) {
        let mut a = self.activity();
        if a.in_flight == 0 && a.head_since.is_none() {
            a.head_since = Some(Instant::now());
            drop(a);
            self.changed.notify_one();
        }
    }

    fn request_started(&self) {
        let mut a = self.activity();
        a.in_flight += 1;
        a.served += 1;
        a.head_since = None;
        drop(a);
        self.changed.notify_one();
    }

    fn request_finished(&self) {
        let mut a = self.activity();
        a.in_flight = a.in_flight.saturating_sub(1);
        // Bytes read while busy were the request's body.
        a.head_since = None;
        a.idle_since = Instant::now();
        drop(a);
        self.changed.notify_one();
    }
}

/// Marks a request finished when its answer is ready or it is cancelled.
struct InFlight(Arc<Conn>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// The socket, reporting each read to its connection.
struct Tracked {
    stream: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.conn.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The socket's descriptor, to look for unread bytes while hyper owns the socket.
#[cfg(unix)]
type Fd = std::os::fd::RawFd;
#[cfg(not(unix))]
type Fd = ();

#[cfg(unix)]
fn fd_of(stream: &TcpStream) -> Fd {
    std::os::fd::AsRawFd::as_raw_fd(stream)
}

#[cfg(not(unix))]
fn fd_of(_stream: &TcpStream) -> Fd {}

/// Whether the kernel holds bytes not yet read from the socket: a request that arrived on a
/// connection about to be closed as idle, which closing would lose. `fd` must belong to a
/// socket that is still open (the caller's connection owns it).
#[cfg(unix)]
fn has_unread_bytes(fd: Fd) -> bool {
    use nix::sys::socket::{MsgFlags, recv};
    let mut byte = [0u8; 1];
    matches!(
        recv(fd, &mut byte, MsgFlags::MSG_PEEK | MsgFlags::MSG_DONTWAIT),
        Ok(n) if n > 0
    )
}

#[cfg(not(unix))]
fn has_unread_bytes(_fd: Fd) -> bool {
    false
}

/// What to do with a connection now.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Leave it; look again at the deadline, if any.
    Keep(Option<Instant>),
    /// Let hyper finish what it is writing, then close.
    Finish,
    /// Close now: nothing is owed to the client.
    Close,
}

/// The rules of the module's header, for one connection at `now`.
fn verdict(
    a: &Activity,
    limits: &Limits,
    draining: bool,
    unread: impl FnOnce() -> bool,
    now: Instant,
) -> Verdict {
    if a.in_flight > 0 {
        return if draining {
            Verdict::Finish
        } else {
            Verdict::Keep(None)
        };
    }
    if let Some(since) = a.head_since {
        let deadline = since + limits.header_read_timeout;
        return if now >= deadline || a.evict {
            Verdict::Close
        } else {
            Verdict::Keep(Some(deadline))
        };
    }
    let deadline = a.idle_since + limits.idle_timeout;
    let closing = draining || a.evict || now >= deadline;
    if closing && unread() {
        // A request is arriving: the next read reports it.
        return Verdict::Keep(Some(now + Duration::from_millis(50)));
    }
    if closing {
        // A connection that answered a request may still be writing the answer: hyper closes
        // it once done. One that never had a request owes nothing.
        if a.served > 0 {
            Verdict::Finish
        } else {
            Verdict::Close
        }
    } else {
        Verdict::Keep(Some(deadline))
    }
}

/// State shared by the accept loop and every connection task.
struct Shared {
    limits: Limits,
    router: Router,
    builder: auto::Builder<TokioExecutor>,
    open: Mutex<BTreeMap<u64, Arc<Conn>>>,
    /// Woken when a connection closes.
    closed: Notify,
    next_id: AtomicU64,
    draining: AtomicBool,
    drain: watch::Receiver<bool>,
}

impl Shared {
    fn open(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Conn>>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks the connection idle the longest to close; false when none is idle.
    fn evict_one(&self) -> bool {
        let open = self.open();
        let victim = open
            .values()
            .filter_map(|c| {
                let a = c.activity();
                (a.in_flight == 0 && !a.evict).then(|| (a.head_since.unwrap_or(a.idle_since), c))
            })
            .min_by_key(|(since, _)| *since)
            .map(|(_, c)| c.clone());
        drop(open);
        match victim {
            Some(c) => {
                c.activity().evict = true;
                c.changed.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then drains as the module's
/// header says. Returns how many connections were cut off when the grace period ended.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> usize {
    let (drain_tx, drain_rx) = watch::channel(false);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().keep_alive(true);
    let shared = Arc::new(Shared {
        limits,
        router,
        builder,
        open: Mutex::new(BTreeMap::new()),
        closed: Notify::new(),
        next_id: AtomicU64::new(0),
        draining: AtomicBool::new(false),
        drain: drain_rx,
    });
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut last_full_warning: Option<Instant> = None;
    tokio::pin!(shutdown);

    loop {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if last_full_warning.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "connection limit reached: closing the longest-idle connections"
                    );
                    last_full_warning = Some(Instant::now());
                }
                shared.evict_one();
                tokio::select! {
                    () = &mut shutdown => break,
                    permit = slots.clone().acquire_owned() => permit.expect("never closed"),
                    () = tokio::time::sleep(Duration::from_millis(20)) => continue,
                }
            }
        };
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => spawn_connection(&shared, stream, Some(permit)),
                Err(e) => {
                    // Out of file descriptors, most likely: make room rather than spin.
                    tracing::warn!("accepting a connection failed: {e}");
                    shared.evict_one();
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
        }
    }

    // Draining: connections the kernel has already accepted may carry requests; take them in,
    // then close the listener so new ones are refused.
    shared.draining.store(true, Ordering::SeqCst);
    let _ = drain_tx.send(true);
    let mut taken = 0;
    while let Some(Ok((stream, _))) = listener.accept().now_or_never() {
        spawn_connection(&shared, stream, slots.clone().try_acquire_owned().ok());
        taken += 1;
    }
    drop(listener);
    let open = shared.open().len();
    tracing::info!(
        open,
        taken_from_backlog = taken,
        grace_ms = limits.shutdown_grace.as_millis() as u64,
        "no longer accepting: finishing requests in flight"
    );
    let deadline = Instant::now() + limits.shutdown_grace;
    loop {
        let closed = shared.closed.notified();
        let left = shared.open().len();
        if left == 0 {
            return 0;
        }
        tokio::select! {
            () = closed => {}
            () = tokio::time::sleep_until(deadline) => return left,
        }
    }
}

fn spawn_connection(shared: &Arc<Shared>, stream: TcpStream, permit: Option<OwnedSemaphorePermit>) {
    let _ = stream.set_nodelay(true);
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let conn = Arc::new(Conn {
        activity: Mutex::new(Activity {
            in_flight: 0,
            served: 0,
            head_since: None,
            idle_since: Instant::now(),
            evict: false,
        }),
        changed: Notify::new(),
    });
    shared.open().insert(id, conn.clone());
    let shared = shared.clone();
    tokio::spawn(async move {
        connection(&shared, stream, conn).await;
        shared.open().remove(&id);
        shared.closed.notify_waiters();
        drop(permit);
    });
}

/// Serves one connection until it closes, or until its verdict closes it.
async fn connection(shared: &Arc<Shared>, stream: TcpStream, conn: Arc<Conn>) {
    // The socket stays open as long as `serving` (which owns it) does, that is until this
    // function returns: `fd` is valid wherever it is used below.
    let fd = fd_of(&stream);
    let io = TokioIo::new(Tracked {
        stream,
        conn: conn.clone(),
    });
    let service = {
        let (shared, conn) = (shared.clone(), conn.clone());
        hyper::service::service_fn(move |request: Request<Incoming>| {
            conn.request_started();
            let guard = InFlight(conn.clone());
            let http1 = request.version() <= Version::HTTP_11;
            let mut router = shared.router.clone();
            let shared = shared.clone();
            async move {
                let mut response =
                    tower_service::Service::call(&mut router, request.map(Body::new))
                        .await
                        .unwrap_or_else(|never: Infallible| match never {});
                if http1 && shared.draining.load(Ordering::SeqCst) {
                    response
                        .headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
                drop(guard);
                Ok::<_, Infallible>(response)
            }
        })
    };
    let serving = shared.builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(serving);
    let mut drain = shared.drain.clone();
    let mut finishing: Option<Instant> = None;
    loop {
        let draining = *drain.borrow();
        let verdict = {
            let a = conn.activity();
            let unread = || has_unread_bytes(fd);
            verdict(&a, &shared.limits, draining, unread, Instant::now())
        };
        let wake = match verdict {
            Verdict::Close => return,
            Verdict::Finish => {
                let since = *finishing.get_or_insert_with(|| {
                    serving.as_mut().graceful_shutdown();
                    Instant::now()
                });
                // A client that does not read its answer cannot hold the connection forever.
                Some(since + shared.limits.header_read_timeout)
            }
            Verdict::Keep(deadline) => deadline,
        };
        if finishing
            .is_some_and(|since| Instant::now() >= since + shared.limits.header_read_timeout)
        {
            return;
        }
        let notified = conn.changed.notified();
        tokio::select! {
            _ = serving.as_mut() => return,
            () = notified => {}
            _ = drain.changed(), if !draining => {}
            () = sleep_until_opt(wake) => {}
        }
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(75),
            max_connections: 100,
            shutdown_grace: Duration::from_secs(10),
        }
    }

    fn idle(at: Instant) -> Activity {
        Activity {
            in_flight: 0,
            served: 0,
            head_since: None,
            idle_since: at,
            evict: false,
        }
    }

    #[test]
    fn a_slow_head_is_closed_at_the_header_read_timeout() {
        let t = Instant::now();
        let a = Activity {
            head_since: Some(t),
            ..idle(t)
        };
        let l = limits();
        assert_eq!(
            verdict(&a, &l, false, || false, t + Duration::from_secs(9)),
            Verdict::Keep(Some(t + l.header_read_timeout))
        );
        assert_eq!(
            verdict(&a, &l, false, || false, t + Duration::from_secs(10)),
            Verdict::Close
        );
    }

    #[test]
    fn idle_connections_close_at_the_idle_timeout_or_when_draining() {
        let t = Instant::now();
        let l = limits();
        let fresh = idle(t);
        assert_eq!(
            verdict(&fresh, &l, false, || false, t),
            Verdict::Keep(Some(t + l.idle_timeout))
        );
        assert_eq!(verdict(&fresh, &l, true, || false, t), Verdict::Close);
        let used = Activity {
            served: 1,
            ..idle(t)
        };
        assert_eq!(
            verdict(&used, &l, false, || false, t + l.idle_timeout),
            Verdict::Finish
        );
        assert!(
            matches!(verdict(&used, &l, true, || true, t), Verdict::Keep(_)),
            "a request has arrived: it is answered"
        );
    }

    #[test]
    fn busy_connections_finish_when_draining() {
        let t = Instant::now();
        let l = limits();
        let busy = Activity {
            in_flight: 1,
            served: 1,
            ..idle(t)
        };
        assert_eq!(
            verdict(&busy, &l, false, || false, t + l.idle_timeout * 2),
            Verdict::Keep(None)
        );
        assert_eq!(verdict(&busy, &l, true, || false, t), Verdict::Finish);
    }
}
