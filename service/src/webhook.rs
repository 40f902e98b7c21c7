//! The webhook sink: each event POSTed as JSON to one `http://` URL.
//!
//! The body is a [`Delivery`] (`{"id", "claim", "attempt", "event"}`), with the event's ID
//! in the `Idempotency-Key` header as well. Any 2xx answer within the timeout is a
//! delivery; anything else (another status, a refused connection, a timeout) leaves the
//! event in the outbox, to come back after its lease.
//!
//! The client is hyper-util's, over the hyper that axum's server already builds: HTTP/1,
//! no TLS. A webhook over the internet goes through a TLS-terminating proxy (or a sidecar)
//! on the service's host.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::delivery::{BoxFuture, Delivery, Sink};

/// How long one POST may take.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// POSTs each event to a URL.
#[derive(Debug, Clone)]
pub struct WebhookSink {
    uri: Uri,
    client: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl WebhookSink {
    /// A sink that POSTs to `url`, an `http://` URL.
    ///
    /// # Errors
    ///
    /// The URL does not parse, or is not `http://` with a host.
    pub fn new(url: &str) -> Result<Self, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("webhook URL {url:?}: {e}"))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(format!(
                "webhook URL {url:?} must be http://host/...: this service speaks no TLS"
            ));
        }
        let client = Client::builder(TokioExecutor::new()).build_http();
        Ok(Self {
            uri,
            client,
            timeout: WEBHOOK_TIMEOUT,
        })
    }

    /// The same sink, giving up on a POST after `timeout`.
    #[must_use]
    pub const fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    async fn post(&self, delivery: &Delivery) -> Result<(), String> {
        let body = serde_json::to_vec(delivery).map_err(|e| e.to_string())?;
        let key = HeaderValue::from_str(&delivery.id).map_err(|e| e.to_string())?;
        let request = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(CONTENT_TYPE, "application/json")
            .header("idempotency-key", key)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| format!("POST {}: {e}", self.uri))?;
        let status = response.status();
        // Read the answer to its end, so that the connection can be reused.
        let _ = response.into_body().collect().await;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("POST {} answered {status}", self.uri))
        }
    }
}

impl Sink for WebhookSink {
    fn deliver<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            tokio::time::timeout(self.timeout, self.post(delivery))
                .await
                .map_err(|_| format!("POST {} took longer than {:?}", self.uri, self.timeout))?
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls() {
        assert!(WebhookSink::new("http://127.0.0.1:9000/events").is_ok());
        assert!(WebhookSink::new("https://example.com/events").is_err());
        assert!(WebhookSink::new("not a url").is_err());
    }
}
