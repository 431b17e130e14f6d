//! The inactivity policy over HTTP, on a manual clock: it suspends exactly the JIT-only
//! users inactive N days, deprovisions them M days later, the dry run matches the real
//! run, and concurrent runs (several replicas) change each user once.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use provisiond::app::Clock;
use serde_json::{json, Value};

use crate::lifecycle_support::{api, db, insert_jit_user, patch_org, JitUser};
use crate::support::{Backend, ManualClock, TestApp};

fn start(backend: Backend) -> (TestApp, Arc<ManualClock>) {
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap());
    let app = TestApp::builder(backend)
        .clock(clock.clone())
        .start()
        .expect(crate::support::NO_POSTGRES);
    (app, clock)
}

fn ids(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

fn set(items: &[&String]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).clone()).collect()
}

fn suspends_exactly_the_right_users_and_deprovisions_later(backend: Backend) {
    let (app, clock) = start(backend);
    let api = api(&app);
    let org = app.create_org("acme");
    let org_id = org["id"].as_str().unwrap();
    let other = app.create_org("other");
    let other_id = other["id"].as_str().unwrap();
    let db = db(&app);
    let now = clock.now();
    let days = |d: i64| now - Duration::days(d);

    // Off by default: nothing to do.
    let preview = api.get_ok("/organizations/acme/inactivity/preview");
    assert_eq!(
        (preview["suspend"].clone(), preview["deprovision"].clone()),
        (json!([]), json!([]))
    );

    let never_logged_in = insert_jit_user(&db, &JitUser::new(org_id, "a@acme.test", days(40)));
    let old_login = insert_jit_user(
        &db,
        &JitUser {
            last_login_at: Some(days(31)),
            ..JitUser::new(org_id, "b@acme.test", days(100))
        },
    );
    let saml_only = insert_jit_user(
        &db,
        &JitUser {
            identities: vec![("saml", "conn-1", "nameid-g")],
            ..JitUser::new(org_id, "g@acme.test", days(40))
        },
    );
    // Not affected: a recent login, a SCIM link, SCIM-provisioned, already suspended,
    // another organization without the policy, an invited user.
    let recent = insert_jit_user(
        &db,
        &JitUser {
            last_login_at: Some(days(5)),
            ..JitUser::new(org_id, "c@acme.test", days(100))
        },
    );
    let scim_linked = insert_jit_user(
        &db,
        &JitUser {
            identities: vec![("scim", "dir-1", "ext-d")],
            ..JitUser::new(org_id, "d@acme.test", days(40))
        },
    );
    let by_scim = insert_jit_user(
        &db,
        &JitUser {
            provisioned_by: "scim",
            ..JitUser::new(org_id, "e@acme.test", days(40))
        },
    );
    let suspended = insert_jit_user(
        &db,
        &JitUser {
            state: "suspended",
            ..JitUser::new(org_id, "f@acme.test", days(40))
        },
    );
    let elsewhere = insert_jit_user(&db, &JitUser::new(other_id, "h@other.test", days(400)));
    let invited = insert_jit_user(
        &db,
        &JitUser {
            state: "invited",
            provisioned_by: "invite",
            ..JitUser::new(org_id, "i@acme.test", days(40))
        },
    );
    let _ = (
        &recent,
        &scim_linked,
        &by_scim,
        &suspended,
        &elsewhere,
        &invited,
    );

    let updated = patch_org(
        &app,
        "acme",
        json!({"inactivity_suspend_days": 30, "inactivity_deprovision_days": 10}),
    );
    assert_eq!(updated["inactivity_deprovision_days"], 10);
    assert_eq!(
        app.admin_get("/admin/v1/organizations/acme")["inactivity_suspend_days"],
        30
    );

    let expected = set(&[&never_logged_in, &old_login, &saml_only]);
    let preview = api.get_ok("/organizations/acme/inactivity/preview");
    assert_eq!(ids(&preview["suspend"]), expected);
    assert_eq!(preview["deprovision"], json!([]));
    let cursor = api.feed_end();
    let run = api.post_ok("/organizations/acme/inactivity/run", json!({}));
    assert_eq!(
        ids(&run["suspend"]),
        expected,
        "the dry run matches the run"
    );
    let events = api.events_after(cursor);
    assert_eq!(events.len(), 3, "{events:?}");
    for e in &events {
        assert_eq!(e["type"], "user.suspended");
        assert_eq!(e["data"]["reason"], "inactivity");
        assert!(expected.contains(e["subject_id"].as_str().unwrap()));
    }
    let user = api.get_ok(&format!("/users/{never_logged_in}"));
    assert_eq!(
        (user["state"].as_str(), user["state_reason"].as_str()),
        (Some("suspended"), Some("inactivity"))
    );
    for untouched in [&recent, &scim_linked, &by_scim, &elsewhere] {
        assert_eq!(
            api.get_ok(&format!("/users/{untouched}"))["state"],
            "active"
        );
    }
    assert_eq!(
        api.get_ok(&format!("/users/{suspended}"))["state_reason"],
        Value::Null
    );
    assert_eq!(api.get_ok(&format!("/users/{invited}"))["state"], "invited");

    // A second run finds nothing.
    let cursor = api.feed_end();
    let again = api.post_ok("/organizations/acme/inactivity/run", json!({}));
    assert_eq!(
        (again["suspend"].clone(), again["deprovision"].clone()),
        (json!([]), json!([]))
    );
    assert!(api.events_after(cursor).is_empty());

    // The app reactivates one: that counts as activity, the policy leaves it alone.
    api.post_ok(&format!("/users/{old_login}/reactivate"), json!({}));

    // Deprovisioning comes M = 10 days after the suspension, not before.
    clock.advance(Duration::days(9));
    let preview = api.get_ok("/organizations/acme/inactivity/preview");
    assert_eq!(
        (preview["suspend"].clone(), preview["deprovision"].clone()),
        (json!([]), json!([]))
    );
    clock.advance(Duration::days(2));
    let preview = api.get_ok("/organizations/acme/inactivity/preview");
    let gone = set(&[&never_logged_in, &saml_only]);
    assert_eq!(ids(&preview["deprovision"]), gone);
    assert_eq!(preview["suspend"], json!([]));
    let cursor = api.feed_end();
    let run = api.post_ok("/organizations/acme/inactivity/run", json!({}));
    assert_eq!(
        ids(&run["deprovision"]),
        gone,
        "the dry run matches the run"
    );
    assert_eq!(
        api.types_after(cursor),
        ["user.deprovisioned", "user.deprovisioned"]
    );
    for id in &gone {
        let u = api.get_ok(&format!("/users/{id}"));
        assert_eq!(u["state"], "deprovisioned");
        assert_eq!(u["state_reason"], "inactivity");
    }
    assert_eq!(
        api.get_ok(&format!("/users/{old_login}"))["state"],
        "active"
    );

    // 30 days after its reactivation, the reactivated user is inactive again (and so is
    // the one whose last login is now 36 days old).
    clock.advance(Duration::days(20));
    assert_eq!(
        ids(&api.get_ok("/organizations/acme/inactivity/preview")["suspend"]),
        set(&[&old_login, &recent])
    );

    // Unknown organizations are 404.
    assert_eq!(
        api.get("/organizations/nope/inactivity/preview").status(),
        404
    );
    assert_eq!(
        api.post("/organizations/nope/inactivity/run", json!({}))
            .status(),
        404
    );
}

