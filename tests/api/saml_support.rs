//! Shared setup for the SAML flow tests: an `AppState` (no HTTP) on a fresh database of
//! either backend, the signed fixtures of `tests/fixtures/saml`, and a connection laid out
//! exactly as the fixtures expect (public URL `https://sp.example.com`, id `conn_1`).

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use provisiond::app::AppState;
use provisiond::config::{Config, ConfigLayer};
use provisiond::store::authn_requests::{insert_authn_request, NewAuthnRequest};
use provisiond::store::orgs::{insert_organization, NewOrganization};
use provisiond::store::saml_connections::{
    insert_certificate, insert_connection, NewConnectionCertificate, NewSamlConnection,
};
use provisiond::store::StoreError;

use crate::support::{pg, postgres_url, Backend};

pub const PUBLIC_URL: &str = "https://sp.example.com";
pub const OKTA: &str = "http://www.okta.com/exk1a2b3c4d5E6f7g8h9";
/// The request id the SP-initiated fixtures answer.
pub const REQ: &str = "_req_9f6c1b2a";

pub fn fixture(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/saml")
        .join(path);
    std::fs::read_to_string(p).unwrap()
}

pub fn fixture_path(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/saml")
        .join(path)
}

/// The POST-binding value of a fixture.
pub fn b64(path: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(fixture(path))
}

/// 2026-01-01 at `h:m` UTC: the fixtures are valid 12:00–12:05 (+3 min skew).
pub fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, h, m, 0).unwrap()
}

/// A fresh database and the state of one "replica" on it; more replicas with
/// [`TestDb::replica`]. The database goes when this is dropped.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    pg: Option<pg::TestDatabase>,
}

impl TestDb {
    pub fn create(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = dir.path().join("p.db").to_string_lossy().into_owned();
                Some(TestDb {
                    url,
                    backend,
                    _dir: Some(dir),
                    pg: None,
                })
            }
            Backend::Postgres => {
                let server = postgres_url()?;
                let db = pg::TestDatabase::create(&server);
                Some(TestDb {
                    url: db.url.clone(),
                    backend,
                    _dir: None,
                    pg: Some(db),
                })
            }
        }
    }

    /// An independent `AppState` (own pool) on this database, like another replica.
    pub fn replica(&self) -> AppState {
        self.replica_with(ConfigLayer::default())
    }

    pub fn replica_with(&self, layer: ConfigLayer) -> AppState {
        let layer = ConfigLayer {
            database_url: Some(self.url.clone()),
            public_url: Some(PUBLIC_URL.into()),
            db_pool_size: Some(4),
            secret_key: crate::support::shared_layer().secret_key,
            ..layer
        };
        let config = Config::load(None, &Default::default(), layer).unwrap();
        provisiond::server::build_state(config, None, None, Some(Arc::new(NoDns))).unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(db) = self.pg.take() {
            db.drop_database();
        }
    }
}

struct NoDns;

impl provisiond::dns::TxtResolver for NoDns {
    fn lookup_txt<'a>(&'a self, _name: &'a str) -> provisiond::dns::TxtFuture<'a> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// Runs a future to completion on a fresh current-thread runtime (the blocking pool
/// comes with it).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Inserts an organization and connection `id` for the Okta fixtures (both IdP
/// certificates pinned, as during a rollover).
pub fn insert_okta_connection(app: &AppState, org_slug: &str, id: &str, allow_idp_initiated: bool) {
    let now = at(11, 0).naive_utc();
    let (org_slug, id) = (org_slug.to_owned(), id.to_owned());
    block_on(app.db.write(move |conn| {
        let org_id = format!("org_{org_slug}");
        insert_organization(
            conn,
            &NewOrganization {
                id: &org_id,
                slug: &org_slug,
                name: &org_slug,
                jit_enabled: true,
                sync_attributes_on_login: true,
                default_role: "member",
                max_seats: None,
                allow_privileged_from_idp: false,
                inactivity_suspend_days: None,
                created_at: now,
                updated_at: now,
            },
        )?;
        insert_connection(
            conn,
            &NewSamlConnection {
                id: &id,
                organization_id: &org_id,
                idp_entity_id: OKTA,
                idp_sso_redirect_url: Some("https://idp.example.com/sso"),
                idp_sso_post_url: None,
                attribute_mapping: r#"{"email":"email"}"#,
                group_role_mapping: "{}",
                allow_idp_initiated,
                default_redirect_uri: None,
                require_signed_assertion: false,
                allow_sha1: false,
                sign_authn_requests: false,
                clock_skew_secs: 180,
                created_at: now,
                updated_at: now,
            },
        )?;
        for (i, name) in ["idp-rsa", "idp-ec"].iter().enumerate() {
            let pem = fixture(&format!("keys/{name}.crt"));
            insert_certificate(
                conn,
                &NewConnectionCertificate {
                    id: &format!("{id}_cert_{i}"),
                    connection_id: &id,
                    certificate_pem: &pem,
                    fingerprint_sha256: name,
                    not_after: None,
                    created_at: now,
                },
            )?;
        }
        Ok::<_, StoreError>(())
    }))
    .unwrap();
}

/// Stores the pending request `id` for `connection` expiring at `expires_at`.
pub fn insert_pending(app: &AppState, connection: &str, id: &str, expires_at: DateTime<Utc>) {
    let (connection, id) = (connection.to_owned(), id.to_owned());
    block_on(app.db.write(move |conn| {
        insert_authn_request(
            conn,
            &NewAuthnRequest {
                id: &id,
                connection_id: &connection,
                relay_state: Some("rs-123"),
                redirect_uri: Some("https://app.example.com/cb"),
                created_at: at(12, 0).naive_utc(),
                expires_at: expires_at.naive_utc(),
                browser_binding_hash: None,
            },
        )
    }))
    .unwrap();
}

/// Runs a test body with a fresh database per backend: SQLite always, PostgreSQL when
/// configured.
#[macro_export]
macro_rules! saml_db_tests {
    ($($(#[$meta:meta])* fn $name:ident($db:ident) $body:block)*) => {
        mod sqlite {
            use super::*;
            $(#[test] $(#[$meta])* fn $name() {
                let $db = $crate::saml_support::TestDb::create($crate::support::Backend::Sqlite).unwrap();
                $body
            })*
        }
        mod postgres {
            use super::*;
            // A body's own attributes (an `#[ignore]` on a measurement) apply only where
            // the PostgreSQL one does not, so the two `ignore`s never meet.
            $(#[test]
            #[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
            $(#[cfg_attr(provisiond_test_pg, $meta)])* fn $name() {
                let $db = $crate::saml_support::TestDb::create($crate::support::Backend::Postgres)
                    .expect($crate::support::NO_POSTGRES);
                $body
            })*
        }
    };
}
