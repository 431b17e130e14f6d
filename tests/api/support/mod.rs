//! Test harness: `TestApp` starts the real server in-process on 127.0.0.1 with a fresh
//! database — a temporary SQLite file, or a PostgreSQL database created for the test and
//! dropped after it — and talks to it over real HTTP.

pub mod dns;
pub mod idp;
pub mod pg;
pub mod process;
pub mod receiver;

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use provisiond::app::Clock;
use provisiond::config::{Config, ConfigLayer};
use provisiond::dns::TxtResolver;
use provisiond::server;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::Value;

pub const ADMIN_KEY: &str = "test-admin-key-0123456789abcdef";

/// The key that encrypts stored secrets in tests (base64 of 32 bytes). Every state built
/// on one test database uses it, so replicas share it as production replicas must.
pub const SECRET_KEY: &str = "cHJvdmlzaW9uZC10ZXN0LXNlY3JldC1rZXktMzJieXQ=";

/// The outbound ranges tests allow: their receivers listen on 127.0.0.1. Without it the
/// delivery worker refuses loopback like any other internal address.
pub const TEST_OUTBOUND_CIDRS: &str = "127.0.0.0/8";

/// The test settings every in-process state shares: the secret key and the loopback
/// receivers (see [`SECRET_KEY`], [`TEST_OUTBOUND_CIDRS`]).
pub fn shared_layer() -> ConfigLayer {
    ConfigLayer {
        secret_key: Some(provisiond::config::SecretText::new(SECRET_KEY)),
        outbound_allowed_cidrs: Some(vec![TEST_OUTBOUND_CIDRS.into()]),
        ..ConfigLayer::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server to create test databases on, when configured.
pub fn postgres_url() -> Option<String> {
    std::env::var("PROVISIOND_TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

/// Why a PostgreSQL test that was selected cannot run. PostgreSQL tests are `#[ignore]`d
/// unless `PROVISIOND_TEST_DATABASE_URL` was set when they were built (`build.rs`); one
/// that runs anyway (`--include-ignored`, or the variable unset between build and run)
/// fails with this message instead of passing without testing anything.
pub const NO_POSTGRES: &str = "this PostgreSQL test needs PROVISIOND_TEST_DATABASE_URL \
     (e.g. postgres://postgres@127.0.0.1:5432/postgres) when it is built and run";

/// The PostgreSQL server for a PostgreSQL test (see [`NO_POSTGRES`]).
pub fn require_postgres_url() -> String {
    postgres_url().expect(NO_POSTGRES)
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: Client,
    pub backend: Backend,
    /// The database the server runs on (tests may open it to set up state no API makes).
    pub database_url: String,
    server: Option<actix_web::dev::ServerHandle>,
    thread: Option<JoinHandle<()>>,
    _sqlite_dir: Option<tempfile::TempDir>,
    pg_db: Option<pg::TestDatabase>,
}

pub struct TestAppBuilder {
    backend: Backend,
    dns: Option<Arc<dyn TxtResolver>>,
    max_body_bytes: Option<usize>,
    clock: Option<Arc<dyn Clock>>,
    /// Extra settings applied last (see [`TestAppBuilder::settings`]).
    settings: Option<Settings>,
    outbound_allowed: Option<Vec<String>>,
    public_url: Option<String>,
    dev_idp_simulator: bool,
}

/// A change to the server's settings, applied after the harness's own.
type Settings = Box<dyn FnOnce(&mut ConfigLayer)>;

/// A clock tests move by hand: time is injected, never slept.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<DateTime<Utc>>);

impl ManualClock {
    /// Starts at the current wall-clock time (so freshly signed SAML responses are valid).
    pub fn new() -> Arc<ManualClock> {
        Self::at(provisiond::app::SystemClock.now())
    }

    pub fn at(t: DateTime<Utc>) -> Arc<ManualClock> {
        Arc::new(ManualClock(std::sync::Mutex::new(t)))
    }

    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl TestAppBuilder {
    /// Webhook worker timing for tests: poll every 50 ms, first retry after 100 ms.
    fn webhook_timing(layer: &mut ConfigLayer) {
        layer.webhook_poll_interval_ms = Some(50);
        layer.webhook_initial_backoff_ms = Some(100);
    }

    pub fn dns(mut self, dns: Arc<dyn TxtResolver>) -> Self {
        self.dns = Some(dns);
        self
    }

    pub fn dns_server(self, addr: SocketAddr) -> Self {
        let resolver = provisiond::dns::HickoryTxtResolver::new(Some(addr)).unwrap();
        self.dns(Arc::new(resolver))
    }

    /// Runs the server on `clock` instead of the wall clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Changes settings of the server under test (rate limits, …).
    pub fn settings(mut self, f: impl FnOnce(&mut ConfigLayer) + 'static) -> Self {
        self.settings = Some(Box::new(f));
        self
    }

    /// Replaces the allowed outbound ranges (`vec![]`: public addresses only, as in
    /// production without the setting).
    pub fn outbound_allowed(mut self, cidrs: Vec<String>) -> Self {
        self.outbound_allowed = Some(cidrs);
        self
    }

    /// Turns the development IdP simulator on (`dev_idp_simulator`).
    pub fn idp_simulator(mut self) -> Self {
        self.dev_idp_simulator = true;
        self
    }

    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = Some(n);
        self
    }

    /// Sets `public_url` (the server still listens on plain HTTP on 127.0.0.1; an
    /// `https://` URL makes it emit what it would behind a TLS proxy, e.g. secure cookies).
    pub fn public_url(mut self, url: &str) -> Self {
        self.public_url = Some(url.to_owned());
        self
    }

    /// Starts the app, or returns `None` when the backend is not available (PostgreSQL
    /// without `PROVISIOND_TEST_DATABASE_URL`; such tests are ignored at build time, see
    /// [`NO_POSTGRES`]).
    pub fn start(self) -> Option<TestApp> {
        let (database_url, sqlite_dir, pg_db) = match self.backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = dir
                    .path()
                    .join("provisiond.db")
                    .to_string_lossy()
                    .into_owned();
                (url, Some(dir), None)
            }
            Backend::Postgres => {
                let server = postgres_url()?;
                let db = pg::TestDatabase::create(&server);
                (db.url.clone(), None, Some(db))
            }
        };
        let layer = ConfigLayer {
            listen: Some("127.0.0.1:0".into()),
            database_url: Some(database_url.clone()),
            bootstrap_admin_key: Some(ADMIN_KEY.into()),
            workers: Some(2),
            db_pool_size: Some(8),
            max_body_bytes: self.max_body_bytes,
            public_url: self.public_url,
            shutdown_timeout_secs: Some(1),
            outbound_allowed_cidrs: self
                .outbound_allowed
                .or(shared_layer().outbound_allowed_cidrs),
            dev_idp_simulator: Some(self.dev_idp_simulator),
            ..shared_layer()
        };
        let mut layer = layer;
        Self::webhook_timing(&mut layer);
        if let Some(settings) = self.settings {
            settings(&mut layer);
        }
        let config = Config::load(None, &Default::default(), layer).unwrap();
        let state = server::build_state(config, self.clock, None, self.dns).unwrap();
        server::bootstrap(&state).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let (running, addr) = server::start(state).unwrap();
                tx.send((addr, running.handle())).unwrap();
                let _ = running.await;
            });
        });
        let (addr, server) = rx.recv().unwrap();
        let client = Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap();
        Some(TestApp {
            addr,
            client,
            backend: self.backend,
            database_url,
            server: Some(server),
            thread: Some(thread),
            _sqlite_dir: sqlite_dir,
            pg_db,
        })
    }
}