/// Several replicas running the policy at the same moment change each user once.
fn concurrent_runs_change_each_user_once(backend: Backend) {
    let (app, clock) = start(backend);
    let api = api(&app);
    let org = app.create_org("acme");
    let org_id = org["id"].as_str().unwrap().to_owned();
    let db = db(&app);
    let now = clock.now();
    for i in 0..12 {
        insert_jit_user(
            &db,
            &JitUser::new(
                &org_id,
                &format!("u{i}@acme.test"),
                now - Duration::days(60),
            ),
        );
    }
    patch_org(&app, "acme", json!({"inactivity_suspend_days": 30}));
    let cursor = api.feed_end();
    let runs: Vec<Value> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..3)
            .map(|_| s.spawn(|| api.post_ok("/organizations/acme/inactivity/run", json!({}))))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let total: usize = runs
        .iter()
        .map(|r| r["suspend"].as_array().unwrap().len())
        .sum();
    assert_eq!(total, 12, "each user suspended by exactly one run");
    let events = api.events_after(cursor);
    assert_eq!(events.len(), 12);
    let subjects: BTreeSet<&str> = events
        .iter()
        .map(|e| e["subject_id"].as_str().unwrap())
        .collect();
    assert_eq!(subjects.len(), 12);
}

#[test]
fn suspends_exactly_the_right_users_and_deprovisions_later_sqlite() {
    suspends_exactly_the_right_users_and_deprovisions_later(Backend::Sqlite);
}

