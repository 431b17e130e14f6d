//! The development IdP simulator over HTTP, as a developer walks it: a connection created
//! from the simulator's metadata through the admin API, `/sso/authorize` → the simulator's
//! form → its auto-posted, signed Response → the ordinary ACS → the demo callback with a
//! code → `/sso/token` returns the profile. Also: IdP-initiated, the ACS refusing a
//! changed simulator Response (it is verified like any IdP's), bad input, and every
//! simulator route answering 404 when the setting is off.

use base64::Engine as _;
use reqwest::blocking::{Client, Response};
use serde_json::{json, Value};

use crate::sso_support::browser;
use crate::support::{Backend, TestApp};

const CALLBACK: &str = "http://localhost:8080/dev/callback";

/// A browser that follows nothing by itself and keeps cookies by hand (the login's
/// cookies, if any, must come back to the ACS as a browser would send them).
struct Browser<'a> {
    app: &'a TestApp,
    client: Client,
    cookies: Vec<String>,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            client: browser(),
            cookies: Vec::new(),
        }
    }

    /// `url` may be absolute on the public URL (`http://localhost:8080/…`): the request
    /// goes to the test server with the same path and query.
    fn local(&self, url: &str) -> String {
        let path = url.strip_prefix("http://localhost:8080").unwrap_or(url);
        self.app.url(path)
    }

    fn keep(&mut self, res: &Response) {
        for c in res.headers().get_all("set-cookie") {
            let pair = c.to_str().unwrap().split(';').next().unwrap().to_owned();
            let name = pair.split('=').next().unwrap().to_owned();
            self.cookies.retain(|k| !k.starts_with(&format!("{name}=")));
            self.cookies.push(pair);
        }
    }

    fn get(&mut self, url: &str) -> Response {
        let res = self
            .client
            .get(self.local(url))
            .header("cookie", self.cookies.join("; "))
            .send()
            .unwrap();
        self.keep(&res);
        res
    }

    fn post_form(&mut self, url: &str, form: &[(&str, &str)]) -> Response {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let res = self
            .client
            .post(self.local(url))
            .header("cookie", self.cookies.join("; "))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .unwrap();
        self.keep(&res);
        res
    }
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The value of the first `{marker}"…"` in `html`.
fn after(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(unescape(&html[start..end]))
}

fn location(res: &Response) -> String {
    assert_eq!(res.status(), 302, "expected a redirect");
    res.headers()["location"].to_str().unwrap().to_owned()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// An organization with a verified domain, the demo callback allowed, a connection
/// created from the simulator's metadata, and an app key. Returns (connection, app key).
fn setup(app: &TestApp) -> (Value, String) {
    app.create_org("acme");
    let res = app.admin_post(
        "/admin/v1/organizations/acme/domains",
        json!({"domain": "acme.example", "verified": true}),
    );
    assert_eq!(res.status(), 201);
    let res = app.admin_post("/admin/v1/redirect-uris", json!({"uri": CALLBACK}));
    assert_eq!(res.status(), 201);
    let res = app.get("/dev/idp/metadata").send().unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/samlmetadata+xml"
    );
    let metadata = res.text().unwrap();
    // The key is generated once and kept: the metadata does not change.
    assert_eq!(
        app.get("/dev/idp/metadata").send().unwrap().text().unwrap(),
        metadata
    );
    let res = app.admin_post(
        "/admin/v1/organizations/acme/saml-connections",
        json!({"idp_metadata_xml": metadata, "default_redirect_uri": CALLBACK}),
    );
    assert_eq!(res.status(), 201, "{}", res.text().unwrap());
    let connection: Value = res.json().unwrap();
    let res = app.admin_post("/admin/v1/api-keys", json!({"name": "demo"}));
    assert_eq!(res.status(), 201);
    let key: Value = res.json().unwrap();
    (connection, key["key"].as_str().unwrap().to_owned())
}

/// Fills in the simulator's form at `page_url` and returns the auto-post page's
/// (ACS URL, SAMLResponse, RelayState).
fn sign_in(
    b: &mut Browser<'_>,
    page_url: &str,
    form: &[(&str, &str)],
) -> (String, String, Option<String>) {
    let res = b.get(page_url);
    assert_eq!(res.status(), 200);
    let page = res.text().unwrap();
    for id in ["email", "first_name", "last_name", "groups"] {
        assert!(page.contains(&format!("<label for=\"{id}\">")), "{page}");
    }
    let action = after(&page, "action=\"").unwrap();
    assert!(action.starts_with("/dev/idp/sso?"), "{action}");
    let res = b.post_form(&action, form);
    assert_eq!(res.status(), 200);
    let page = res.text().unwrap();
    assert!(page.contains("document.forms[0].submit()"), "{page}");
    (
        after(&page, "action=\"").unwrap(),
        after(&page, "name=\"SAMLResponse\" value=\"").unwrap(),
        after(&page, "name=\"RelayState\" value=\""),
    )
}

