//! The login flow end to end over HTTP: `/sso/authorize` → IdP (the test IdP signs) →
//! `POST /sso/saml/acs/{connection}` → JIT policy → code → `POST /sso/token`.

use chrono::Duration;
use provisiond::app::Clock as _;
use reqwest::Method;
use serde_json::{json, Value};

use crate::scim_support::directory;
use crate::sso_support::{request_id_of, setup, Acs, Sso, REDIRECT_URI};
use crate::support::idp::{Login, NAMEID_EMAIL, NAMEID_TRANSIENT};
use crate::{backend_tests, backend_tests_with_clock};

fn plain<'a>(app: &'a crate::support::TestApp, slug: &str) -> Sso<'a> {
    setup(app, slug, json!({}), &[], json!({}))
}

fn role_keys(profile: &Value) -> Vec<(String, String)> {
    profile["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_owned(),
                r["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn user_count(sso: &Sso<'_>, scim_token: &str) -> u64 {
    sso.scim_users(scim_token, "userName pr")["totalResults"]
        .as_u64()
        .unwrap()
}

backend_tests! {
    fn sp_initiated_login_creates_then_second_login_updates(app) {
        let sso = plain(&app, "acme");
        let idp_url = sso.authorize("xyz-state");
        assert!(idp_url.starts_with("https://idp.test.example/sso?SAMLRequest="), "{idp_url}");
        let request_id = request_id_of(&idp_url);

        let login = sso.person("alice").attr("groups", &["Everyone"]).answering(&request_id);
        let acs = sso.post(&login);
        assert_eq!(acs.param("state").as_deref(), Some("xyz-state"));
        let Acs::Redirect { location, .. } = &acs else { unreachable!() };
        assert!(location.starts_with(REDIRECT_URI), "{location}");
        let res = sso.exchange(&acs.code(), REDIRECT_URI);
        assert_eq!(res.status(), 200);
        let p: Value = res.json().unwrap();
        assert_eq!(p["is_new_user"], true);
        assert_eq!(p["user"]["email"], sso.email("alice"));
        assert_eq!(p["user"]["given_name"], "Given");
        assert_eq!(p["user"]["state"], "active");
        assert_eq!(p["user"]["provisioned_by"], "jit");
        assert_eq!(p["user"]["identities"][0]["source_kind"], "saml");
        assert_eq!(p["user"]["identities"][0]["external_id"], "nid-alice");
        assert_eq!(p["organization"]["slug"], "acme");
        assert_eq!(role_keys(&p), vec![("member".to_owned(), "default".to_owned())]);
        assert_eq!(p["groups"], json!(["Everyone"]));
        assert_eq!(p["attributes"]["mapped"]["email"], sso.email("alice"));
        assert_eq!(p["attributes"]["raw"]["firstName"], json!(["Given"]));
        assert_eq!(p["connection"]["id"], sso.connection_id);
        assert!(p["session_expires_at"].is_string());
        let created = sso.events("user.created");
        assert_eq!(created.len(), 1);
        assert_eq!(created[0]["data"]["source"], "jit");
        assert_eq!(sso.events("identity.linked").len(), 1);
        assert_eq!(sso.events("user.login").len(), 1);

        // Second login, IdP-initiated, with a new surname: linked by NameID, synced.
        let p2 = sso.login(&sso.person("alice").attr("lastName", &["Married"]));
        assert_eq!(p2["is_new_user"], false);
        assert_eq!(p2["user"]["id"], p["user"]["id"]);
        assert_eq!(p2["user"]["family_name"], "Married");
        let updated = sso.events("user.updated");
        assert_eq!(updated.len(), 1);
        assert_eq!(updated[0]["data"]["changed"], json!(["family_name", "display_name"]), "display name follows the names");
        assert_eq!(sso.events("user.created").len(), 1);
        assert_eq!(sso.events("user.login").len(), 2);

        // SCIM sees the JIT user, by userName and by emails.value.
        let scim = directory(&app, "acme");
        let found = sso.scim_users(&scim.token, &format!("emails.value eq \"{}\"", sso.email("ALICE")));
        assert_eq!(found["totalResults"], 1);
        assert_eq!(found["Resources"][0]["name"]["familyName"], "Married");
    }

    fn idp_initiated_login_is_on_by_default_and_its_replay_refused(app) {
        let sso = plain(&app, "acme");
        let b64 = sso.person("bob").response_b64(&sso.acs_url, &sso.sp_entity_id);
        let acs = sso.post_raw(&b64, Some("from-dashboard"));
        acs.code();
        assert_eq!(acs.param("state").as_deref(), Some("from-dashboard"));
        // The same Response again: refused on provisiond's own page, nothing redirected.
        match sso.post_raw(&b64, None) {
            Acs::Page { status, body } => {
                assert_eq!(status, 403);
                assert!(body.contains("already used"), "{body}");
            }
            other => panic!("replay accepted: {other:?}"),
        }
        let failed = sso.events("sso.failed");
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0]["data"]["reason"], "replayed");

        // Turned off: an unsolicited Response is refused.
        let path = format!("/admin/v1/organizations/acme/saml-connections/{}", sso.connection_id);
        let res = app.admin(Method::PATCH, &path).json(&json!({"allow_idp_initiated": false})).send().unwrap();
        assert_eq!(res.status(), 200);
        match sso.post(&sso.person("bob")) {
            Acs::Page { status, .. } => assert_eq!(status, 403),
            other => panic!("{other:?}"),
        }
        assert_eq!(sso.events("sso.failed")[1]["data"]["reason"], "idp_initiated_not_allowed");
    }

    fn sync_off_keeps_the_profile(app) {
        let sso = setup(&app, "acme", json!({"sync_attributes_on_login": false}), &[], json!({}));
        sso.login(&sso.person("carol"));
        let p = sso.login(&sso.person("carol").attr("firstName", &["Caroline"]));
        assert_eq!(p["user"]["given_name"], "Given");
        assert!(sso.events("user.updated").is_empty());
    }

    fn jit_off_refuses_unknown_people_and_admits_known_ones(app) {
        let sso = setup(&app, "acme", json!({"jit_enabled": false}), &[], json!({}));
        let scim = directory(&app, "acme");
        scim.create_user(&sso.email("known"));
        let acs = sso.post(&sso.person("stranger"));
        assert_eq!(acs.error(), "jit_disabled");
        assert!(acs.param("error_description").unwrap().contains("not been set up"));
        let failed = sso.events("sso.failed");
        assert_eq!(failed[0]["data"]["reason"], "jit_disabled");
        assert_eq!(user_count(&sso, &scim.token), 1);

        let p = sso.login(&sso.person("known"));
        assert_eq!(p["user"]["provisioned_by"], "scim");
        assert_eq!(user_count(&sso, &scim.token), 1);
        // A JIT user the directory finds by filter and then PATCHes is the directory's now.
        let sso2 = setup(&app, "beta", json!({}), &[], json!({}));
        let scim2 = directory(&app, "beta");
        let jit = sso2.login(&sso2.person("late"));
        let id = jit["user"]["id"].as_str().unwrap();
        let res = scim2.patch(&format!("/Users/{id}"), &json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "title", "value": "Engineer"}],
        }));
        assert_eq!(res.status(), 200);
        assert_eq!(sso2.login(&sso2.person("late"))["user"]["provisioned_by"], "scim");
    }

    fn unverified_domain_is_refused(app) {
        let sso = plain(&app, "acme");
        let acs = sso.post(&Login::new("nid-x", "x@elsewhere.example"));
        assert_eq!(acs.error(), "domain_not_verified");
        assert!(sso.events("user.created").is_empty());
        // A domain claimed but not verified does not count either.
        let res = app.admin_post("/admin/v1/organizations/acme/domains", json!({"domain": "pending.example"}));
        assert_eq!(res.status(), 201);
        assert_eq!(sso.post(&Login::new("nid-y", "y@pending.example")).error(), "domain_not_verified");
    }

    fn seat_limit_refuses_a_new_user_and_writes_nothing(app) {
        let sso = setup(&app, "acme", json!({"max_seats": 1}), &[], json!({}));
        sso.login(&sso.person("first"));
        let before = app.events().len();
        let acs = sso.post(&sso.person("second"));
        assert_eq!(acs.error(), "seat_limit");
        let after = app.events();
        assert_eq!(after.len(), before + 1, "only the sso.failed event");
        assert_eq!(after.last().unwrap()["type"], "sso.failed");
        // The seated user still logs in.
        sso.login(&sso.person("first"));
    }

    fn scim_created_user_is_linked_not_duplicated(app) {
        let sso = plain(&app, "acme");
        let scim = directory(&app, "acme");
        let res = scim.post("/Users", &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": sso.email("dana"),
            "externalId": "00u-dana",
            "emails": [{"value": sso.email("dana"), "primary": true}],
        }));
        assert_eq!(res.status(), 201);
        let scim_user: Value = res.json().unwrap();
        let p = sso.login(&sso.person("dana"));
        assert_eq!(p["is_new_user"], false);
        assert_eq!(p["user"]["id"], scim_user["id"]);
        let kinds: Vec<&str> = p["user"]["identities"].as_array().unwrap().iter()
            .map(|i| i["source_kind"].as_str().unwrap()).collect();
        assert!(kinds.contains(&"scim") && kinds.contains(&"saml"), "{kinds:?}");
        assert_eq!(user_count(&sso, &scim.token), 1);
        // The next login matches on the NameID directly.
        assert_eq!(sso.login(&sso.person("dana"))["user"]["id"], scim_user["id"]);
    }

    fn a_scim_create_under_another_user_name_adopts_the_sso_user(app) {
        let sso = plain(&app, "acme");
        let scim = directory(&app, "acme");
        let jit = sso.login(&sso.person("ann"));
        let res = scim.post("/Users", &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ann.k",
            "externalId": "00u-ann",
            "emails": [{"value": sso.email("ann"), "primary": true}],
        }));
        assert_eq!(res.status(), 201);
        let adopted: Value = res.json().unwrap();
        assert_eq!(adopted["id"], jit["user"]["id"]);
        assert_eq!(adopted["userName"], "ann.k");
        assert_eq!(user_count(&sso, &scim.token), 1);
        let adoption = sso.events("user.updated").last().unwrap().clone();
        assert_eq!(adoption["data"]["adopted"], true);
        assert_eq!(adoption["data"]["previously_provisioned_by"], "jit");
        let p = sso.login(&sso.person("ann"));
        assert_eq!(p["user"]["id"], jit["user"]["id"]);
        assert_eq!(p["user"]["provisioned_by"], "scim", "the directory is its authority now");
        // A suspended SSO user is not adopted silently: the admin decides.
        let ben = sso.login(&sso.person("ben"));
        let id = ben["user"]["id"].as_str().unwrap();
        let res = app.client.post(app.url(&format!("/api/v1/users/{id}/suspend")))
            .bearer_auth(&sso.app_key).json(&json!({})).send().unwrap();
        assert_eq!(res.status(), 200);
        let res = scim.post("/Users", &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ben.k",
            "emails": [{"value": sso.email("ben")}],
        }));
        crate::scim_support::assert_scim_error(res, 409, Some("uniqueness"));
    }

    fn scim_suspended_and_deleted_users_are_refused_and_never_recreated(app) {
        let sso = plain(&app, "acme");
        let scim = directory(&app, "acme");
        let sus = scim.create_user(&sso.email("sus"));
        let gone = scim.create_user(&sso.email("gone"));
        sso.login(&sso.person("sus"));
        sso.login(&sso.person("gone"));
        let res = scim.patch(&format!("/Users/{}", sus["id"].as_str().unwrap()), &json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": false}}],
        }));
        assert_eq!(res.status(), 200);
        assert_eq!(scim.delete(&format!("/Users/{}", gone["id"].as_str().unwrap())).status(), 204);

        assert_eq!(sso.post(&sso.person("sus")).error(), "user_suspended");
        assert_eq!(sso.post(&sso.person("gone")).error(), "user_deprovisioned");
        // Not by NameID, not by email with a new NameID either.
        let new_nid = Login::new("nid-gone-2", &sso.email("gone"));
        assert_eq!(sso.post(&new_nid).error(), "user_deprovisioned");
        assert_eq!(sso.events("user.created").len(), 2, "only the two SCIM creates");
        assert!(sso.events("user.reactivated").is_empty());
    }

    fn group_role_mapping_never_grants_privileged_roles_unless_allowed(app) {
        let sso = setup(&app, "acme", json!({}), &[("editor", false), ("admin", true)],
            json!({"group_role_mapping": {"Editors": "editor"}}));
        let p = sso.login(&sso.person("erin").attr("groups", &["editors", "Everyone"]));
        assert_eq!(role_keys(&p), vec![("editor".to_owned(), "idp".to_owned())]);
        // The role becomes privileged after the mapping was saved: the next login drops it
        // back to the default role instead of granting it.
        let res = app.admin(Method::PATCH, "/admin/v1/organizations/acme/roles/editor")
            .json(&json!({"privileged": true})).send().unwrap();
        assert_eq!(res.status(), 200);
        let p = sso.login(&sso.person("erin").attr("groups", &["Editors"]));
        assert_eq!(role_keys(&p), vec![("member".to_owned(), "default".to_owned())]);
        assert_eq!(sso.events("role.unassigned")[0]["data"]["role"]["key"], "editor");
        // Clearing the mapping takes effect at the next login too.
        let res = app.admin(Method::PATCH, "/admin/v1/organizations/acme/roles/editor")
            .json(&json!({"privileged": false})).send().unwrap();
        assert_eq!(res.status(), 200);
        let p = sso.login(&sso.person("erin").attr("groups", &["Editors"]));
        assert_eq!(role_keys(&p), vec![("editor".to_owned(), "idp".to_owned())]);
        let path = format!("/admin/v1/organizations/acme/saml-connections/{}", sso.connection_id);
        let res = app.admin(Method::PATCH, &path).json(&json!({"group_role_mapping": {}})).send().unwrap();
        assert_eq!(res.status(), 200);
        let p = sso.login(&sso.person("erin").attr("groups", &["Editors"]));
        assert_eq!(role_keys(&p), vec![("member".to_owned(), "default".to_owned())]);

        // An organization that allows privileged roles from its IdP gets them.
        let sso2 = setup(&app, "beta", json!({"allow_privileged_from_idp": true}), &[("admin", true)],
            json!({"group_role_mapping": {"Admins": "admin"}}));
        let p = sso2.login(&sso2.person("root").attr("groups", &["Admins"]));
        assert_eq!(role_keys(&p), vec![("admin".to_owned(), "idp".to_owned())]);
    }

    fn a_name_id_linked_to_another_user_than_the_email_is_a_conflict(app) {
        let sso = plain(&app, "acme");
        let a = sso.login(&sso.person("ann"));
        sso.login(&sso.person("ben"));
        // Ann's NameID now asserting Ben's email.
        let acs = sso.post(&Login::new("nid-ann", &sso.email("ben")));
        assert_eq!(acs.error(), "identity_conflict");
        let failed = sso.events("sso.failed");
        assert_eq!(failed[0]["data"]["reason"], "identity_conflict");
        // A second IdP account (new NameID) claiming Ann's email is refused too.
        assert_eq!(sso.post(&Login::new("nid-impostor", &sso.email("ann"))).error(), "identity_conflict");
        assert_eq!(sso.login(&sso.person("ann"))["user"]["id"], a["user"]["id"]);
    }

    fn two_directory_users_matching_one_name_id_are_a_conflict(app) {
        let sso = plain(&app, "acme");
        let scim = directory(&app, "acme");
        scim.create_user("shared-id");
        let res = scim.post("/Users", &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "someone-else", "externalId": "shared-id",
        }));
        assert_eq!(res.status(), 201);
        assert_eq!(sso.post(&Login::new("shared-id", &sso.email("q"))).error(), "identity_conflict");
        // A transient NameID is never looked up in the directory at all.
        let t = Login::new("shared-id", &sso.email("q")).format(Some(NAMEID_TRANSIENT));
        assert_eq!(sso.login(&t)["user"]["provisioned_by"], "jit");
    }

    fn transient_and_email_name_ids_are_never_keys(app) {
        let sso = plain(&app, "acme");
        let t1 = sso.login(&Login::new("transient-1", &sso.email("tom")).format(Some(NAMEID_TRANSIENT)));
        let t2 = sso.login(&Login::new("transient-2", &sso.email("tom")).format(Some(NAMEID_TRANSIENT)));
        assert_eq!(t1["user"]["id"], t2["user"]["id"]);
        assert_eq!(t1["user"]["identities"], json!([]));
        let e = sso.login(&Login::new(&sso.email("eve"), &sso.email("eve")).format(Some(NAMEID_EMAIL)));
        assert_eq!(e["user"]["identities"], json!([]));
        assert!(sso.events("identity.linked").is_empty());
    }

    fn missing_email_is_refused_and_creates_nothing(app) {
        let sso = plain(&app, "acme");
        let acs = sso.post(&Login::new("opaque-id-123", "x").without_attr("email"));
        assert_eq!(acs.error(), "missing_email");
        assert!(sso.events("user.created").is_empty());
        // An email-format NameID is enough on its own.
        let p = sso.login(&Login::new(&sso.email("nid"), "x").without_attr("email").format(Some(NAMEID_EMAIL)));
        assert_eq!(p["user"]["email"], sso.email("nid"));
    }

    fn an_unverifiable_response_ends_on_the_error_page(app) {
        let sso = plain(&app, "acme");
        let xml = sso.person("mallory").response_xml(&sso.acs_url, &sso.sp_entity_id);
        let tampered = xml.replace("nid-mallory", "nid-admin");
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(tampered);
        match sso.post_raw(&b64, None) {
            Acs::Page { status, body } => {
                assert_eq!(status, 403);
                assert!(body.contains("<h1>Sign-in failed</h1>") && body.contains("could not verify"), "{body}");
                assert!(!body.contains("nid-admin"));
            }
            other => panic!("tampered response accepted: {other:?}"),
        }
        assert_eq!(sso.events("sso.failed")[0]["data"]["reason"], "assertion_signature");
        // Garbage and a missing field are pages too, never a 5xx.
        assert!(matches!(sso.post_raw("not base64!!", None), Acs::Page { status: 403, .. }));
        // Anyone can post junk: its events are throttled (one per reason per minute), every
        // failure is still counted in /metrics.
        for _ in 0..5 {
            assert!(matches!(sso.post_raw("not base64!!", None), Acs::Page { status: 403, .. }));
        }
        let junk: Vec<Value> = sso.events("sso.failed").into_iter()
            .filter(|e| e["data"]["reason"] != "assertion_signature").collect();
        assert_eq!(junk.len(), 1, "{junk:?}");
        let metrics = app.get("/metrics").send().unwrap().text().unwrap();
        // Under the public reason: the tampered post and the six junk posts alike.
        let line = "provisiond_sso_failures_total{reason=\"unverified_response\"} 7";
        assert!(metrics.contains(line), "{metrics}");
        let res = crate::sso_support::browser()
            .post(app.url(&format!("/sso/saml/acs/{}", sso.connection_id)))
            .form(&[("RelayState", "x")]).send().unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    }

    fn authorize_checks_its_parameters(app) {
        let sso = plain(&app, "acme");
        let b = crate::sso_support::browser();
        let get = |q: &[(&str, &str)]| b.get(app.url("/sso/authorize")).query(q).send().unwrap();
        let res = get(&[("organization", "acme"), ("redirect_uri", "https://evil.example/cb")]);
        assert_eq!(res.status(), 400);
        assert!(res.text().unwrap().contains("allowed redirect URI"));
        assert_eq!(get(&[("organization", "nope"), ("redirect_uri", REDIRECT_URI)]).status(), 404);
        assert_eq!(get(&[("redirect_uri", REDIRECT_URI)]).status(), 400);
        let by_domain = get(&[("domain", &sso.domain), ("redirect_uri", REDIRECT_URI)]);
        assert_eq!(by_domain.status(), 302);
        let by_conn = get(&[("connection", &sso.connection_id), ("redirect_uri", REDIRECT_URI)]);
        assert_eq!(by_conn.status(), 302);
        // A redirect URI added through the admin API works; the env list is listed too.
        let res = app.admin_post("/admin/v1/redirect-uris", json!({"uri": "https://other.example/cb"}));
        assert_eq!(res.status(), 201);
        assert_eq!(get(&[("organization", "acme"), ("redirect_uri", "https://other.example/cb")]).status(), 302);
        assert_eq!(app.admin_post("/admin/v1/redirect-uris", json!({"uri": "ftp://x"})).status(), 422);
    }
}

