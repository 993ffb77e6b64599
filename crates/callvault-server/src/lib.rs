//! callvault's HTTP API (axum): REST for conversations, turns, search and erasure; health,
//! metrics. Handlers parse, authenticate (the [`extract::Authenticated`] extractor) and call
//! `callvault-core`; they hold no business rules.
//!
//! [`app`] builds the router over an [`AppState`] (tests call it without a socket);
//! [`run`] serves it on a listener until the shutdown future resolves, then lets the writer
//! commit what is queued. Only the binary binds sockets and installs the log subscriber.

#![forbid(unsafe_code)]

pub mod error;
pub mod extract;
pub mod people;
pub mod proxy;
pub mod routes;
mod stream;

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use callvault_core::Core;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;

/// HTTP limits.
#[derive(Clone, Copy, Debug)]
pub struct ServerConfig {
    /// Largest request body, bytes.
    pub max_body_bytes: usize,
    /// Requests per second per principal (sustained; bursts up to the same number).
    pub rate_per_principal: u32,
    /// Longest a request may take.
    pub request_timeout: Duration,
    /// How often the retention purge runs.
    pub purge_interval: Duration,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            max_body_bytes: 64 * 1024,
            rate_per_principal: 50_000,
            request_timeout: Duration::from_secs(10),
            purge_interval: Duration::from_secs(60),
        }
    }
}

/// What every handler sees.
#[derive(Clone)]
pub struct AppState {
    pub core: Arc<Core>,
    pub limiter: Arc<DefaultKeyedRateLimiter<(String, String)>>,
    pub metrics: PrometheusHandle,
    /// Largest WebSocket message.
    pub max_message_bytes: usize,
    /// The privacy proxy, when an upstream is configured.
    pub proxy: Option<Arc<proxy::Proxy>>,
}

impl AppState {
    pub fn new(core: Arc<Core>, config: &ServerConfig) -> AppState {
        let rate = NonZeroU32::new(config.rate_per_principal).unwrap_or(NonZeroU32::MIN);
        AppState {
            core,
            limiter: Arc::new(RateLimiter::keyed(Quota::per_second(rate))),
            metrics: metrics_handle(),
            max_message_bytes: config.max_body_bytes,
            proxy: None,
        }
    }

    /// With the privacy proxy.
    pub fn with_proxy(mut self, proxy: proxy::Proxy) -> AppState {
        self.proxy = Some(Arc::new(proxy));
        self
    }
}

/// How often histogram samples are folded into their buckets.
const METRICS_UPKEEP: std::time::Duration = std::time::Duration::from_secs(5);

/// The request latency histogram's name.
const REQUEST_SECONDS: &str = "callvault_http_request_duration_seconds";

/// The process's metrics recorder, installed on first use.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            // Request latencies as a Prometheus histogram (buckets in seconds) rather than a
            // summary, so that servers can be aggregated.
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full(REQUEST_SECONDS.into()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
                    ],
                )
                .map(|b| b.build_recorder())
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            // Another recorder may be installed already (an embedding program's): then ours
            // still renders what it counted itself.
            let _ = metrics::set_global_recorder(recorder);
            // Histogram samples wait in a buffer until they are folded into their buckets, which
            // a scrape or an upkeep does: without a scraper the buffer grew by every request's
            // latency (the soak's RSS climbed from 189 to 285 MB between 150 s and 420 s).
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(METRICS_UPKEEP);
                    upkeep.run_upkeep();
                });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "cannot start the metrics upkeep thread");
            }
            handle
        })
        .clone()
}

/// The router.
pub fn app(state: AppState, config: &ServerConfig) -> Router {
    // The proxy reads its own body up to its own cap, and an LLM may take longer than the
    // API's request timeout to answer: it sits outside those two layers (it has its own
    // upstream timeouts).
    let proxy = Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(proxy::chat_completions),
    );
    let routes = api_layers(routes::router(), config)
        .merge(proxy)
        .method_not_allowed_fallback(routes::method_not_allowed);
    request_layers(routes).with_state(state)
}

/// The layers of every API route: the body size cap and the request timeout.
pub fn api_layers<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    config: &ServerConfig,
) -> Router<S> {
    router
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
}

