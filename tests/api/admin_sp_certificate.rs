//! `GET /admin/v1/organizations/{org}/saml-connections/{id}/sp-certificate`: the SP
//! certificate an IdP needs, as PEM — the same certificate the SP metadata carries, the
//! connection's own when it has a key pair, never another organization's.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::saml_support::{fixture, OKTA};

fn connection(app: &crate::support::TestApp, org: &str, extra: Value) -> String {
    let mut body = json!({
        "idp_entity_id": OKTA,
        "idp_sso_url": "https://example.okta.com/app/x/sso/saml",
        "idp_certificates": [fixture("keys/idp-rsa.crt")],
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let res = app.admin_post(
        &format!("/admin/v1/organizations/{org}/saml-connections"),
        body,
    );
    assert_eq!(res.status(), 201);
    res.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The base64 body of a PEM certificate, on one line.
fn pem_body(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>()
}

backend_tests! {
    fn sp_certificate_is_the_one_in_the_metadata(app) {
        app.create_org("acme");
        let id = connection(&app, "acme", json!({}));
        let cert = app.admin_get(&format!("/admin/v1/organizations/acme/saml-connections/{id}/sp-certificate"));
        assert_eq!(cert["connection_id"], id.as_str());
        assert_eq!(cert["sp_key"], "server");
        let pem = cert["certificate_pem"].as_str().unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
        assert_eq!(cert["fingerprint_sha256"].as_str().unwrap().len(), 64);
        assert!(cert["not_after"].is_string(), "{cert}");
        let metadata = app.get(&format!("/sso/saml/metadata/{id}")).send().unwrap().text().unwrap();
        let in_metadata: String = metadata
            .split("X509Certificate>")
            .nth(1)
            .unwrap()
            .trim_end_matches("</ds:")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        assert_eq!(pem_body(pem), in_metadata);
    }

    fn a_connections_own_key_pair_is_returned(app) {
        app.create_org("acme");
        let id = connection(&app, "acme", json!({
            "sp_private_key_pem": fixture("keys/sp-rsa.key"),
            "sp_certificate_pem": fixture("keys/sp-rsa.crt"),
        }));
        let cert = app.admin_get(&format!("/admin/v1/organizations/acme/saml-connections/{id}/sp-certificate"));
        assert_eq!(cert["sp_key"], "connection");
        assert_eq!(pem_body(cert["certificate_pem"].as_str().unwrap()), pem_body(&fixture("keys/sp-rsa.crt")));
        assert!(!cert.to_string().contains("PRIVATE KEY"), "the private key is never returned");
    }

    fn other_organizations_and_keyless_requests_get_nothing(app) {
        app.create_org("acme");
        app.create_org("globex");
        let id = connection(&app, "acme", json!({}));
        let path = format!("/admin/v1/organizations/globex/saml-connections/{id}/sp-certificate");
        let res = app.admin(Method::GET, &path).send().unwrap();
        assert_eq!(res.status(), 404);
        let res = app.get(&format!("/admin/v1/organizations/acme/saml-connections/{id}/sp-certificate")).send().unwrap();
        assert_eq!(res.status(), 401);
    }
}