backend_tests_with_clock! {
    fn codes_are_single_use_short_lived_and_bound_to_the_redirect_uri(app, clock) {
        let sso = plain(&app, "acme");
        let login = || sso.person("kim").at(clock.now());
        let code = sso.post(&login()).code();
        let res = app.client.post(app.url("/sso/token")).json(&json!({"code": code, "redirect_uri": REDIRECT_URI})).send().unwrap();
        assert_eq!(res.status(), 401, "the app key is required");
        assert_eq!(sso.exchange(&code, REDIRECT_URI).status(), 200);
        let again = sso.exchange(&code, REDIRECT_URI);
        assert_eq!(again.status(), 400);
        assert_eq!(again.json::<Value>().unwrap()["error"], "invalid_grant");

        let code = sso.post(&login()).code();
        assert_eq!(sso.exchange(&code, "https://app.example/other").status(), 400);
        assert_eq!(sso.exchange(&code, REDIRECT_URI).status(), 400, "a mismatch burns the code");

        let code = sso.post(&login()).code();
        clock.advance(Duration::seconds(61));
        assert_eq!(sso.exchange(&code, REDIRECT_URI).status(), 400, "expired");
        assert_eq!(sso.exchange("made-up", REDIRECT_URI).status(), 400);
    }

    fn an_invitation_admits_a_contractor_once(app, clock) {
        let sso = setup(&app, "acme", json!({}), &[("contractor", false)], json!({}));
        let res = app.admin_post("/admin/v1/organizations/acme/invitations",
            json!({"email": "Cory@Outside.example", "role": "contractor", "expires_in_days": 7}));
        assert_eq!(res.status(), 201);
        let inv: Value = res.json().unwrap();
        assert_eq!(inv["status"], "pending");
        let cory = || Login::new("nid-cory", "cory@outside.example").at(clock.now());
        let p = sso.login(&cory());
        assert_eq!(p["user"]["id"], inv["user_id"]);
        assert_eq!(p["user"]["state"], "active");
        assert_eq!(p["user"]["provisioned_by"], "invite");
        assert_eq!(role_keys(&p), vec![("contractor".to_owned(), "manual".to_owned())]);
        assert_eq!(sso.events("invitation.accepted").len(), 1);
        // Accepted once; the contractor logs in again as a user, not through the invitation.
        assert_eq!(sso.login(&cory())["user"]["id"], inv["user_id"]);
        assert_eq!(sso.events("invitation.accepted").len(), 1);
        let path = format!("/admin/v1/organizations/acme/invitations/{}", inv["id"].as_str().unwrap());
        assert_eq!(app.admin(Method::DELETE, &path).send().unwrap().status(), 409);
        // Another contractor's invitation through the app API, left to expire.
        let invite_late = || app.client.post(app.url("/api/v1/organizations/acme/invitations"))
            .bearer_auth(&sso.app_key).json(&json!({"email": "late@outside.example", "expires_in_days": 1}))
            .send().unwrap();
        let res = invite_late();
        assert_eq!(res.status(), 201);
        let late_inv: Value = res.json().unwrap();
        assert_eq!(invite_late().status(), 409, "one pending invitation per email");
        clock.advance(Duration::days(2));
        let late = || Login::new("nid-late", "late@outside.example").at(clock.now());
        assert_eq!(sso.post(&late()).error(), "invitation_expired");
        // Invited again: the same record, admitted this time.
        let res = invite_late();
        assert_eq!(res.status(), 201);
        assert_eq!(res.json::<Value>().unwrap()["user_id"], late_inv["user_id"]);
        assert_eq!(sso.login(&late())["user"]["id"], late_inv["user_id"]);
        // A revoked invitation admits nobody either.
        let res = app.admin_post("/admin/v1/organizations/acme/invitations", json!({"email": "rev@outside.example"}));
        let rev: Value = res.json().unwrap();
        let path = format!("/admin/v1/organizations/acme/invitations/{}", rev["id"].as_str().unwrap());
        let res = app.admin(Method::DELETE, &path).send().unwrap();
        assert_eq!(res.status(), 200);
        let rev_login = Login::new("nid-rev", "rev@outside.example").at(clock.now());
        assert_eq!(sso.post(&rev_login).error(), "domain_not_verified");
        let listed = app.admin_get("/admin/v1/organizations/acme/invitations");
        let statuses: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap()).collect();
        assert_eq!(statuses.len(), 4);
        for status in ["accepted", "expired", "revoked"] {
            assert!(statuses.contains(&status), "{statuses:?}");
        }
    }
}

