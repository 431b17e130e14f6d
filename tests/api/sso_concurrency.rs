//! Invariants 1 and 2 under concurrency, over HTTP: many simultaneous first logins of one
//! person (mixed with a SCIM create of that person) make one user; SAML and SCIM racing
//! for the last seats never exceed `max_seats`.

use std::sync::{Arc, Barrier};
use std::thread;

use serde_json::json;

use crate::backend_tests;
use crate::scim_support::directory;
use crate::sso_support::{setup, Acs};

const LOGINS: usize = 50;

backend_tests! {
    fn fifty_simultaneous_first_logins_and_a_scim_create_make_one_user(app) {
        let sso = setup(&app, "acme", json!({}), &[], json!({}));
        let scim = directory(&app, "acme");
        let email = sso.email("zoe");
        // Signed up front so the race is only the server's.
        let responses: Vec<String> = (0..LOGINS)
            .map(|_| sso.person("zoe").response_b64(&sso.acs_url, &sso.sp_entity_id))
            .collect();
        let barrier = Arc::new(Barrier::new(LOGINS + 1));
        let (outcomes, scim_status) = thread::scope(|s| {
            let logins: Vec<_> = responses
                .iter()
                .map(|b64| {
                    let (barrier, sso) = (barrier.clone(), &sso);
                    s.spawn(move || {
                        barrier.wait();
                        sso.post_raw(b64, None)
                    })
                })
                .collect();
            let scim_create = {
                let (barrier, scim, email) = (barrier.clone(), &scim, email.clone());
                s.spawn(move || {
                    barrier.wait();
                    // Another userName than JIT picks (the email): only the email
                    // says it is the same person.
                    scim.post("/Users", &json!({
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": "zoe",
                        "emails": [{"value": email, "primary": true}],
                    }))
                    .status()
                    .as_u16()
                })
            };
            let outcomes: Vec<Acs> = logins.into_iter().map(|h| h.join().unwrap()).collect();
            (outcomes, scim_create.join().unwrap())
        });
        for o in &outcomes {
            o.code(); // every login succeeded
        }
        assert_eq!(scim_status, 201, "created, or adopted the JIT record");
        let found = sso.scim_users(&scim.token, &format!("emails.value eq \"{email}\""));
        assert_eq!(found["totalResults"], 1);
        assert_eq!(sso.scim_users(&scim.token, "userName pr")["totalResults"], 1);
        assert_eq!(sso.events("user.created").len(), 1);
        assert_eq!(sso.events("user.login").len(), LOGINS);
        // Every exchange names the same user.
        let mut ids: Vec<String> = outcomes
            .iter()
            .take(5)
            .map(|o| {
                let p: serde_json::Value = sso.exchange(&o.code(), crate::sso_support::REDIRECT_URI).json().unwrap();
                p["user"]["id"].as_str().unwrap().to_owned()
            })
            .collect();
        ids.dedup();
        assert_eq!(ids.len(), 1);
    }

    fn saml_and_scim_racing_for_the_last_seats_never_exceed_the_limit(app) {
        const SEATS: usize = 10;
        const SEATED: usize = 5;
        let sso = setup(&app, "acme", json!({"max_seats": SEATS}), &[], json!({}));
        let scim = directory(&app, "acme");
        for i in 0..SEATED {
            scim.create_user(&sso.email(&format!("seated{i}")));
        }
        let responses: Vec<String> = (0..10)
            .map(|i| sso.person(&format!("saml{i}")).response_b64(&sso.acs_url, &sso.sp_entity_id))
            .collect();
        let contenders = responses.len() + 5;
        let barrier = Arc::new(Barrier::new(contenders));
        let admitted = thread::scope(|s| {
            let mut handles = Vec::new();
            for b64 in &responses {
                let (barrier, sso) = (barrier.clone(), &sso);
                handles.push(s.spawn(move || {
                    barrier.wait();
                    match sso.post_raw(b64, None) {
                        a @ Acs::Redirect { .. } if a.param("code").is_some() => true,
                        a => {
                            assert_eq!(a.error(), "seat_limit");
                            false
                        }
                    }
                }));
            }
            for i in 0..5 {
                let (barrier, scim, sso) = (barrier.clone(), &scim, &sso);
                handles.push(s.spawn(move || {
                    barrier.wait();
                    let email = sso.email(&format!("scim{i}"));
                    let status = scim.post("/Users", &json!({
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": email,
                    })).status().as_u16();
                    assert!(status == 201 || status == 403, "SCIM create: {status}");
                    status == 201
                }));
            }
            handles.into_iter().filter(|_| true).map(|h| h.join().unwrap()).filter(|ok| *ok).count()
        });
        assert_eq!(admitted, SEATS - SEATED);
        let active = sso.scim_users(&scim.token, "active eq true");
        assert_eq!(active["totalResults"], SEATS);
    }
}

