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

use crate::server::{App, RequestTimer};
use axum::body::Body;
use axum::http::{HeaderValue, Request, header};
use futures_util::FutureExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
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
    watch: Mutex<Watch>,
    limits: Limits,
    /// Woken when the accept loop asks the connection to close to make room.
    evict: Notify,
}

/// A connection's activity and the timer of its deadline.
struct Watch {
    activity: Activity,
    /// Wakes the connection's task at its deadline, so that hyper reads the socket and
    /// `Tracked` finds the deadline passed. Moving it later (after each request) is an atomic
    /// update in tokio; only an earlier deadline (a head started) touches the timer wheel.
    timer: Pin<Box<tokio::time::Sleep>>,
    /// The task that last waited for bytes, to wake if the timer already fired.
    waker: Option<Waker>,
}

impl Conn {
    fn new(limits: Limits) -> Self {
        let now = Instant::now();
        Conn {
            watch: Mutex::new(Watch {
                activity: Activity {
                    in_flight: 0,
                    served: 0,
                    head_since: None,
                    idle_since: now,
                    evict: false,
                },
                timer: Box::pin(tokio::time::sleep_until(now + limits.idle_timeout)),
                waker: None,
            }),
            limits,
            evict: Notify::new(),
        }
    }

    fn watch(&self) -> std::sync::MutexGuard<'_, Watch> {
        self.watch.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // No wake-ups here: every request passes through these.

    fn bytes_read(&self) {
        let a = &mut self.watch().activity;
        if a.in_flight == 0 && a.head_since.is_none() {
            a.head_since = Some(Instant::now());
        }
    }

    fn request_started(&self) {
        let a = &mut self.watch().activity;
        a.in_flight += 1;
        a.served += 1;
        a.head_since = None;
    }

    fn request_finished(&self) {
        let mut w = self.watch();
        let a = &mut w.activity;
        a.in_flight = a.in_flight.saturating_sub(1);
        // Bytes read while busy were the request's body.
        a.head_since = None;
        a.idle_since = Instant::now();
        // hyper may not read again until bytes arrive: the timer must wake it at the idle
        // deadline.
        if let Some(d) = deadline(&w.activity, &self.limits) {
            let fired = w.timer.is_elapsed();
            w.timer.as_mut().reset(d);
            if fired && let Some(waker) = w.waker.take() {
                waker.wake();
            }
        }
    }

    /// After a read found nothing: `Ready(Err)` past the deadline, else `Pending` with the
    /// timer set to wake the task at the deadline (or, while busy, to look again later).
    fn wait_for_bytes(&self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let mut w = self.watch();
        if !w.waker.as_ref().is_some_and(|k| k.will_wake(cx.waker())) {
            w.waker = Some(cx.waker().clone());
        }
        let now = Instant::now();
        let timed_out = || {
            Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "header-read or idle timeout",
            )))
        };
        match deadline(&w.activity, &self.limits) {
            Some(d) if now >= d => timed_out(),
            Some(d) => {
                if w.timer.deadline() != d {
                    w.timer.as_mut().reset(d);
                }
                match w.timer.as_mut().poll(cx) {
                    Poll::Pending => Poll::Pending,
                    // The timer fires at or after its deadline, never before.
                    Poll::Ready(()) => timed_out(),
                }
            }
            None => {
                // Busy: no deadline. A timer still pending keeps its waker current (a wake-up
                // it brings finds the connection busy and sleeps again); one that fired stays
                // fired: `request_finished` sets the next deadline and wakes the task itself.
                if !w.timer.is_elapsed() {
                    let _ = w.timer.as_mut().poll(cx);
                }
                Poll::Pending
            }
        }
    }
}

/// Marks a request finished when its answer is ready or it is cancelled.
struct InFlight(Arc<Conn>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// The deadline of a connection in its present state: none while busy, the header-read
/// timeout from the first byte of a head, the idle timeout from the last answer otherwise.
fn deadline(a: &Activity, limits: &Limits) -> Option<Instant> {
    if a.in_flight > 0 {
        None
    } else if let Some(since) = a.head_since {
        Some(since + limits.header_read_timeout)
    } else {
        Some(a.idle_since + limits.idle_timeout)
    }
}

/// The socket, reporting each read to its connection and enforcing the header-read and idle
/// timeouts: when hyper waits for bytes past the deadline, the read fails (`TimedOut`) and
/// hyper drops the connection. A read that finds bytes never fails, so a request that arrived
/// is never cut off by these timeouts.
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
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.conn.bytes_read();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => self.conn.wait_for_bytes(cx),
            other => other,
        }
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

/// What to do with a connection asked to close (draining, or to make room).
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Leave it: its request is answered (with `connection: close` when draining), or the
    /// timeouts end it.
    Keep,
    /// A request is arriving (unread bytes): look again shortly.
    Recheck,
    /// Let hyper finish what it is writing, then close.
    Finish,
    /// Close now: nothing is owed to the client.
    Close,
}

/// The rules of the module's header for a connection asked to close.
fn verdict(a: &Activity, draining: bool, unread: impl FnOnce() -> bool) -> Verdict {
    if a.in_flight > 0 {
        return if draining {
            Verdict::Finish
        } else {
            Verdict::Keep
        };
    }
    if a.head_since.is_some() {
        // Draining: the head may be a whole request not yet parsed; its answer closes.
        return if draining {
            Verdict::Keep
        } else {
            Verdict::Close
        };
    }
    if unread() {
        return Verdict::Recheck;
    }
    // A connection that answered a request may still be writing the answer: hyper closes it
    // once done. One that never had a request owes nothing.
    if a.served > 0 {
        Verdict::Finish
    } else {
        Verdict::Close
    }
}

