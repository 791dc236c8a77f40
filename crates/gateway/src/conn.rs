//! Connection timeouts hyper 1 does not offer as we need them: a client that starts a
//! request must finish its headers within `header_read` (slowloris), and a keep-alive
//! connection with no request in flight is closed after `idle`. (hyper's own
//! `header_read_timeout` also runs while a keep-alive connection is idle, which would close
//! it before a load balancer's longer idle timeout and cause 502s.)
//!
//! The listener wraps each socket in a [`TimedIo`] that fails its pending read when a
//! deadline passes, so hyper closes the connection; a middleware tells the connection's
//! [`Activity`] when a request starts and when its response body ends.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

use crate::limits::Guarded;

/// `HEADER_READ_TIMEOUT_SECONDS` and `IDLE_CONNECTION_TIMEOUT_SECONDS`.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionTimeouts {
    pub header_read: Duration,
    pub idle: Duration,
}

#[derive(Debug)]
struct Phase {
    in_flight: usize,
    idle_since: Instant,
    /// When the first byte of a request arrived while none was in flight.
    head_started: Option<Instant>,
}

/// What one connection is doing, shared by its socket and its requests.
#[derive(Debug)]
pub struct Activity {
    timeouts: ConnectionTimeouts,
    phase: Mutex<Phase>,
}

/// When a connection's reads should be looked at again, and whether it is over by then.
#[derive(Debug, PartialEq, Eq)]
enum Deadline {
    /// Close the connection once this passes.
    CloseAt(Instant, &'static str),
    /// A request is in flight: nothing to enforce, look again then.
    RecheckAt(Instant),
}

impl Activity {
    fn new(timeouts: ConnectionTimeouts) -> Self {
        let phase = Phase { in_flight: 0, idle_since: Instant::now(), head_started: None };
        Self { timeouts, phase: Mutex::new(phase) }
    }

    fn on_bytes_read(&self) {
        if let Ok(mut phase) = self.phase.lock() {
            if phase.in_flight == 0 && phase.head_started.is_none() {
                phase.head_started = Some(Instant::now());
            }
        }
    }

    fn request_started(&self) {
        if let Ok(mut phase) = self.phase.lock() {
            phase.in_flight += 1;
            phase.head_started = None;
        }
    }

    fn request_ended(&self) {
        if let Ok(mut phase) = self.phase.lock() {
            phase.in_flight = phase.in_flight.saturating_sub(1);
            if phase.in_flight == 0 {
                phase.idle_since = Instant::now();
            }
        }
    }

    fn deadline(&self, now: Instant) -> Deadline {
        let Ok(phase) = self.phase.lock() else { return Deadline::RecheckAt(now + self.timeouts.idle) };
        match (phase.in_flight, phase.head_started) {
            (0, Some(started)) => Deadline::CloseAt(started + self.timeouts.header_read, "request headers too slow"),
            (0, None) => Deadline::CloseAt(phase.idle_since + self.timeouts.idle, "idle connection"),
            _ => Deadline::RecheckAt(now + self.timeouts.idle),
        }
    }
}

/// Ends a request's part in its connection's activity when dropped (with the response body).
#[derive(Debug)]
pub struct RequestInFlight(Arc<Activity>);

impl Drop for RequestInFlight {
    fn drop(&mut self) {
        self.0.request_ended();
    }
}

/// The connection a request came on (as `ConnectInfo`).
#[derive(Debug, Clone)]
pub struct Connection(Arc<Activity>);

impl Connected<IncomingStream<'_, TimedListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, TimedListener>) -> Self {
        Self(Arc::clone(&stream.io().activity))
    }
}

/// Marks the request in flight on its connection until its response body ends.
pub async fn track_request(request: Request, next: Next) -> Response {
    let Some(ConnectInfo(Connection(activity))) = request.extensions().get::<ConnectInfo<Connection>>().cloned() else {
        return next.run(request).await;
    };
    activity.request_started();
    let in_flight = RequestInFlight(activity);
    next.run(request).await.map(|body| Guarded::wrap(body, in_flight))
}

/// A TCP listener whose connections carry the timeouts (and TCP_NODELAY).
#[derive(Debug)]
pub struct TimedListener {
    inner: TcpListener,
    timeouts: ConnectionTimeouts,
}