/// Another writer (a SCIM create on another replica) holds an uncommitted user row for
/// `zed` — under `user_name`, having taken the per-person lock when `person_lock` — while
/// that person's first login runs; the login must link to that row once it commits.
/// PostgreSQL only: SQLite serializes writers in-process, so the interleaving cannot
/// happen there.
fn first_login_racing_an_uncommitted_create(user_name: &str, person_lock: bool) {
    use provisiond::store::identities::lock_person;
    use provisiond::store::users::{insert_user, NewUser};
    let app = crate::support::TestApp::builder(crate::support::Backend::Postgres)
        .start()
        .expect(crate::support::NO_POSTGRES);
    let sso = setup(&app, "acme", json!({}), &[], json!({}));
    let email = sso.email("zed");
    let db = provisiond::db::Database::connect(&app.database_url, 1).unwrap();
    let (org_id, other_email, user_name) =
        (sso.org_id.clone(), email.clone(), user_name.to_owned());
    let (held, rx) = std::sync::mpsc::channel();
    let other = thread::spawn(move || {
        db.write_blocking(|conn| {
            let now = chrono::Utc::now().naive_utc();
            let lower = other_email.to_lowercase();
            if person_lock {
                lock_person(conn, &org_id, &lower)?;
            }
            let name_lower = user_name.to_lowercase();
            insert_user(
                conn,
                &NewUser {
                    id: "other-replica-user",
                    organization_id: &org_id,
                    user_name: &user_name,
                    user_name_lower: &name_lower,
                    external_id: None,
                    email: Some(&other_email),
                    email_lower: Some(&lower),
                    given_name: None,
                    family_name: None,
                    display_name: None,
                    active: true,
                    state: provisiond::domain::UserState::Active,
                    provisioned_by: provisiond::domain::Provenance::Scim,
                    attributes: "{}",
                    version: 1,
                    created_at: now,
                    updated_at: now,
                },
            )?;
            held.send(()).unwrap();
            // Long enough for the login to reach the lock or the index and wait there.
            thread::sleep(std::time::Duration::from_millis(1500));
            Ok::<_, provisiond::store::StoreError>(())
        })
    });
    rx.recv().unwrap();
    let acs = sso.post(&sso.person("zed"));
    other.join().unwrap().unwrap();
    let p: serde_json::Value = sso
        .exchange(&acs.code(), crate::sso_support::REDIRECT_URI)
        .json()
        .unwrap();
    assert_eq!(p["user"]["id"], "other-replica-user");
    assert_eq!(p["is_new_user"], false);
    assert!(sso.events("user.created").is_empty());
}

/// The race the retry exists for: same userName, no person lock; the login's insert
/// waits on the unique index, fails when the other commits, and the retried transaction
/// links. Fails with the retry removed.
#[test]
#[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
fn postgres_first_login_racing_an_uncommitted_create_links_to_it() {
    first_login_racing_an_uncommitted_create("zed@acme.example", false);
}

/// The race the per-person lock exists for: another userName, so no unique index can
/// meet the two creators; the login waits on the lock and then finds the person by
/// email. Fails with the lock removed from the login (two users).
#[test]
#[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
fn postgres_first_login_waits_for_a_create_of_the_same_person_under_another_user_name() {
    first_login_racing_an_uncommitted_create("zed.other", true);
}
