//! Domains: claim with a TXT token, verify through a real resolver against a DNS server on
//! 127.0.0.1, admin override, global uniqueness, delete.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::dns::TestDnsServer;
use crate::support::{Backend, TestApp};

fn dns_verification(backend: Backend) {
    let dns = TestDnsServer::start();
    let app = TestApp::builder(backend)
        .dns_server(dns.addr)
        .start()
        .expect(crate::support::NO_POSTGRES);
    app.create_org("acme");
    let res = app.admin_post(
        "/admin/v1/organizations/acme/domains",
        json!({"domain": "Acme.COM"}),
    );
    assert_eq!(res.status(), 201);
    let domain: Value = res.json().unwrap();
    assert_eq!(domain["domain"], "acme.com");
    assert_eq!(domain["verified"], false);
    let token = domain["verification_token"].as_str().unwrap();
    assert!(token.len() >= 32);
    assert_eq!(
        domain["txt_record"]["name"],
        "_provisiond-challenge.acme.com"
    );
    let expected = format!("provisiond-verification={token}");
    assert_eq!(domain["txt_record"]["value"], expected.as_str());
    let verify = format!(
        "/admin/v1/organizations/acme/domains/{}/verify",
        domain["id"].as_str().unwrap()
    );

    // Nothing published yet (NXDOMAIN), then the wrong value: both refused, nothing written.
    let res = app.admin_post(&verify, json!({}));
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().unwrap()["error"], "verification_failed");
    dns.set_txt(
        "_provisiond-challenge.acme.com",
        &["provisiond-verification=wrong", "v=spf1 -all"],
    );
    let res = app.admin(Method::POST, &verify).send().unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(
        app.admin_get("/admin/v1/organizations/acme/domains/acme.com")["verified"],
        false
    );

    dns.set_txt(
        "_provisiond-challenge.acme.com",
        &["v=spf1 -all", &expected],
    );
    let res = app.admin(Method::POST, &verify).send().unwrap();
    assert_eq!(res.status(), 200);
    let verified: Value = res.json().unwrap();
    assert_eq!(verified["verified"], true);
    assert_eq!(verified["verification_method"], "dns_txt");
    assert!(app.events().iter().any(|e| e["type"] == "domain.verified"));
}

#[test]
fn dns_verification_sqlite() {
    dns_verification(Backend::Sqlite);
}

#[test]
#[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
fn dns_verification_postgres() {
    dns_verification(Backend::Postgres);
}

crate::backend_tests! {
    fn admin_override_uniqueness_and_delete(app) {
        app.create_org("acme");
        app.create_org("globex");
        let res = app.admin_post("/admin/v1/organizations/acme/domains", json!({"domain": "acme.com", "verified": true}));
        assert_eq!(res.status(), 201);
        let d: Value = res.json().unwrap();
        assert_eq!(d["verified"], true);
        assert_eq!(d["verification_method"], "admin_override");

        // A domain belongs to one organization only.
        let res = app.admin_post("/admin/v1/organizations/globex/domains", json!({"domain": "ACME.com"}));
        assert_eq!(res.status(), 409);
        assert_eq!(res.json::<Value>().unwrap()["field"], "domain");

        // Override through the verify endpoint.
        let res = app.admin_post("/admin/v1/organizations/globex/domains", json!({"domain": "globex.io"}));
        let g: Value = res.json().unwrap();
        let res = app.admin_post(
            &format!("/admin/v1/organizations/globex/domains/{}/verify", g["id"].as_str().unwrap()),
            json!({"verified": true}),
        );
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().unwrap()["verified"], true);

        // Another org cannot see or delete acme's domain, even by id.
        let acme_domain = format!("/admin/v1/organizations/globex/domains/{}", d["id"].as_str().unwrap());
        assert_eq!(app.admin(Method::DELETE, &acme_domain).send().unwrap().status(), 404);

        let list = app.admin_get("/admin/v1/organizations/acme/domains");
        assert_eq!(list["data"].as_array().unwrap().len(), 1);
        let res = app.admin(Method::DELETE, "/admin/v1/organizations/acme/domains/acme.com").send().unwrap();
        assert_eq!(res.status(), 204);
        assert_eq!(app.admin_get("/admin/v1/organizations/acme/domains")["data"].as_array().unwrap().len(), 0);
        // Released: another organization may claim it now.
        let res = app.admin_post("/admin/v1/organizations/globex/domains", json!({"domain": "acme.com"}));
        assert_eq!(res.status(), 201);
    }

    fn invalid_domains_are_named(app) {
        app.create_org("acme");
        for bad in ["localhost", "not a domain", "", "a..b.com"] {
            let res = app.admin_post("/admin/v1/organizations/acme/domains", json!({"domain": bad}));
            assert_eq!(res.status(), 422, "{bad}");
            assert_eq!(res.json::<Value>().unwrap()["field"], "domain");
        }
    }
}