impl TestApp {
    pub fn builder(backend: Backend) -> TestAppBuilder {
        TestAppBuilder {
            backend,
            dns: None,
            max_body_bytes: None,
            clock: None,
            settings: None,
            outbound_allowed: None,
            public_url: None,
            dev_idp_simulator: false,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path))
    }

    /// A request to the admin API with the bootstrap admin key.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(ADMIN_KEY)
    }

    pub fn admin_get(&self, path: &str) -> Value {
        let res = self.admin(reqwest::Method::GET, path).send().unwrap();
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().unwrap()
    }

    pub fn admin_post(&self, path: &str, body: Value) -> Response {
        self.admin(reqwest::Method::POST, path)
            .json(&body)
            .send()
            .unwrap()
    }

    /// Creates an organization and returns its JSON.
    pub fn create_org(&self, slug: &str) -> Value {
        let res = self.admin_post(
            "/admin/v1/organizations",
            serde_json::json!({ "name": format!("Org {slug}"), "slug": slug }),
        );
        assert_eq!(res.status(), 201);
        res.json().unwrap()
    }

    /// Every event in the log, oldest first.
    pub fn events(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let page = self.admin_get(&format!("/admin/v1/events?after={after}&limit=1000"));
            let items = page["data"].as_array().unwrap().clone();
            if items.is_empty() {
                return out;
            }
            after = items.last().unwrap()["seq"].as_i64().unwrap();
            out.extend(items);
        }
    }

    pub fn audit_count(&self) -> usize {
        self.admin_get("/admin/v1/audit-entries?limit=1000")["data"]
            .as_array()
            .unwrap()
            .len()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            // The handle's stop future only sends a command; any executor can drive it.
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread().build() {
                rt.block_on(server.stop(false));
            }
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // Connections close with the server's pool; then the database can go.
        if let Some(db) = self.pg_db.take() {
            db.drop_database();
        }
    }
}

/// Runs a test body once per backend: SQLite always; PostgreSQL when
/// `PROVISIOND_TEST_DATABASE_URL` is set at build time (see `build.rs`), and otherwise the
/// PostgreSQL variant is reported as *ignored*, with the reason, never as passed.
#[macro_export]
macro_rules! backend_tests {
    ($(fn $name:ident($app:ident) $body:block)*) => {
        mod sqlite {
            use super::*;
            $(#[test] fn $name() {
                let $app = $crate::support::TestApp::builder($crate::support::Backend::Sqlite).start().unwrap();
                $body
            })*
        }
        mod postgres {
            use super::*;
            $(#[test]
            #[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
            fn $name() {
                let $app = $crate::support::TestApp::builder($crate::support::Backend::Postgres).start()
                    .expect($crate::support::NO_POSTGRES);
                $body
            })*
        }
    };
}

/// Like [`backend_tests!`], with a [`ManualClock`] the body can move: each test gets
/// `($app, $clock)`, the clock starting at the current wall-clock time.
#[macro_export]
macro_rules! backend_tests_with_clock {
    ($(fn $name:ident($app:ident, $clock:ident) $body:block)*) => {
        mod sqlite_with_clock {
            use super::*;
            $(#[test] fn $name() {
                let $clock = $crate::support::ManualClock::new();
                let $app = $crate::support::TestApp::builder($crate::support::Backend::Sqlite)
                    .clock($clock.clone()).start().unwrap();
                $body
            })*
        }
        mod postgres_with_clock {
            use super::*;
            $(#[test]
            #[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
            fn $name() {
                let $clock = $crate::support::ManualClock::new();
                let $app = $crate::support::TestApp::builder($crate::support::Backend::Postgres)
                    .clock($clock.clone()).start().expect($crate::support::NO_POSTGRES);
                $body
            })*
        }
    };
}