impl TimedListener {
    pub fn new(inner: TcpListener, timeouts: ConnectionTimeouts) -> Self {
        Self { inner, timeouts }
    }
}

impl Listener for TimedListener {
    type Io = TimedIo;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (tcp, addr) = Listener::accept(&mut self.inner).await;
        // Without TCP_NODELAY a short SSE stream's last chunks wait ~40 ms for the client's
        // delayed ACK (Nagle); tokens must leave as soon as they arrive.
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        (TimedIo::new(tcp, self.timeouts), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A socket whose pending read fails once its connection's deadline passes.
#[derive(Debug)]
pub struct TimedIo {
    inner: TcpStream,
    activity: Arc<Activity>,
    timer: Pin<Box<Sleep>>,
    /// The connection counts for the allocator trimmer while it is open.
    _held: crate::memory::Held,
}

impl TimedIo {
    fn new(inner: TcpStream, timeouts: ConnectionTimeouts) -> Self {
        let activity = Arc::new(Activity::new(timeouts));
        let timer = Box::pin(tokio::time::sleep(timeouts.idle));
        Self { inner, activity, timer, _held: crate::memory::Held::new() }
    }

    /// Arms the timer for the current deadline; an error once a closing deadline passed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let now = Instant::now();
            let armed = self.timer.deadline();
            let reset_to = match self.activity.deadline(now) {
                Deadline::CloseAt(at, why) if at <= now => {
                    tracing::debug!(reason = why, "closing connection");
                    return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, why)));
                }
                Deadline::CloseAt(at, _) => (armed != at).then_some(at),
                // While a request runs, hyper polls reads often: keep the armed timer.
                Deadline::RecheckAt(at) => (armed <= now).then_some(at),
            };
            if let Some(at) = reset_to {
                self.timer.as_mut().reset(at);
            }
            if self.timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl AsyncRead for TimedIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                self.activity.on_bytes_read();
                Poll::Ready(Ok(()))
            }
            Poll::Pending => self.poll_deadline(cx),
            ready @ Poll::Ready(_) => ready,
        }
    }
}

impl AsyncWrite for TimedIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUTS: ConnectionTimeouts =
        ConnectionTimeouts { header_read: Duration::from_secs(5), idle: Duration::from_secs(60) };

    fn close_at(deadline: Deadline) -> Option<(Instant, &'static str)> {
        match deadline {
            Deadline::CloseAt(at, why) => Some((at, why)),
            Deadline::RecheckAt(_) => None,
        }
    }

    #[test]
    fn an_idle_connection_closes_after_the_idle_timeout() {
        let before = Instant::now();
        let activity = Activity::new(TIMEOUTS);
        let (at, why) = close_at(activity.deadline(Instant::now())).unwrap();
        assert_eq!(why, "idle connection");
        assert!(at >= before + TIMEOUTS.idle && at <= Instant::now() + TIMEOUTS.idle);
    }

    #[test]
    fn a_started_request_must_finish_its_headers_in_time_however_it_trickles() {
        let activity = Activity::new(TIMEOUTS);
        let before = Instant::now();
        activity.on_bytes_read();
        let after = Instant::now();
        std::thread::sleep(Duration::from_millis(5));
        activity.on_bytes_read();
        let (at, why) = close_at(activity.deadline(Instant::now())).unwrap();
        assert_eq!(why, "request headers too slow");
        assert!(at >= before + TIMEOUTS.header_read && at <= after + TIMEOUTS.header_read);
    }

    #[test]
    fn nothing_is_enforced_while_a_request_is_in_flight_and_idle_restarts_after() {
        let activity = Activity::new(TIMEOUTS);
        activity.on_bytes_read();
        activity.request_started();
        activity.request_started();
        let now = Instant::now();
        assert_eq!(activity.deadline(now), Deadline::RecheckAt(now + TIMEOUTS.idle));
        activity.request_ended();
        assert!(close_at(activity.deadline(now)).is_none());
        std::thread::sleep(Duration::from_millis(5));
        let ended = Instant::now();
        activity.request_ended();
        let (at, why) = close_at(activity.deadline(Instant::now())).unwrap();
        assert_eq!(why, "idle connection");
        assert!(at >= ended + TIMEOUTS.idle);
    }
}