/// State shared by the accept loop and every connection task.
struct Shared {
    limits: Limits,
    app: App,
    builder: http1::Builder,
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
                let a = &c.watch().activity;
                (a.in_flight == 0 && !a.evict).then(|| (a.head_since.unwrap_or(a.idle_since), c))
            })
            .min_by_key(|(since, _)| *since)
            .map(|(_, c)| c.clone());
        drop(open);
        match victim {
            Some(c) => {
                c.watch().activity.evict = true;
                c.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then drains as the module's
/// header says. Returns how many connections were cut off when the grace period ended.
pub async fn serve(
    listener: TcpListener,
    app: App,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> usize {
    let (drain_tx, drain_rx) = watch::channel(false);
    // HTTP/1.1 only: what every client of a service speaks (browsers reach it through the
    // gateway, services through their typed clients); HTTP/2 would compile h2 and its kin
    // into every service for no caller.
    let mut builder = http1::Builder::new();
    builder.keep_alive(true);
    let shared = Arc::new(Shared {
        limits,
        app,
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

    // A connection accepted at the limit, waiting for room. Room is made only for a connection
    // that is there (evicting on a guess could close a new connection before its request
    // arrives), and never by closing the newcomer.
    let mut waiting: Option<TcpStream> = None;
    loop {
        if let Some(stream) = waiting.take() {
            if let Ok(permit) = slots.clone().try_acquire_owned() {
                spawn_connection(&shared, stream, Some(permit));
                continue;
            }
            if last_full_warning.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                tracing::warn!(
                    max_connections = limits.max_connections,
                    "connection limit reached: closing the longest-idle connections"
                );
                last_full_warning = Some(Instant::now());
            }
            shared.evict_one();
            tokio::select! {
                () = &mut shutdown => {
                    waiting = Some(stream);
                    break;
                }
                permit = slots.clone().acquire_owned() => {
                    spawn_connection(&shared, stream, Some(permit.expect("never closed")));
                }
                // Every connection was busy, or the one asked to close has not yet: again.
                () = tokio::time::sleep(Duration::from_millis(50)) => waiting = Some(stream),
            }
            continue;
        }
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => waiting = Some(stream),
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
    if let Some(stream) = waiting {
        spawn_connection(&shared, stream, None);
        taken += 1;
    }
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
    let conn = Arc::new(Conn::new(shared.limits));
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
        let timer = RequestTimer::new();
        hyper::service::service_fn(move |request: Request<Incoming>| {
            conn.request_started();
            let guard = InFlight(conn.clone());
            let answer = shared
                .app
                .handle_within(request.map(Body::new), Some(&timer));
            let shared = shared.clone();
            answer.map(move |mut response| {
                if shared.draining.load(Ordering::SeqCst) {
                    response
                        .headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
                drop(guard);
                Ok::<_, Infallible>(response)
            })
        })
    };
    let serving = shared.builder.serve_connection(io, service).with_upgrades();
    tokio::pin!(serving);
    let mut drain = shared.drain.clone();
    let mut finishing: Option<Instant> = None;
    loop {
        let draining = *drain.borrow();
        let verdict = {
            let mut w = conn.watch();
            let a = &mut w.activity;
            if draining || a.evict {
                let v = verdict(a, draining, || has_unread_bytes(fd));
                if v == Verdict::Keep {
                    // Busy or reading a head: it may be picked again once idle.
                    a.evict = false;
                }
                Some(v)
            } else {
                None
            }
        };
        let wake = match verdict {
            Some(Verdict::Close) => return,
            Some(Verdict::Finish) => {
                let since = *finishing.get_or_insert_with(|| {
                    serving.as_mut().graceful_shutdown();
                    Instant::now()
                });
                // A client that does not read its answer cannot hold the connection forever.
                let give_up = since + shared.limits.header_read_timeout;
                if Instant::now() >= give_up {
                    return;
                }
                Some(give_up)
            }
            Some(Verdict::Recheck) => Some(Instant::now() + Duration::from_millis(20)),
            Some(Verdict::Keep) | None => None,
        };
        // In this order, without drawing a random number on every wake-up.
        tokio::select! {
            biased;
            _ = serving.as_mut() => return,
            () = conn.evict.notified() => {}
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
    fn deadlines_follow_the_state() {
        let t = Instant::now();
        let l = limits();
        assert_eq!(deadline(&idle(t), &l), Some(t + l.idle_timeout));
        let head = Activity {
            head_since: Some(t),
            ..idle(t)
        };
        assert_eq!(deadline(&head, &l), Some(t + l.header_read_timeout));
        let busy = Activity {
            in_flight: 1,
            ..head
        };
        assert_eq!(deadline(&busy, &l), None);
    }

    #[test]
    fn draining_finishes_busy_connections_and_closes_idle_ones() {
        let t = Instant::now();
        let busy = Activity {
            in_flight: 1,
            served: 1,
            ..idle(t)
        };
        assert_eq!(verdict(&busy, true, || false), Verdict::Finish);
        assert_eq!(verdict(&busy, false, || false), Verdict::Keep);
        assert_eq!(verdict(&idle(t), true, || false), Verdict::Close);
        let used = Activity {
            served: 1,
            ..idle(t)
        };
        assert_eq!(verdict(&used, true, || false), Verdict::Finish);
        assert_eq!(
            verdict(&used, true, || true),
            Verdict::Recheck,
            "a request has arrived: it is answered"
        );
    }

    #[test]
    fn a_head_in_progress_is_answered_when_draining_and_evicted_otherwise() {
        let t = Instant::now();
        let head = Activity {
            head_since: Some(t),
            ..idle(t)
        };
        assert_eq!(verdict(&head, true, || false), Verdict::Keep);
        assert_eq!(verdict(&head, false, || false), Verdict::Close);
    }
}
