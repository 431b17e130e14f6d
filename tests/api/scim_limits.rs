//! SCIM bounded work (issue #12, point 3): each size limit answers a clear 400 with its
//! `scimType`, nothing is written when one is crossed, and a Group naming many members
//! (repeated, or more than one statement's worth) costs a bounded number of statements.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::scim_support::{assert_scim_error, directory, Scim};
use provisiond::scim::limits::{
    MAX_ATTRIBUTE_NAMES, MAX_FILTER_BYTES, MAX_MEMBERS, MAX_MULTI_VALUES, MAX_PATCH_OPERATIONS,
    MAX_PATH_BYTES,
};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

fn patch_body(ops: Vec<Value>) -> Value {
    json!({ "schemas": [PATCH_OP], "Operations": ops })
}

fn emails(n: usize, prefix: &str) -> Vec<Value> {
    (0..n)
        .map(|i| json!({ "value": format!("{prefix}{i}@acme.test"), "type": format!("t{i}") }))
        .collect()
}

/// `n` users of the directory's organization, created over SCIM.
fn users(scim: &Scim<'_>, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            scim.create_user(&format!("u{i}@acme.test"))["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

backend_tests! {
    fn filters_longer_than_the_limit_are_invalid_filter(app) {
        let scim = directory(&app, "acme");
        let value = "x".repeat(MAX_FILTER_BYTES);
        let long = format!("userName eq \"{value}\"");
        let q = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", &long)
            .finish();
        let body = json!({ "schemas": [SEARCH], "filter": long });
        let res = scim.post("/Users/.search", &body);
        let e = assert_scim_error(res, 400, Some("invalidFilter"));
        assert!(e["detail"].as_str().unwrap().contains("longer than"), "{e}");
        let res = scim.get(&format!("/Users?{q}"));
        // The query string may hit the HTTP head limit first; either way a clear 4xx.
        assert!(res.status().is_client_error(), "{}", res.status());
        // Just under the limit is an ordinary filter.
        let ok = format!("userName eq \"{}\"", &value[..MAX_FILTER_BYTES - 20]);
        let res = scim.post("/Users/.search", &json!({ "schemas": [SEARCH], "filter": ok }));
        assert_eq!(res.status(), 200);
    }

    fn patch_operation_count_and_path_length_are_bounded(app) {
        let scim = directory(&app, "acme");
        let u = scim.create_user("a@acme.test");
        let path = format!("/Users/{}", u["id"].as_str().unwrap());
        let op = json!({ "op": "replace", "path": "title", "value": "t" });
        let res = scim.patch(&path, &patch_body(vec![op.clone(); MAX_PATCH_OPERATIONS + 1]));
        let e = assert_scim_error(res, 400, Some("invalidSyntax"));
        assert!(e["detail"].as_str().unwrap().contains("operations"), "{e}");
        let res = scim.patch(&path, &patch_body(vec![op; MAX_PATCH_OPERATIONS]));
        assert_eq!(res.status(), 200);
        let long = format!("title{}", " ".repeat(MAX_PATH_BYTES));
        let res = scim.patch(&path, &patch_body(vec![json!({ "op": "replace", "path": long, "value": "x" })]));
        assert_scim_error(res, 400, Some("invalidPath"));
        let res = scim.get(&format!("/Users?sortBy={}", "a".repeat(MAX_PATH_BYTES + 1)));
        assert_scim_error(res, 400, Some("invalidValue"));
    }

    fn multi_valued_attributes_are_bounded_in_requests_and_after_each_op(app) {
        let scim = directory(&app, "acme");
        let body = json!({ "userName": "many@acme.test", "emails": emails(MAX_MULTI_VALUES + 1, "e") });
        assert_scim_error(scim.post("/Users", &body), 400, Some("invalidValue"));
        let u = scim.create_user("b@acme.test");
        let path = format!("/Users/{}", u["id"].as_str().unwrap());
        let half = MAX_MULTI_VALUES / 2 + 1;
        // Each op alone is within the limit; together they would grow the list past it.
        let ops = vec![
            json!({ "op": "add", "path": "emails", "value": emails(half, "x") }),
            json!({ "op": "add", "path": "emails", "value": emails(half, "y") }),
        ];
        let e = assert_scim_error(scim.patch(&path, &patch_body(ops)), 400, Some("invalidValue"));
        assert!(e["detail"].as_str().unwrap().contains("Operations[1]"), "{e}");
        let after = scim.get_ok(&path);
        assert_eq!(after["emails"].as_array().unwrap().len(), 1, "nothing written");
        let res = scim.patch(&path, &patch_body(vec![json!({ "op": "add", "path": "phoneNumbers",
            "value": (0..=MAX_MULTI_VALUES).map(|i| json!({"value": format!("+1{i}")})).collect::<Vec<_>>() })]));
        assert_scim_error(res, 400, Some("invalidValue"));
    }

    fn attribute_lists_are_bounded(app) {
        let scim = directory(&app, "acme");
        let names = vec!["userName"; MAX_ATTRIBUTE_NAMES + 1].join(",");
        assert_scim_error(scim.get(&format!("/Users?attributes={names}")), 400, Some("invalidValue"));
        assert_scim_error(scim.get(&format!("/Groups?excludedAttributes={names}")), 400, Some("invalidValue"));
        let u = scim.create_user("c@acme.test");
        let res = scim.get(&format!("/Users/{}?attributes={names}", u["id"].as_str().unwrap()));
        assert_scim_error(res, 400, Some("invalidValue"));
        let body = json!({ "schemas": [SEARCH], "attributes": vec!["userName"; MAX_ATTRIBUTE_NAMES + 1] });
        assert_scim_error(scim.post("/Users/.search", &body), 400, Some("invalidValue"));
        let ok = vec!["userName"; MAX_ATTRIBUTE_NAMES].join(",");
        assert_eq!(scim.get(&format!("/Users?attributes={ok}")).status(), 200);
    }

    fn member_counts_are_bounded_before_any_lookup(app) {
        let scim = directory(&app, "acme");
        let too_many: Vec<Value> = (0..=MAX_MEMBERS).map(|i| json!({ "value": i.to_string() })).collect();
        let res = scim.post("/Groups", &json!({ "displayName": "big", "members": too_many }));
        let e = assert_scim_error(res, 400, Some("invalidValue"));
        assert!(e["detail"].as_str().unwrap().contains("members"), "{e}");
        let g: Value = scim.post("/Groups", &json!({ "displayName": "g" })).json().unwrap();
        let path = format!("/Groups/{}", g["id"].as_str().unwrap());
        // Two operations, each within the limit, naming more members together.
        let half: Vec<String> = (0..MAX_MEMBERS / 2 + 1).map(|i| i.to_string()).collect();
        let ops = vec![
            json!({ "op": "add", "path": "members", "value": half }),
            json!({ "op": "remove", "path": "members", "value": half }),
        ];
        assert_scim_error(scim.patch(&path, &patch_body(ops)), 400, Some("invalidValue"));
        assert!(app.events().iter().all(|e| e["type"] != "group.member_added"));
    }

    fn repeated_and_chunked_members_are_added_once_each(app) {
        let scim = directory(&app, "acme");
        // More than one statement's worth of ids (store::groups::ID_CHUNK), each named
        // three times, interleaved: the group gets each user once, one event each.
        let ids = users(&scim, 1050);
        let mut listed: Vec<Value> = Vec::new();
        for round in 0..3 {
            for (i, id) in ids.iter().enumerate() {
                if (i + round) % 2 == 0 || round == 1 {
                    listed.push(json!({ "value": id }));
                }
            }
        }
        let res = scim.post("/Groups", &json!({ "displayName": "all", "members": listed }));
        assert_eq!(res.status(), 201);
        let g: Value = res.json().unwrap();
        assert_eq!(g["members"].as_array().unwrap().len(), ids.len());
        let path = format!("/Groups/{}", g["id"].as_str().unwrap());
        let added = |app: &crate::support::TestApp| {
            app.events().into_iter().filter(|e| e["type"] == "group.member_added").count()
        };
        assert_eq!(added(&app), ids.len());
        // The feed stays gap-free and ordered across the batched inserts.
        let seqs: Vec<i64> = app.events().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "gap-free feed");
        // Removing them all, named twice, removes each once.
        let twice: Vec<Value> = ids.iter().chain(ids.iter()).map(|id| json!({ "value": id })).collect();
        let res = scim.patch(&path, &patch_body(vec![json!({ "op": "remove", "path": "members", "value": twice })]));
        assert_eq!(res.status(), 204);
        let removed = app.events().into_iter().filter(|e| e["type"] == "group.member_removed").count();
        assert_eq!(removed, ids.len());
        // An unknown id anywhere fails the whole request, nothing written.
        let mut bad: Vec<Value> = ids.iter().map(|id| json!({ "value": id })).collect();
        bad.push(json!({ "value": "no-such-user" }));
        let res = scim.patch(&path, &patch_body(vec![json!({ "op": "add", "path": "members", "value": bad })]));
        assert_scim_error(res, 400, Some("invalidValue"));
        assert_eq!(added(&app), ids.len());
        let _ = Method::GET;
    }
}