/// The test IdP's signatures verify with xmlsec1 (ignored, with the reason, where xmlsec1
/// was not on `PATH` at build time: `apt-get install xmlsec1`; see `build.rs`).
#[test]
#[cfg_attr(
    not(provisiond_test_xmlsec1),
    ignore = "needs xmlsec1 on PATH (apt-get install xmlsec1)"
)]
fn test_idp_output_verifies_with_xmlsec1() {
    let dir = tempfile::tempdir().unwrap();
    let login = Login::new("nid-x&<y>", "x@acme.example")
        .attr("groups", &["A & B", "<c>", "quote\"d"])
        .answering("_req-1");
    let good = dir.path().join("good.xml");
    std::fs::write(
        &good,
        login.response_xml("https://sp.example/acs", "https://sp.example/md"),
    )
    .unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/saml/check_test_idp.sh"
    );
    let out = std::process::Command::new(script)
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And xmlsec1 does reject a changed assertion (the check can fail).
    let bad = dir.path().join("bad.xml");
    let xml = std::fs::read_to_string(&good)
        .unwrap()
        .replace("x@acme.example", "y@acme.example");
    std::fs::write(&bad, xml).unwrap();
    let out = std::process::Command::new(script)
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

mod manual_roles {
    use super::*;

    backend_tests! {
        fn manual_roles_are_never_overwritten_by_login(app) {
            let sso = setup(&app, "acme", json!({}), &[("editor", false), ("viewer", false)],
                json!({"group_role_mapping": {"Editors": "editor"}}));
            let p = sso.login(&sso.person("mia").attr("groups", &["Editors"]));
            let id = p["user"]["id"].as_str().unwrap().to_owned();
            assert_eq!(role_keys(&p), vec![("editor".to_owned(), "idp".to_owned())]);
            let res = app.client.post(app.url(&format!("/api/v1/users/{id}/roles")))
                .bearer_auth(&sso.app_key).json(&json!({"role": "viewer"})).send().unwrap();
            assert_eq!(res.status(), 200);
            // Out of the Editors group: the IdP role goes, the manual one stays, and no
            // default role is added on top of a hand-picked one.
            let p = sso.login(&sso.person("mia").attr("groups", &["Everyone"]));
            assert_eq!(role_keys(&p), vec![("viewer".to_owned(), "manual".to_owned())]);
            let p = sso.login(&sso.person("mia").attr("groups", &["Editors"]));
            assert_eq!(role_keys(&p), vec![
                ("editor".to_owned(), "idp".to_owned()),
                ("viewer".to_owned(), "manual".to_owned()),
            ]);
        }
    }
}

