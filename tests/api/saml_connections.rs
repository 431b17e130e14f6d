//! SAML connections over the admin API: from fields and from IdP metadata, validation
//! errors that name the field, rollover by PATCH, events, tenant isolation, the public
//! SP metadata endpoint, and the AES-CBC opt-in that needs the connection's own SP key.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::saml_support::{fixture, OKTA};

fn pem(name: &str) -> String {
    fixture(&format!("keys/{name}.crt"))
}

/// The Okta metadata fixture with its certificate filled in (as the SAML library tests do).
fn okta_metadata() -> String {
    let body: String = pem("idp-rsa")
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    fixture("metadata/okta-idp.xml").replace("{{IDP_RSA_CERT}}", &body)
}

fn fields() -> Value {
    json!({
        "idp_entity_id": OKTA,
        "idp_sso_url": "https://example.okta.com/app/x/sso/saml",
        "idp_certificates": [pem("idp-rsa")],
    })
}

fn error(res: reqwest::blocking::Response, status: u16) -> Value {
    assert_eq!(res.status(), status);
    res.json().unwrap()
}

backend_tests! {
    fn connection_crud_from_fields(app) {
        app.create_org("acme");
        let mut body = fields();
        body["attribute_mapping"] = json!({"email": "user.email", "groups": "groups"});
        body["default_redirect_uri"] = json!("https://app.example.com/after");
        // Not on the allow-list yet: refused when saved, not at the first login.
        let res = app.admin_post("/admin/v1/organizations/acme/saml-connections", body.clone());
        assert_eq!(error(res, 422)["field"], "default_redirect_uri");
        let res = app.admin_post("/admin/v1/redirect-uris", json!({"uri": "https://app.example.com/after"}));
        assert_eq!(res.status(), 201);
        let res = app.admin_post("/admin/v1/organizations/acme/saml-connections", body);
        assert_eq!(res.status(), 201);
        let c: Value = res.json().unwrap();
        let id = c["id"].as_str().unwrap().to_owned();
        let base = "http://localhost:8080";
        assert_eq!(c["sp_entity_id"], format!("{base}/sso/saml/metadata/{id}"));
        assert_eq!(c["metadata_url"], format!("{base}/sso/saml/metadata/{id}"));
        assert_eq!(c["acs_url"], format!("{base}/sso/saml/acs/{id}"));
        assert_eq!(c["idp_entity_id"], OKTA);
        assert_eq!(c["idp_certificates"].as_array().unwrap().len(), 1);
        assert_eq!(c["idp_certificates"][0]["fingerprint_sha256"].as_str().unwrap().len(), 64);
        assert_eq!(c["allow_idp_initiated"], true, "IdP-initiated login is on by default");
        assert_eq!(c["allow_sha1"], false);
        assert_eq!(c["clock_skew_secs"], 180);
        assert_eq!(c["attribute_mapping"]["email"], "user.email");

        let path = format!("/admin/v1/organizations/acme/saml-connections/{id}");
        assert_eq!(app.admin_get(&path)["id"], id);
        assert_eq!(app.admin_get("/admin/v1/organizations/acme/saml-connections")["data"].as_array().unwrap().len(), 1);

        // Rollover: pin the new certificate next to the old one; clear the redirect.
        let res = app.admin(Method::PATCH, &path).json(&json!({
            "idp_certificates": [pem("idp-rsa"), pem("idp-ec")],
            "allow_idp_initiated": false,
            "default_redirect_uri": null,
            "require_signed_assertion": true,
        })).send().unwrap();
        assert_eq!(res.status(), 200);
        let u: Value = res.json().unwrap();
        assert_eq!(u["idp_certificates"].as_array().unwrap().len(), 2);
        assert_eq!(u["allow_idp_initiated"], false);
        assert_eq!(u["require_signed_assertion"], true);
        assert_eq!(u["default_redirect_uri"], Value::Null);
        assert_eq!(u["attribute_mapping"]["groups"], "groups");

        let res = app.admin(Method::DELETE, &path).send().unwrap();
        assert_eq!(res.status(), 204);
        assert_eq!(app.admin(Method::GET, &path).send().unwrap().status(), 404);
        assert_eq!(app.get(&format!("/sso/saml/metadata/{id}")).send().unwrap().status(), 404);

        let types: Vec<String> = app.events().iter()
            .filter(|e| e["subject_id"] == id.as_str())
            .map(|e| e["type"].as_str().unwrap().to_owned()).collect();
        assert_eq!(types, ["connection.created", "connection.updated", "connection.deleted"]);
    }

    fn connection_from_idp_metadata(app) {
        app.create_org("acme");
        let res = app.admin_post("/admin/v1/organizations/acme/saml-connections",
            json!({"idp_metadata_xml": okta_metadata()}));
        assert_eq!(res.status(), 201);
        let c: Value = res.json().unwrap();
        assert_eq!(c["idp_entity_id"], OKTA);
        assert_eq!(c["idp_sso_url"], "https://example.okta.com/app/example_sp_1/exk1a2b3c4d5E6f7g8h9/sso/saml");
        assert_eq!(c["idp_certificates"].as_array().unwrap().len(), 1);
        assert_eq!(c["sign_authn_requests"], false);
        // The same IdP twice in one organization is a conflict.
        let e = error(app.admin_post("/admin/v1/organizations/acme/saml-connections", fields()), 409);
        assert_eq!(e["field"], "idp_entity_id");
        // Metadata without what a connection needs says what is missing.
        let no_sso = okta_metadata().replace("SingleSignOnService", "ArtifactResolutionService");
        let e = error(app.admin_post("/admin/v1/organizations/acme/saml-connections",
            json!({"idp_metadata_xml": no_sso})), 422);
        assert_eq!(e["field"], "idp_metadata_xml");
        assert!(e["message"].as_str().unwrap().contains("SingleSignOnService"), "{e}");
        let e = error(app.admin_post("/admin/v1/organizations/acme/saml-connections",
            json!({"idp_metadata_xml": "<!DOCTYPE x [<!ENTITY a 'b'>]><x/>"})), 422);
        assert_eq!(e["field"], "idp_metadata_xml");
    }

    fn validation_errors_name_the_field(app) {
        app.create_org("acme");
        let post = |body: Value| app.admin_post("/admin/v1/organizations/acme/saml-connections", body);
        let mut b = fields();
        b.as_object_mut().unwrap().remove("idp_entity_id");
        let e = error(post(b), 422);
        assert_eq!(e["field"], "idp_entity_id");
        let mut b = fields();
        b.as_object_mut().unwrap().remove("idp_certificates");
        assert_eq!(error(post(b), 422)["field"], "idp_certificates");
        let mut b = fields();
        b["idp_certificates"] = json!([pem("idp-rsa"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]);
        let e = error(post(b), 422);
        assert_eq!(e["field"], "idp_certificates[1]");
        let mut b = fields();
        b["idp_certificates"] = json!([]);
        assert_eq!(error(post(b), 422)["field"], "idp_certificates");
        let mut b = fields();
        b["idp_sso_url"] = json!("javascript:alert(1)");
        assert_eq!(error(post(b), 422)["field"], "idp_sso_url");
        let mut b = fields();
        b["idp_metadata_xml"] = json!(okta_metadata());
        assert_eq!(error(post(b), 422)["field"], "idp_entity_id");
        let mut b = fields();
        b["attribute_mapping"] = json!({"salary": "x"});
        assert_eq!(error(post(b), 422)["field"], "attribute_mapping.salary");
        let mut b = fields();
        b["group_role_mapping"] = json!({"Admins": "no-such-role"});
        assert_eq!(error(post(b), 422)["field"], "group_role_mapping.Admins");
        let mut b = fields();
        b["clock_skew_secs"] = json!(3600);
        assert_eq!(error(post(b), 422)["field"], "clock_skew_secs");
        let mut b = fields();
        b["surprise"] = json!(true);
        assert_eq!(error(post(b), 422)["field"], "surprise");
        // A privileged role cannot be granted from IdP groups by default.
        let res = app.admin_post("/admin/v1/organizations/acme/roles", json!({"key": "root", "name": "Root", "privileged": true}));
        assert_eq!(res.status(), 201);
        let mut b = fields();
        b["group_role_mapping"] = json!({"Admins": "root"});
        assert_eq!(error(post(b), 422)["field"], "group_role_mapping.Admins");
        // Nothing was written by any refused request.
        assert_eq!(app.admin_get("/admin/v1/organizations/acme/saml-connections")["data"].as_array().unwrap().len(), 0);
        assert_eq!(error(app.admin_post("/admin/v1/organizations/nope/saml-connections", fields()), 404)["error"], "not_found");
    }

    fn other_organizations_cannot_reach_a_connection(app) {
        app.create_org("acme");
        app.create_org("globex");
        let res = app.admin_post("/admin/v1/organizations/acme/saml-connections", fields());
        let id = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned();
        let foreign = format!("/admin/v1/organizations/globex/saml-connections/{id}");
        assert_eq!(app.admin(Method::GET, &foreign).send().unwrap().status(), 404);
        assert_eq!(app.admin(Method::PATCH, &foreign).json(&json!({"allow_sha1": true})).send().unwrap().status(), 404);
        assert_eq!(app.admin(Method::DELETE, &foreign).send().unwrap().status(), 404);
        assert_eq!(app.admin_get("/admin/v1/organizations/globex/saml-connections")["data"].as_array().unwrap().len(), 0);
        // Untouched.
        let c = app.admin_get(&format!("/admin/v1/organizations/acme/saml-connections/{id}"));
        assert_eq!(c["allow_sha1"], false);
        // Deleting the organization removes its connections.
        assert_eq!(app.admin(Method::DELETE, "/admin/v1/organizations/acme").send().unwrap().status(), 204);
        assert_eq!(app.get(&format!("/sso/saml/metadata/{id}")).send().unwrap().status(), 404);
    }

    fn sp_metadata_endpoint(app) {
        app.create_org("acme");
        let res = app.admin_post("/admin/v1/organizations/acme/saml-connections", fields());
        let c: Value = res.json().unwrap();
        let id = c["id"].as_str().unwrap();
        let res = app.get(&format!("/sso/saml/metadata/{id}")).send().unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().contains("samlmetadata+xml"));
        let xml = res.text().unwrap();
        let md = provisiond::saml::xml::parse(&xml, &Default::default()).unwrap();
        assert_eq!(md.root().attr("entityID"), c["sp_entity_id"].as_str());
        assert!(xml.contains(&format!("Location=\"{}\"", c["acs_url"].as_str().unwrap())));
        assert!(xml.contains("use=\"encryption\""));
        assert!(!xml.contains("use=\"signing\""));
        // Stable: the generated SP key is kept.
        assert_eq!(app.get(&format!("/sso/saml/metadata/{id}")).send().unwrap().text().unwrap(), xml);
        // Signing requests advertises the signing certificate.
        let path = format!("/admin/v1/organizations/acme/saml-connections/{id}");
        app.admin(Method::PATCH, &path).json(&json!({"sign_authn_requests": true})).send().unwrap();
        let xml = app.get(&format!("/sso/saml/metadata/{id}")).send().unwrap().text().unwrap();
        assert!(xml.contains("use=\"signing\"") && xml.contains("AuthnRequestsSigned=\"true\""));
        assert_eq!(app.get("/sso/saml/metadata/unknown").send().unwrap().status(), 404);
    }

    fn per_connection_sp_key_pair(app) {
        app.create_org("acme");
        let post = |body: Value| app.admin_post("/admin/v1/organizations/acme/saml-connections", body);
        let key = fixture("keys/sp-rsa.key");
        let mut b = fields();
        b["sp_private_key_pem"] = json!(key);
        assert_eq!(error(post(b.clone()), 422)["field"], "sp_certificate_pem");
        b["sp_certificate_pem"] = json!(pem("idp-rsa"));
        let e = error(post(b.clone()), 422);
        assert_eq!(e["field"], "sp_certificate_pem");
        assert!(e["message"].as_str().unwrap().contains("does not match"), "{e}");
        b["sp_certificate_pem"] = json!(pem("sp-rsa"));
        let res = post(b);
        assert_eq!(res.status(), 201);
        let c: Value = res.json().unwrap();
        assert_eq!(c["sp_key"], "connection");
        assert!(!c.to_string().contains("PRIVATE KEY"));
        let xml = app.get(&format!("/sso/saml/metadata/{}", c["id"].as_str().unwrap())).send().unwrap().text().unwrap();
        let body: String = pem("sp-rsa").lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(xml.contains(&body), "metadata advertises the connection's certificate");
        // Another connection keeps the server-wide pair.
        let mut other = fields();
        other["idp_entity_id"] = json!("https://other-idp.example.com");
        let o: Value = post(other).json().unwrap();
        assert_eq!(o["sp_key"], "server");
        let xml = app.get(&format!("/sso/saml/metadata/{}", o["id"].as_str().unwrap())).send().unwrap().text().unwrap();
        assert!(!xml.contains(&body));
    }

    fn patch_reimports_metadata_and_keeps_settings(app) {
        app.create_org("acme");
        let mut b = fields();
        b["idp_entity_id"] = json!("https://old-idp.example.com");
        b["idp_certificates"] = json!([pem("idp-ec")]);
        b["allow_idp_initiated"] = json!(false); // not the default: the PATCH must keep it
        let c: Value = app.admin_post("/admin/v1/organizations/acme/saml-connections", b).json().unwrap();
        let path = format!("/admin/v1/organizations/acme/saml-connections/{}", c["id"].as_str().unwrap());
        let res = app.admin(Method::PATCH, &path)
            .json(&json!({"idp_metadata_xml": okta_metadata(), "idp_entity_id": "x"})).send().unwrap();
        assert_eq!(error(res, 422)["field"], "idp_entity_id");
        let res = app.admin(Method::PATCH, &path).json(&json!({"idp_metadata_xml": okta_metadata()})).send().unwrap();
        assert_eq!(res.status(), 200);
        let u: Value = res.json().unwrap();
        assert_eq!(u["idp_entity_id"], OKTA);
        assert_eq!(u["idp_sso_post_url"], "https://example.okta.com/app/example_sp_1/exk1a2b3c4d5E6f7g8h9/sso/saml");
        assert_eq!(u["idp_certificates"].as_array().unwrap().len(), 1);
        assert_ne!(u["idp_certificates"][0]["fingerprint_sha256"], c["idp_certificates"][0]["fingerprint_sha256"]);
        assert_eq!(u["allow_idp_initiated"], false);
        // A bad certificate in a PATCH changes nothing.
        let res = app.admin(Method::PATCH, &path)
            .json(&json!({"idp_certificates": ["junk"], "allow_idp_initiated": true})).send().unwrap();
        assert_eq!(error(res, 422)["field"], "idp_certificates[0]");
        assert_eq!(app.admin_get(&path)["allow_idp_initiated"], false);
    }

    fn attribute_preset_is_validated_stored_and_returned(app) {
        app.create_org("acme");
        let post = |body: Value| app.admin_post("/admin/v1/organizations/acme/saml-connections", body);
        // Absent: `default`.
        let c: Value = post(fields()).json().unwrap();
        assert_eq!(c["attribute_preset"], "default");
        let path = format!("/admin/v1/organizations/acme/saml-connections/{}", c["id"].as_str().unwrap());

        // Unknown names (case matters) are a 422 naming the field, and nothing is created.
        for bad in [json!("adfs"), json!("Okta"), json!("")] {
            let mut b = fields();
            b["idp_entity_id"] = json!("https://other-idp.example.com");
            b["attribute_preset"] = bad;
            let e = error(post(b), 422);
            assert_eq!(e["field"], "attribute_preset");
            assert!(e["message"].as_str().unwrap().contains("default, okta, entra, google, onelogin"), "{e}");
        }
        assert_eq!(app.admin_get("/admin/v1/organizations/acme/saml-connections")["data"].as_array().unwrap().len(), 1);

        // Each preset round-trips through create and GET.
        for (i, preset) in ["okta", "entra", "google", "onelogin", "default"].iter().enumerate() {
            let mut b = fields();
            b["idp_entity_id"] = json!(format!("https://idp{i}.example.com"));
            b["attribute_preset"] = json!(preset);
            let res = post(b);
            assert_eq!(res.status(), 201);
            let v: Value = res.json().unwrap();
            assert_eq!(v["attribute_preset"], *preset);
            let got = app.admin_get(&format!("/admin/v1/organizations/acme/saml-connections/{}", v["id"].as_str().unwrap()));
            assert_eq!(got["attribute_preset"], *preset);
        }

        // PATCH changes it, leaves it alone when absent, and refuses unknown names.
        let res = app.admin(Method::PATCH, &path).json(&json!({"attribute_preset": "entra"})).send().unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().unwrap()["attribute_preset"], "entra");
        let res = app.admin(Method::PATCH, &path).json(&json!({"allow_idp_initiated": true})).send().unwrap();
        assert_eq!(res.json::<Value>().unwrap()["attribute_preset"], "entra");
        let res = app.admin(Method::PATCH, &path)
            .json(&json!({"attribute_preset": "ping", "allow_idp_initiated": false})).send().unwrap();
        assert_eq!(error(res, 422)["field"], "attribute_preset");
        let now = app.admin_get(&path);
        assert_eq!(now["attribute_preset"], "entra");
        assert_eq!(now["allow_idp_initiated"], true);

        // The new mappable fields are accepted as overrides beside the preset.
        let res = app.admin(Method::PATCH, &path).json(&json!({
            "attribute_mapping": {"department": "dept", "employee_number": "empNo"},
        })).send().unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().unwrap()["attribute_mapping"]["employee_number"], "empNo");

        // The change is in the event feed with the preset.
        let last = app.events().into_iter().rev()
            .find(|e| e["type"] == "connection.updated").unwrap();
        assert_eq!(last["data"]["connection"]["attribute_preset"], "entra");
    }

    fn data_encryption_is_aes_gcm_unless_cbc_with_an_own_sp_key(app) {
        app.create_org("acme");
        let base = "/admin/v1/organizations/acme/saml-connections";
        let post = |body: Value| app.admin_post(base, body);
        let own_key = |b: &mut Value, name: &str| {
            b["sp_private_key_pem"] = json!(fixture(&format!("keys/{name}.key")));
            b["sp_certificate_pem"] = json!(pem(name));
        };
        // Absent: aes-gcm.
        let c: Value = post(fields()).json().unwrap();
        assert_eq!(c["data_encryption"], "aes-gcm");
        let path = format!("{base}/{}", c["id"].as_str().unwrap());

        // Unknown names, and aes-cbc on the server-wide key, are refused naming the field.
        let mut b = fields();
        b["idp_entity_id"] = json!("https://entra.example.com");
        for bad in ["AES-CBC", "aes-ctr", ""] {
            b["data_encryption"] = json!(bad);
            assert_eq!(error(post(b.clone()), 422)["field"], "data_encryption");
        }
        b["data_encryption"] = json!("aes-cbc");
        let e = error(post(b.clone()), 422);
        assert_eq!(e["field"], "data_encryption");
        assert!(e["message"].as_str().unwrap().contains("own SP key pair"), "{e}");
        assert_eq!(app.admin_get(base)["data"].as_array().unwrap().len(), 1, "nothing created");

        // With the connection's own pair: saved and shown.
        own_key(&mut b, "sp-rsa");
        let res = post(b);
        assert_eq!(res.status(), 201);
        let cbc: Value = res.json().unwrap();
        assert_eq!((&cbc["data_encryption"], &cbc["sp_key"]), (&json!("aes-cbc"), &json!("connection")));
        let cbc_path = format!("{base}/{}", cbc["id"].as_str().unwrap());
        assert_eq!(app.admin_get(&cbc_path)["data_encryption"], "aes-cbc");

        // PATCH: aes-cbc on the server-wide key is refused and changes nothing...
        let patch = |p: &str, body: Value| app.admin(Method::PATCH, p).json(&body).send().unwrap();
        let res = patch(&path, json!({"data_encryption": "aes-cbc", "allow_sha1": true}));
        assert_eq!(error(res, 422)["field"], "data_encryption");
        let now = app.admin_get(&path);
        assert_eq!((&now["data_encryption"], &now["allow_sha1"]), (&json!("aes-gcm"), &json!(false)));
        // ...and allowed with an own pair in the same request.
        let mut body = json!({"data_encryption": "aes-cbc"});
        own_key(&mut body, "attacker-rsa");
        let res = patch(&path, body);
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().unwrap()["data_encryption"], "aes-cbc");
        // Switching a key that served one family to the other needs a new pair, too.
        let res = patch(&cbc_path, json!({"data_encryption": "aes-gcm"}));
        assert_eq!(error(res, 422)["field"], "data_encryption");
        let mut body = json!({"data_encryption": "aes-gcm"});
        own_key(&mut body, "attacker-rsa");
        assert_eq!(patch(&cbc_path, body).json::<Value>().unwrap()["data_encryption"], "aes-gcm");
        // Other changes leave it alone; the event carries it.
        let res = patch(&path, json!({"allow_sha1": true}));
        assert_eq!(res.json::<Value>().unwrap()["data_encryption"], "aes-cbc");
        let last = app.events().into_iter().rev()
            .find(|e| e["type"] == "connection.updated").unwrap();
        assert_eq!(last["data"]["connection"]["data_encryption"], "aes-cbc");
    }
}