/// The outermost layers of every route: one log line per request, written when it ends (see
/// `log_request`), and outside it a request id for every request (kept if the caller sent a
/// well-formed one), carried back on the response.
pub fn request_layers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .layer(axum::middleware::from_fn(log_request))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// What a request's log line says of who asked: the tenant, set once authenticated.
#[derive(Default)]
pub(crate) struct RequestLog {
    pub(crate) tenant: OnceLock<String>,
}

/// Writes one JSON line per request when it ends: method, matched route, request id, tenant
/// (once authenticated), status and latency. Never the URI: a query string can carry a searched
/// value. A caller-chosen request id is logged only if it looks like an id: free text in a
/// header could carry personal data. One event with plain fields rather than a span per
/// request: the JSON formatter re-reads a span's fields for every line, which cost the ingest
/// path about 7 % of its CPU.
async fn log_request(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    // The matched template (a bounded set), or "unmatched".
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| looks_like_an_id(v))
        .unwrap_or("not-an-id")
        .to_owned();
    let log = Arc::new(RequestLog::default());
    req.extensions_mut().insert(Arc::clone(&log));
    let response = next.run(req).await;
    metrics::counter!(
        "callvault_http_requests_total",
        "route" => route.clone(),
        "status" => response.status().as_u16().to_string()
    )
    .increment(1);
    metrics::histogram!(REQUEST_SECONDS, "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    tracing::info!(
        method = %method,
        route = route.as_str(),
        request_id = %request_id,
        tenant = log.tenant.get().map(String::as_str),
        status = response.status().as_u16(),
        latency_us = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}

/// Whether a caller's request id may be logged: up to 64 letters, digits, '-' and '_', in
/// which the detector finds nothing ("Maria-Gonzalez-4111111111111111" is not an id).
fn looks_like_an_id(v: &str) -> bool {
    v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && callvault_detect::detect(&v.replace(['-', '_'], " ")).is_empty()
}

/// Serves `router` on `listener` until `shutdown` resolves, then commits queued turns.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let core = Arc::clone(&state.core);
    let purge = tokio::spawn(purge_job(Arc::clone(&core), config.purge_interval));
    let checkpoints = tokio::spawn(checkpoint_job(Arc::clone(&core)));
    let router = app(state, &config);
    // No Nagle: streamed answers are many small writes, and waiting for the peer's delayed
    // ACK would add 40 ms to each.
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    purge.abort();
    checkpoints.abort();
    tokio::task::spawn_blocking(move || core.shutdown())
        .await
        .map_err(std::io::Error::other)?;
    Ok(())
}

/// Signs an audit checkpoint whenever one is due (every N entries or T seconds), checking each
/// second on a blocking thread.
async fn checkpoint_job(core: Arc<Core>) {
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    loop {
        ticks.tick().await;
        let audit = Arc::clone(core.audit());
        match tokio::task::spawn_blocking(move || audit.checkpoint_if_due(false)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "audit checkpoint failed"),
            Err(e) => tracing::error!(error = %e, "audit checkpoint panicked"),
        }
    }
}

/// Runs the retention purge every `interval` on a blocking thread.
async fn purge_job(core: Arc<Core>, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    loop {
        ticks.tick().await;
        let core = Arc::clone(&core);
        let now = callvault_core::app::now_ms();
        match tokio::task::spawn_blocking(move || core.purge_expired(now)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "retention purge failed"),
            Err(e) => tracing::error!(error = %e, "retention purge panicked"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_an_id;

    #[test]
    fn only_ids_without_personal_data_are_logged() {
        for id in [
            "0b6e3c52-7a0f-4a43-9d62-1f1f3a2b9c10",
            "req_01HZX3K9",
            "trace-7f3a9c",
        ] {
            assert!(looks_like_an_id(id), "{id}");
        }
        for text in [
            "Maria-Gonzalez-4111111111111111",
            "4111-1111-1111-1111",
            "call-415-555-0134",
            "has spaces",
            &"a".repeat(65),
        ] {
            assert!(!looks_like_an_id(text), "{text}");
        }
    }
}