mod inactivity {
    use super::*;

    backend_tests_with_clock! {
        fn jit_only_users_who_stop_logging_in_are_suspended_and_then_refused(app, clock) {
            let sso = setup(&app, "acme", json!({"inactivity_suspend_days": 30}), &[], json!({}));
            let scim = directory(&app, "acme");
            let gone = sso.login(&sso.person("gone").at(clock.now()));
            // A person the directory also holds is SCIM's to deprovision, not the policy's.
            scim.create_user(&sso.email("managed"));
            sso.login(&sso.person("managed").at(clock.now()));
            clock.advance(Duration::days(20));
            let regular = sso.login(&sso.person("regular").at(clock.now()));
            clock.advance(Duration::days(11));
            sso.login(&sso.person("regular").at(clock.now()));

            let res = app.client.post(app.url("/api/v1/organizations/acme/inactivity/run"))
                .bearer_auth(&sso.app_key).send().unwrap();
            assert_eq!(res.status(), 200);
            let run: Value = res.json().unwrap();
            let suspended: Vec<&str> = run["suspend"].as_array().unwrap().iter()
                .map(|u| u["id"].as_str().unwrap()).collect();
            assert_eq!(suspended, vec![gone["user"]["id"].as_str().unwrap()]);
            assert_eq!(sso.post(&sso.person("gone").at(clock.now())).error(), "user_suspended");
            assert_eq!(sso.login(&sso.person("regular").at(clock.now()))["user"]["id"], regular["user"]["id"]);
            assert_eq!(sso.events("user.suspended")[0]["data"]["reason"], "inactivity");
        }
    }
}