/// Serves `body` with `200 OK` to every request on 127.0.0.1 (an IdP's metadata URL), for
/// as long as the test runs; returns the URL.
fn serve_metadata(body: String) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/app/metadata", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/samlmetadata+xml\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    url
}

fn connection_from_a_metadata_url(backend: crate::support::Backend) {
    use crate::support::TestApp;
    // The harness allows 127.0.0.0/8 for outbound requests (an on-premises setting).
    let app = TestApp::builder(backend)
        .start()
        .expect(crate::support::NO_POSTGRES);
    app.create_org("acme");
    let url = serve_metadata(okta_metadata());
    let res = app.admin_post(
        "/admin/v1/organizations/acme/saml-connections",
        json!({ "idp_metadata_url": url }),
    );
    assert_eq!(res.status(), 201);
    let c: Value = res.json().unwrap();
    assert_eq!(c["idp_entity_id"], OKTA);
    assert_eq!(c["idp_certificates"].as_array().unwrap().len(), 1);
    // Both forms at once are ambiguous.
    let e = error(
        app.admin_post(
            "/admin/v1/organizations/acme/saml-connections",
            json!({ "idp_metadata_url": url, "idp_metadata_xml": okta_metadata() }),
        ),
        422,
    );
    assert_eq!(e["field"], "idp_metadata_url");

    // Without the setting, the same URL is an internal address: refused before any request.
    let guarded = TestApp::builder(backend)
        .outbound_allowed(vec![])
        .start()
        .expect(crate::support::NO_POSTGRES);
    guarded.create_org("acme");
    let e = error(
        guarded.admin_post(
            "/admin/v1/organizations/acme/saml-connections",
            json!({ "idp_metadata_url": url }),
        ),
        422,
    );
    assert_eq!(e["field"], "idp_metadata_url");
    assert!(
        e["message"].as_str().unwrap().contains("not allowed"),
        "{e}"
    );
}

#[test]
fn connection_from_a_metadata_url_sqlite() {
    connection_from_a_metadata_url(crate::support::Backend::Sqlite);
}

#[test]
#[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
fn connection_from_a_metadata_url_postgres() {
    connection_from_a_metadata_url(crate::support::Backend::Postgres);
}
