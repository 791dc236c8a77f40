//! A response body that runs a closure once, when it ends or is dropped (the client went
//! away), with whether it ended: where a request is reported and its use settled, streams
//! included.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;

pub struct OnEnd<F: FnOnce(bool) + Send + 'static> {
    inner: Body,
    on_end: Option<F>,
}

impl<F: FnOnce(bool) + Send + 'static> OnEnd<F> {
    pub fn new(inner: Body, on_end: F) -> Self {
        Self { inner, on_end: Some(on_end) }
    }

    fn end(&mut self, completed: bool) {
        if let Some(on_end) = self.on_end.take() {
            on_end(completed);
        }
    }
}

// The closure is never pinned: moving it out is sound.
impl<F: FnOnce(bool) + Send + 'static> Unpin for OnEnd<F> {}

impl<F: FnOnce(bool) + Send + 'static> http_body::Body for OnEnd<F> {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            self.end(true);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl<F: FnOnce(bool) + Send + 'static> Drop for OnEnd<F> {
    fn drop(&mut self) {
        let completed = http_body::Body::is_end_stream(&self.inner);
        self.end(completed);
    }
}