#[test]
#[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
fn suspends_exactly_the_right_users_and_deprovisions_later_postgres() {
    suspends_exactly_the_right_users_and_deprovisions_later(Backend::Postgres);
}

#[test]
fn concurrent_runs_change_each_user_once_sqlite() {
    concurrent_runs_change_each_user_once(Backend::Sqlite);
}

#[test]
#[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
fn concurrent_runs_change_each_user_once_postgres() {
    concurrent_runs_change_each_user_once(Backend::Postgres);
}

struct NoDns;

impl provisiond::dns::TxtResolver for NoDns {
    fn lookup_txt<'a>(&'a self, _name: &'a str) -> provisiond::dns::TxtFuture<'a> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// The periodic worker (what `provisiond serve` spawns) applies the policy of every
/// organization that has one, as `system:inactivity`, with a second replica's worker
/// running at the same time.
fn the_periodic_worker_applies_every_policy(backend: Backend) {
    let (app, clock) = start(backend);
    let api = api(&app);
    let db = db(&app);
    let now = clock.now();
    let mut expected = BTreeSet::new();
    for slug in ["one", "two", "off"] {
        let org = app.create_org(slug);
        let id = insert_jit_user(
            &db,
            &JitUser::new(
                org["id"].as_str().unwrap(),
                &format!("x@{slug}.test"),
                now - Duration::days(90),
            ),
        );
        if slug != "off" {
            patch_org(&app, slug, json!({"inactivity_suspend_days": 60}));
            expected.insert(id);
        }
    }
    let cursor = api.feed_end();
    let replicas: Vec<_> = (0..2)
        .map(|_| {
            let layer = provisiond::config::ConfigLayer {
                database_url: Some(app.database_url.clone()),
                db_pool_size: Some(2),
                ..crate::support::shared_layer()
            };
            let config =
                provisiond::config::Config::load(None, &Default::default(), layer).unwrap();
            let state = provisiond::server::build_state(
                config,
                Some(clock.clone()),
                None,
                Some(Arc::new(NoDns)),
            )
            .unwrap();
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.spawn(provisiond::lifecycle::inactivity::run(
                state,
                std::time::Duration::from_millis(30),
            ));
            rt
        })
        .collect();
    // Waits for the workers' effect (wall time only paces the workers; the policy's
    // time is the manual clock).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let events = loop {
        let events = api.events_after(cursor);
        if events.len() >= 2 || std::time::Instant::now() > deadline {
            break events;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    // Several more ticks of both workers change nothing more.
    std::thread::sleep(std::time::Duration::from_millis(200));
    drop(replicas);
    let events_after_more_ticks = api.events_after(cursor);
    assert_eq!(
        events_after_more_ticks.len(),
        2,
        "{events_after_more_ticks:?}"
    );
    let subjects: BTreeSet<String> = events
        .iter()
        .map(|e| e["subject_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(subjects, expected);
    for e in &events {
        assert_eq!(e["type"], "user.suspended");
        assert_eq!(e["actor"], "system:inactivity");
        assert_eq!(e["data"]["reason"], "inactivity");
    }
}

#[test]
fn the_periodic_worker_applies_every_policy_sqlite() {
    the_periodic_worker_applies_every_policy(Backend::Sqlite);
}

#[test]
#[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
fn the_periodic_worker_applies_every_policy_postgres() {
    the_periodic_worker_applies_every_policy(Backend::Postgres);
}
