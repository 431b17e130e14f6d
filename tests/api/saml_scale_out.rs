//! The scale-out story (design invariant 7): two replicas — two independent `AppState`s,
//! each with its own connection pool, as two provisiond processes would have — on ONE
//! database. A response accepted by one is refused as a replay by the other, both when
//! they race and when it arrives later. On PostgreSQL this is the production shape;
//! SQLite (two pools on one file) is checked too.

use provisiond::sso::login::validate_and_consume;
use provisiond::sso::SsoError;
use std::sync::{Arc, Barrier};

use crate::saml_db_tests;
use crate::saml_support::*;
use crate::support::process::ServerProcess;

const KEY: &str = "scale-out-admin-key-0123456789abcdef";

/// Two real `provisiond serve` processes on one database fetch SP metadata at the same
/// moment: the server-wide SP key is generated once (insert-or-reselect) and both
/// advertise the same certificate.
fn two_processes_share_one_sp_key(url: &str) {
    let a = ServerProcess::start(url, KEY);
    let b = ServerProcess::start(url, KEY);
    let client = reqwest::blocking::Client::new();
    let res = client
        .post(a.url("/admin/v1/organizations"))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"name": "Acme", "slug": "acme"}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = client
        .post(a.url("/admin/v1/organizations/acme/saml-connections"))
        .bearer_auth(KEY)
        .json(&serde_json::json!({
            "idp_entity_id": OKTA,
            "idp_sso_url": "https://idp.example.com/sso",
            "idp_certificates": [fixture("keys/idp-rsa.crt")],
        }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<serde_json::Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = [a.url(""), b.url("")]
        .into_iter()
        .map(|base| {
            let (barrier, id) = (barrier.clone(), id.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let res = reqwest::blocking::get(format!("{base}/sso/saml/metadata/{id}")).unwrap();
                assert_eq!(res.status(), 200);
                res.text().unwrap()
            })
        })
        .collect();
    let xml: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(xml[0], xml[1]);
    let again = reqwest::blocking::get(b.url(&format!("/sso/saml/metadata/{id}")))
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(again, xml[0]);
}

/// Both replicas submit `fixture` at the same instant; returns each one's outcome.
fn race(
    a: &provisiond::app::AppState,
    b: &provisiond::app::AppState,
    fixture: &str,
) -> Vec<Result<(), SsoError>> {
    let barrier = Arc::new(Barrier::new(2));
    let value = b64(fixture);
    let handles: Vec<_> = [a.clone(), b.clone()]
        .into_iter()
        .map(|app| {
            let (barrier, value) = (barrier.clone(), value.clone());
            std::thread::spawn(move || {
                barrier.wait();
                block_on(validate_and_consume(&app, "conn_1", &value, at(12, 1))).map(|_| ())
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn exactly_one_accepted(outcomes: &[Result<(), SsoError>]) {
    let ok = outcomes.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "{outcomes:?}");
    for r in outcomes.iter().filter_map(|r| r.as_ref().err()) {
        assert!(matches!(r, SsoError::Replayed), "{r:?}");
    }
}

saml_db_tests! {
    fn two_server_processes_share_one_generated_sp_key(db) {
        two_processes_share_one_sp_key(&db.url);
    }

    fn replica_b_refuses_what_replica_a_accepted(db) {
        let (a, b) = (db.replica(), db.replica());
        insert_okta_connection(&a, "acme", "conn_1", true);
        insert_pending(&a, "conn_1", REQ, at(12, 10));
        block_on(validate_and_consume(&a, "conn_1", &b64("responses/okta-rsa-assertion.xml"), at(12, 1)))
            .unwrap();
        for f in ["responses/okta-rsa-assertion.xml", "responses/okta-rsa-idp-initiated.xml"] {
            let err = block_on(validate_and_consume(&b, "conn_1", &b64(f), at(12, 2))).unwrap_err();
            assert!(matches!(err, SsoError::Replayed), "{f}: {err:?}");
        }
    }

    fn racing_replicas_accept_an_idp_initiated_response_once(db) {
        let (a, b) = (db.replica(), db.replica());
        insert_okta_connection(&a, "acme", "conn_1", true);
        exactly_one_accepted(&race(&a, &b, "responses/okta-rsa-idp-initiated.xml"));
    }

    fn racing_replicas_accept_an_sp_initiated_response_once(db) {
        let (a, b) = (db.replica(), db.replica());
        insert_okta_connection(&a, "acme", "conn_1", false);
        insert_pending(&a, "conn_1", REQ, at(12, 10));
        exactly_one_accepted(&race(&a, &b, "responses/okta-rsa-assertion.xml"));
    }
}
