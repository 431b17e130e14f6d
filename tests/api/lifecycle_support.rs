//! Helpers for the lifecycle API tests: an app key and requests with it, reading the
//! event feed after a cursor, and users inserted straight through the store.
//!
//! JIT users are inserted through `provisiond::store` on the test's own connection to
//! the server's database (`TestApp::database_url`), because no API creates them until the
//! SAML ACS with JIT lands; the rows are exactly what JIT writes (`provisioned_by = 'jit'`,
//! optionally a SAML identity and `last_login_at`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use provisiond::app::{IdSource, RandomIds};
use provisiond::db::schema::users;
use provisiond::db::Database;
use provisiond::store::users::{insert_identity, insert_user, NewIdentity, NewUser};
use provisiond::store::StoreError;
use reqwest::blocking::Response;
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::TestApp;

pub struct Api<'a> {
    pub app: &'a TestApp,
    pub key: String,
}

/// An app API key for `app`, and requests with it.
pub fn api(app: &TestApp) -> Api<'_> {
    let res = app.admin_post("/admin/v1/api-keys", json!({"name": "backend"}));
    assert_eq!(res.status(), 201);
    let created: Value = res.json().unwrap();
    Api {
        app,
        key: created["key"].as_str().unwrap().to_owned(),
    }
}

impl Api<'_> {
    pub fn send(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut req = self
            .app
            .client
            .request(method, self.app.url(&format!("/api/v1{path}")))
            .bearer_auth(&self.key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().unwrap()
    }

    pub fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, None)
    }

    pub fn get_ok(&self, path: &str) -> Value {
        let res = self.get(path);
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().unwrap()
    }

    pub fn post(&self, path: &str, body: Value) -> Response {
        self.send(Method::POST, path, Some(body))
    }

    /// POST that must answer 200; returns the JSON.
    pub fn post_ok(&self, path: &str, body: Value) -> Value {
        let res = self.post(path, body);
        let status = res.status();
        let v: Value = res.json().unwrap();
        assert_eq!(status, 200, "POST {path}: {v}");
        v
    }

    /// The feed's current end (the cursor to read what happens next from).
    pub fn feed_end(&self) -> i64 {
        let mut after = 0;
        loop {
            let page = self.get_ok(&format!("/events?after={after}&limit=1000"));
            let next = page["next_after"].as_i64().unwrap();
            if next == after {
                return after;
            }
            after = next;
        }
    }

    /// Every event after `after`, oldest first.
    pub fn events_after(&self, after: i64) -> Vec<Value> {
        self.get_ok(&format!("/events?after={after}&limit=1000"))["data"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// The types of the events after `after`.
    pub fn types_after(&self, after: i64) -> Vec<String> {
        self.events_after(after)
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// A pool on the server's database.
pub fn db(app: &TestApp) -> Database {
    Database::connect(&app.database_url, 2).unwrap()
}

/// A user as JIT provisioning leaves it.
pub struct JitUser<'a> {
    pub organization_id: &'a str,
    pub email: &'a str,
    pub provisioned_by: &'a str,
    pub state: &'a str,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// `(source_kind, source_id, external_id)` identities to link.
    pub identities: Vec<(&'a str, &'a str, &'a str)>,
}

impl<'a> JitUser<'a> {
    pub fn new(organization_id: &'a str, email: &'a str, created_at: DateTime<Utc>) -> Self {
        JitUser {
            organization_id,
            email,
            provisioned_by: "jit",
            state: "active",
            created_at,
            last_login_at: None,
            identities: Vec::new(),
        }
    }
}

/// Inserts the user (and its identities); returns its id.
pub fn insert_jit_user(db: &Database, u: &JitUser<'_>) -> String {
    let id = RandomIds.id();
    let lower = u.email.to_lowercase();
    let now = u.created_at.naive_utc();
    db.write_blocking(|conn| {
        insert_user(
            conn,
            &NewUser {
                id: &id,
                organization_id: u.organization_id,
                user_name: u.email,
                user_name_lower: &lower,
                external_id: None,
                email: Some(u.email),
                email_lower: Some(&lower),
                given_name: None,
                family_name: None,
                display_name: None,
                active: u.state == "active",
                state: u.state.parse().unwrap(),
                provisioned_by: u.provisioned_by.parse().unwrap(),
                attributes: "{}",
                version: 1,
                created_at: now,
                updated_at: now,
            },
        )?;
        diesel::update(users::table.find(&id))
            .set(users::last_login_at.eq(u.last_login_at.map(|t| t.naive_utc())))
            .execute(conn)
            .map_err(StoreError::from)?;
        for (kind, source, ext) in &u.identities {
            insert_identity(
                conn,
                &NewIdentity {
                    id: &RandomIds.id(),
                    user_id: &id,
                    organization_id: u.organization_id,
                    source_kind: kind.parse().unwrap(),
                    source_id: source,
                    external_id: ext,
                    created_at: now,
                },
            )?;
        }
        Ok::<_, StoreError>(())
    })
    .unwrap();
    id
}

/// Sets an organization's settings through the admin API.
pub fn patch_org(app: &TestApp, org: &str, body: Value) -> Value {
    let res = app
        .admin(Method::PATCH, &format!("/admin/v1/organizations/{org}"))
        .json(&body)
        .send()
        .unwrap();
    let status = res.status();
    let v: Value = res.json().unwrap();
    assert_eq!(status, 200, "{v}");
    v
}
