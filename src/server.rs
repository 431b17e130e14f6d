//! Assembling and running the HTTP server: state, routes, middleware, limits, JSON errors
//! for everything actix itself rejects, and graceful shutdown (actix drains in-flight
//! requests on SIGTERM/SIGINT for `shutdown_timeout_secs`).

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, ErrorHandlers};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer, ResponseError};

use crate::app::{AppState, Clock, IdSource, RandomIds, SystemClock};
use crate::config::Config;
use crate::db::{migrations, Database, DbError};
use crate::dns::{DnsError, HickoryTxtResolver, TxtResolver};
use crate::error::ApiError;
use crate::lifecycle::delivery::{self, DeliverySettings};
use crate::metrics::Metrics;
use crate::rate_limit::{self, RateLimiter};
use crate::tenancy::{api_keys::bootstrap_admin_key, TenancyError};
use crate::{lifecycle, observe};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Dns(#[from] DnsError),
    #[error("bootstrap admin key: {0}")]
    Bootstrap(#[from] TenancyError),
    #[error("{0}")]
    Secrets(#[from] crate::secrets::SecretError),
    #[error("stored secrets: {0}")]
    Reseal(#[from] crate::secrets::reseal::ResealError),
    #[error("outbound HTTP client: {0}")]
    Outbound(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// Each outbound request (webhook delivery, document fetch) ends within this, in total.
const OUTBOUND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// The largest outbound response body read (metadata, JWKS).
const OUTBOUND_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Builds the application state: opens the pool, applies migrations, loads the secret
/// key and seals any plaintext secret left by an older version (refusing to start with a
/// key that does not open the stored ones), wires the clock, id source and resolver.
/// Pass `None` for the defaults (wall clock, OS randomness, configured DNS).
pub fn build_state(
    config: Config,
    clock: Option<Arc<dyn Clock>>,
    ids: Option<Arc<dyn IdSource>>,
    dns: Option<Arc<dyn TxtResolver>>,
) -> Result<AppState, StartError> {
    let db = Database::connect(&config.database_url, config.db_pool_size)?;
    let applied = migrations::run_pending(&db)?;
    if !applied.is_empty() {
        tracing::info!(
            count = applied.len(),
            backend = db.backend().name(),
            "applied migrations"
        );
    }
    let secrets = crate::secrets::key_source::load(&config)?;
    let resealed = crate::secrets::reseal::prepare(&db, &secrets)?;
    if resealed.sealed > 0 {
        tracing::info!(
            count = resealed.sealed,
            key.id = secrets.current_id(),
            "encrypted stored secrets"
        );
    }
    let outbound = crate::outbound::OutboundClient::new(
        crate::outbound::OutboundPolicy::new(&config.outbound_allowed_cidrs)
            .map_err(StartError::Outbound)?,
        OUTBOUND_TIMEOUT,
        OUTBOUND_MAX_RESPONSE_BYTES,
    )
    .map_err(StartError::Outbound)?;
    let dns = match dns {
        Some(d) => d,
        None => {
            let server = config
                .dns_server
                .as_deref()
                .and_then(|s| s.parse::<SocketAddr>().ok());
            Arc::new(HickoryTxtResolver::new(server)?)
        }
    };
    if config.dev_idp_simulator {
        tracing::warn!(
            public_url = %config.public_url,
            "DEVELOPMENT IdP SIMULATOR ON: /dev/idp signs anyone in as anyone to every \
             connection that trusts its certificate; never enable it on a deployment"
        );
    }
    let links = Arc::new(crate::http::routes::links(&config.public_url));
    Ok(AppState {
        db,
        config: Arc::new(config),
        clock: clock.unwrap_or_else(|| Arc::new(SystemClock)),
        ids: ids.unwrap_or_else(|| Arc::new(RandomIds)),
        dns,
        metrics: Arc::new(Metrics::default()),
        sso_failures: Default::default(),
        secrets: Arc::new(secrets),
        outbound,
        links,
    })
}

/// Ensures an admin key exists; returns a newly generated one to show once.
pub fn bootstrap(state: &AppState) -> Result<Option<String>, StartError> {
    Ok(bootstrap_admin_key(state)?)
}

/// The application: shared state, extractor settings, and every route of the table
/// (`http::routes`).
pub fn configure(state: AppState) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg: &mut web::ServiceConfig| {
        let limit = state.config.max_body_bytes;
        cfg.app_data(web::Data::new(state.clone()))
            .app_data(web::PayloadConfig::new(limit))
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                ApiError::BadRequest {
                    code: "invalid_query",
                    message: err.to_string(),
                }
                .into()
            }))
            .app_data(web::PathConfig::default().error_handler(|err, _| {
                ApiError::BadRequest {
                    code: "invalid_path",
                    message: err.to_string(),
                }
                .into()
            }))
            .configure(|cfg| crate::http::routes::mount(cfg, state.config.dev_idp_simulator));
    }
}

/// Unknown routes answer in the same JSON shape as every other error.
async fn not_found(req: HttpRequest) -> HttpResponse {
    ApiError::NotFound(format!("route {} {}", req.method(), req.path())).error_response()
}

/// Binds the listener, starts the webhook delivery worker and the inactivity policy
/// worker on the current runtime, and
/// returns the running server (not yet awaited) and its address. Call from inside the
/// actix system (the worker is spawned on it and ends with it).
pub fn start(state: AppState) -> Result<(Server, SocketAddr), StartError> {
    let listen = state.config.listen.clone();
    let listener = TcpListener::bind(&listen).map_err(|source| StartError::Bind {
        addr: listen.clone(),
        source,
    })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: listen.clone(),
        source,
    })?;
    let workers = state.config.workers;
    let shutdown = state.config.shutdown_timeout_secs;
    let settings = DeliverySettings {
        poll_interval: std::time::Duration::from_millis(state.config.webhook_poll_interval_ms),
        initial_backoff: chrono::Duration::milliseconds(
            i64::try_from(state.config.webhook_initial_backoff_ms).unwrap_or(i64::MAX),
        ),
        retry_window: chrono::Duration::hours(
            i64::try_from(state.config.webhook_retry_window_hours).unwrap_or(i64::MAX),
        ),
    };
    actix_web::rt::spawn(delivery::run(state.clone(), settings));
    if state.config.inactivity_interval_secs > 0 {
        actix_web::rt::spawn(lifecycle::inactivity::run(
            state.clone(),
            std::time::Duration::from_secs(state.config.inactivity_interval_secs),
        ));
    }
    // One limiter for the process (every worker shares its buckets).
    let limiter = web::Data::new(RateLimiter::from_config(&state.config));
    let routes = configure(state);
    let mut server = HttpServer::new(move || {
        // Outermost last: `observe` sees (and counts) the 429s `rate_limit` answers.
        App::new()
            .app_data(limiter.clone())
            .wrap(from_fn(rate_limit::enforce))
            // Inside `observe`, so the log line and metrics see the rewritten answer.
            .wrap(ErrorHandlers::new().default_handler(crate::error::rewrite_plain_errors))
            .wrap(from_fn(observe::observe))
            .configure(routes.clone())
            .default_service(web::to(not_found))
    })
    .shutdown_timeout(shutdown);
    if workers > 0 {
        server = server.workers(workers);
    }
    let server = server
        .listen(listener)
        .map_err(|source| StartError::Bind {
            addr: listen,
            source,
        })?
        .run();
    Ok((server, addr))
}