fn exchange(app: &TestApp, key: &str, code: &str) -> Response {
    app.client
        .post(app.url("/sso/token"))
        .bearer_auth(key)
        .json(&json!({"code": code, "redirect_uri": CALLBACK}))
        .send()
        .unwrap()
}

const ADA: &[(&str, &str)] = &[
    ("email", "ada@acme.example"),
    ("first_name", "Ada"),
    ("last_name", "Lovelace"),
    ("groups", "engineering, admins ,engineering"),
];

/// The server under test: the simulator on.
fn start(backend: Backend) -> TestApp {
    TestApp::builder(backend)
        .idp_simulator()
        .start()
        .expect(crate::support::NO_POSTGRES)
}

/// Each test once per backend, like `backend_tests!`, on a server with the simulator on.
macro_rules! simulator_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                super::$name(&super::start(crate::support::Backend::Sqlite));
            })*
        }
        mod postgres {
            $(#[test]
            #[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
            fn $name() {
                super::$name(&super::start(crate::support::Backend::Postgres));
            })*
        }
    };
}

simulator_tests!(
    a_login_through_the_simulator_ends_in_a_code_exchange,
    idp_initiated_login_lands_on_the_default_redirect,
    the_acs_verifies_simulator_responses_like_any_idps,
    bad_input_gets_a_clear_400,
);
fn a_login_through_the_simulator_ends_in_a_code_exchange(app: &TestApp) {
    let (connection, key) = setup(app);
    let mut b = Browser::new(app);
    let res = b.get(&format!(
        "/sso/authorize?organization=acme&redirect_uri={CALLBACK}&state=st-1"
    ));
    let idp = location(&res);
    assert!(
        idp.starts_with("http://localhost:8080/dev/idp/sso?SAMLRequest="),
        "{idp}"
    );
    let (acs, saml_response, relay_state) = sign_in(&mut b, &idp, ADA);
    assert_eq!(acs, connection["acs_url"].as_str().unwrap());
    let relay_state = relay_state.expect("SP-initiated: the RelayState comes back");
    let res = b.post_form(
        &acs,
        &[
            ("SAMLResponse", &saml_response),
            ("RelayState", &relay_state),
        ],
    );
    let back = location(&res);
    assert!(back.starts_with(CALLBACK), "{back}");
    assert_eq!(query_param(&back, "state").as_deref(), Some("st-1"));
    let code = query_param(&back, "code").unwrap();

    // The demo callback shows the code and the exchange to make.
    let res = b.get(&back);
    assert_eq!(res.status(), 200);
    let page = res.text().unwrap();
    assert!(page.contains(&code) && page.contains("st-1"), "{page}");
    assert!(
        page.contains("/sso/token") && page.contains("$APP_KEY"),
        "{page}"
    );

    let res = exchange(app, &key, &code);
    assert_eq!(res.status(), 200);
    let profile: Value = res.json().unwrap();
    assert_eq!(profile["is_new_user"], true, "{profile}");
    assert_eq!(profile["organization"]["slug"], "acme", "{profile}");
    let user = profile["user"].to_string();
    for want in ["ada@acme.example", "Ada", "Lovelace"] {
        assert!(user.contains(want), "{want}: {profile}");
    }
    assert_eq!(
        profile["groups"],
        json!(["engineering", "admins"]),
        "{profile}"
    );
    // A code is single use.
    assert_eq!(exchange(app, &key, &code).status(), 400);
}

fn idp_initiated_login_lands_on_the_default_redirect(app: &TestApp) {
    let (connection, key) = setup(app);
    let mut b = Browser::new(app);
    let id = connection["id"].as_str().unwrap();
    let (acs, saml_response, relay_state) =
        sign_in(&mut b, &format!("/dev/idp/sso?connection={id}"), ADA);
    assert_eq!(relay_state, None);
    let res = b.post_form(&acs, &[("SAMLResponse", &saml_response)]);
    let back = location(&res);
    assert!(back.starts_with(CALLBACK), "{back}");
    let code = query_param(&back, "code").unwrap();
    assert_eq!(exchange(app, &key, &code).status(), 200);
}