/// The statements behind a membership change of many users: a bounded number per
/// thousand members (`store::groups::ID_CHUNK`), never one or more per member. Counted
/// with diesel's instrumentation on a connection of our own to the test database.
#[test]
fn member_rows_and_their_events_take_a_few_statements_per_thousand() {
    use provisiond::changes::{record_changes, Actor, Change, ChangeContext};
    use provisiond::db::Database;
    use provisiond::store::groups::{add_members, existing_members, remove_members};

    let app = crate::support::TestApp::builder(crate::support::Backend::Sqlite)
        .start()
        .unwrap();
    let scim = directory(&app, "acme");
    let ids = users(&scim, 1200);
    let g: Value = scim
        .post("/Groups", &json!({ "displayName": "g" }))
        .json()
        .unwrap();
    let group = g["id"].as_str().unwrap().to_owned();
    let org = app.admin_get("/admin/v1/organizations/acme")["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let db = Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.get().unwrap();
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = statements.clone();
    diesel::connection::Connection::set_instrumentation(
        &mut *conn,
        move |event: diesel::connection::InstrumentationEvent<'_>| {
            if matches!(
                event,
                diesel::connection::InstrumentationEvent::StartQuery { .. }
            ) {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        },
    );
    let count = |f: &mut dyn FnMut()| {
        statements.store(0, Ordering::Relaxed);
        f();
        statements.load(Ordering::Relaxed)
    };
    let now = chrono::Utc::now();
    let n = count(&mut || add_members(&mut conn, &group, &ids, now.naive_utc()).unwrap());
    assert!(n <= 4, "add_members of {}: {n} statements", ids.len());
    let n = count(&mut || {
        assert_eq!(
            existing_members(&mut conn, &group, &ids).unwrap().len(),
            ids.len()
        )
    });
    assert!(n <= 4, "existing_members: {n} statements");
    let actor = Actor::system();
    let state_ids = provisiond::app::RandomIds;
    let ctx = ChangeContext {
        actor: &actor,
        request_id: None,
        now,
        ids: &state_ids,
    };
    let changes: Vec<Change<'_>> = ids
        .iter()
        .map(|u| Change {
            event_type: provisiond::domain::EventType::GroupMemberAdded,
            organization_id: Some(&org),
            subject_type: "group",
            subject_id: &group,
            data: json!({ "user": { "id": u } }),
        })
        .collect();
    let n = count(&mut || record_changes(&mut conn, &ctx, &changes).unwrap());
    assert!(
        n <= 8,
        "record_changes of {}: {n} statements",
        changes.len()
    );
    let n = count(&mut || {
        assert_eq!(
            remove_members(&mut conn, &group, &ids).unwrap().len(),
            ids.len()
        )
    });
    assert!(n <= 8, "remove_members: {n} statements");
}