fn the_acs_verifies_simulator_responses_like_any_idps(app: &TestApp) {
    let (_, _) = setup(app);
    let mut b = Browser::new(app);
    let idp = location(&b.get(&format!(
        "/sso/authorize?organization=acme&redirect_uri={CALLBACK}&state=s"
    )));
    let (acs, saml_response, relay_state) = sign_in(&mut b, &idp, ADA);
    let xml = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(&saml_response)
            .unwrap(),
    )
    .unwrap();
    let forged = xml.replace("ada@acme.example", "root@acme.example");
    assert_ne!(forged, xml);
    let forged = base64::engine::general_purpose::STANDARD.encode(forged);
    let relay_state = relay_state.unwrap();
    let res = b.post_form(
        &acs,
        &[("SAMLResponse", &forged), ("RelayState", &relay_state)],
    );
    assert_eq!(res.status(), 403, "a changed assertion is refused");
    // The untouched one still goes through (the refusal was the change, not the setup).
    let res = b.post_form(
        &acs,
        &[
            ("SAMLResponse", &saml_response),
            ("RelayState", &relay_state),
        ],
    );
    assert!(location(&res).starts_with(CALLBACK));
}

fn bad_input_gets_a_clear_400(app: &TestApp) {
    let (connection, _) = setup(app);
    let mut b = Browser::new(app);
    let res = b.get("/dev/idp/sso");
    assert_eq!(res.status(), 400);
    assert!(res.text().unwrap().contains("SAMLRequest"));
    let res = b.get("/dev/idp/sso?SAMLRequest=not-base64!");
    assert_eq!(res.status(), 400);
    let res = b.get("/dev/idp/sso?connection=nope");
    assert_eq!(res.status(), 400);
    let id = connection["id"].as_str().unwrap();
    let url = format!("/dev/idp/sso?connection={id}");
    for email in ["", "no-at-sign", "@acme.example", "a b@acme.example"] {
        let res = b.post_form(&url, &[("email", email), ("first_name", "<Ada>")]);
        assert_eq!(res.status(), 400, "{email:?}");
        let page = res.text().unwrap();
        // The form comes back with what was typed, escaped, and the reason.
        assert!(
            page.contains("role=\"alert\"") && page.contains("&lt;Ada&gt;"),
            "{page}"
        );
    }
    let many: String = (0..101).map(|i| format!("g{i},")).collect();
    let res = b.post_form(&url, &[("email", "a@acme.example"), ("groups", &many)]);
    assert_eq!(res.status(), 400);
}

/// Off (the default), the simulator does not exist: every route is the JSON 404.
#[test]
fn simulator_routes_are_404_when_the_setting_is_off() {
    let app = TestApp::builder(Backend::Sqlite).start().unwrap();
    for (method, path) in [
        ("GET", "/dev/idp/metadata"),
        ("GET", "/dev/idp/sso?connection=x"),
        ("POST", "/dev/idp/sso?connection=x"),
        ("GET", "/dev/callback?code=x&state=y"),
    ] {
        let res = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .send()
            .unwrap();
        assert_eq!(res.status(), 404, "{method} {path}");
        let body: Value = res.json().unwrap();
        assert_eq!(body["error"], "not_found", "{method} {path}");
    }
}

/// xmlsec1, an independent XML-DSig implementation, verifies the simulator's Response
/// with the certificate from its metadata, and rejects a changed one.
#[test]
#[cfg_attr(
    not(provisiond_test_xmlsec1),
    ignore = "needs xmlsec1 on PATH (apt-get install xmlsec1)"
)]
fn simulator_output_verifies_with_xmlsec1() {
    let app = start(Backend::Sqlite);
    let (connection, _) = setup(&app);
    let metadata = app.get("/dev/idp/metadata").send().unwrap().text().unwrap();
    let start = metadata.find("<ds:X509Certificate>").unwrap() + "<ds:X509Certificate>".len();
    let end = metadata[start..].find('<').unwrap() + start;
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        &metadata[start..end]
    );
    let mut b = Browser::new(&app);
    let id = connection["id"].as_str().unwrap();
    let (_, saml_response, _) = sign_in(
        &mut b,
        &format!("/dev/idp/sso?connection={id}"),
        &[
            ("email", "x&<y>@acme.example"),
            ("groups", "A & B, <c>, quote\"d"),
        ],
    );
    let xml = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(&saml_response)
            .unwrap(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("idp.crt");
    std::fs::write(&cert, pem).unwrap();
    let verify = |xml: &str| {
        let file = dir.path().join("r.xml");
        std::fs::write(&file, xml).unwrap();
        std::process::Command::new("xmlsec1")
            .arg("--verify")
            .arg("--pubkey-cert-pem")
            .arg(&cert)
            .args([
                "--id-attr:ID",
                "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            ])
            .arg(&file)
            .output()
            .unwrap()
    };
    let out = verify(&xml);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = verify(&xml.replace("A &amp; B", "A &amp; C"));
    assert!(!out.status.success(), "xmlsec1 rejects a changed assertion");
}
