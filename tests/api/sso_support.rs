//! Helpers for the login-flow tests: an organization set up through the admin API the
//! way an admin would (verified domain, SAML connection pinned to the test IdP, an app
//! key, an allowed redirect URI), and the browser's and the app's side of a login.
//!
//! Each `Sso` handle is one browser: it keeps the cookies `/sso/authorize` sets (a small
//! jar: name=value, dropped on `Max-Age=0`) and sends them to the ACS, as a browser does
//! on the IdP's POST when the cookie's flags allow it. [`Sso::other_browser`] is a second
//! browser on the same organization, with an empty jar.

use std::sync::Mutex;

use reqwest::blocking::{Client, Response};
use reqwest::redirect::Policy;
use serde_json::{json, Value};

use crate::support::idp::{idp_certificate, Login, IDP_ENTITY_ID};
use crate::support::TestApp;

pub const REDIRECT_URI: &str = "https://app.example/callback";

/// One organization wired for SSO.
pub struct Sso<'a> {
    pub app: &'a TestApp,
    pub slug: String,
    pub org_id: String,
    pub domain: String,
    pub connection_id: String,
    pub acs_url: String,
    pub sp_entity_id: String,
    pub app_key: String,
    browser: Client,
    jar: Mutex<Vec<(String, String)>>,
}

/// Creates organization `slug` with `org_settings` (JIT settings), the verified domain
/// `{slug}.example`, `roles` (`[key, privileged]`), and a SAML connection with
/// `connection_settings` (group_role_mapping, attribute_mapping, …).
pub fn setup<'a>(
    app: &'a TestApp,
    slug: &str,
    org_settings: Value,
    roles: &[(&str, bool)],
    connection_settings: Value,
) -> Sso<'a> {
    let mut body = json!({ "name": format!("Org {slug}"), "slug": slug });
    merge(&mut body, org_settings);
    for (key, _) in roles {
        if *key == body["default_role"].as_str().unwrap_or("member") {
            // The default role must exist before the organization names it.
            body.as_object_mut().unwrap().remove("default_role");
        }
    }
    let res = app.admin_post("/admin/v1/organizations", body.clone());
    assert_eq!(res.status(), 201, "{}", res.text().unwrap());
    let org: Value = res.json().unwrap();
    let org_id = org["id"].as_str().unwrap().to_owned();
    for (key, privileged) in roles {
        let res = app.admin_post(
            &format!("/admin/v1/organizations/{slug}/roles"),
            json!({ "key": key, "name": key, "privileged": privileged }),
        );
        assert!(
            res.status() == 201 || res.status() == 409,
            "role {key}: {}",
            res.status()
        );
    }
    let domain = format!("{slug}.example");
    let res = app.admin_post(
        &format!("/admin/v1/organizations/{slug}/domains"),
        json!({ "domain": domain, "verified": true }),
    );
    assert_eq!(res.status(), 201);
    let res = app.admin_post("/admin/v1/redirect-uris", json!({ "uri": REDIRECT_URI }));
    assert!(res.status() == 201 || res.status() == 409);
    let mut conn = json!({
        "idp_entity_id": IDP_ENTITY_ID,
        "idp_sso_url": "https://idp.test.example/sso",
        "idp_certificates": [idp_certificate()],
        "default_redirect_uri": REDIRECT_URI,
    });
    merge(&mut conn, connection_settings);
    let res = app.admin_post(
        &format!("/admin/v1/organizations/{slug}/saml-connections"),
        conn,
    );
    assert_eq!(res.status(), 201, "{}", res.text().unwrap());
    let c: Value = res.json().unwrap();
    let res = app.admin_post(
        "/admin/v1/api-keys",
        json!({ "name": format!("app {slug}") }),
    );
    assert_eq!(res.status(), 201);
    let key: Value = res.json().unwrap();
    Sso {
        app,
        slug: slug.to_owned(),
        org_id,
        domain,
        connection_id: c["id"].as_str().unwrap().to_owned(),
        acs_url: c["acs_url"].as_str().unwrap().to_owned(),
        sp_entity_id: c["sp_entity_id"].as_str().unwrap().to_owned(),
        app_key: key["key"].as_str().unwrap().to_owned(),
        browser: browser(),
        jar: Mutex::new(Vec::new()),
    }
}

/// A client that does not follow redirects: the tests read each `Location`.
pub fn browser() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap()
}

fn merge(into: &mut Value, from: Value) {
    if let (Some(a), Value::Object(b)) = (into.as_object_mut(), from) {
        a.extend(b);
    }
}

/// The outcome of a POST to the ACS.
#[derive(Debug)]
pub enum Acs {
    /// 302 to the app with these query parameters.
    Redirect {
        location: String,
        params: Vec<(String, String)>,
    },
    /// Anything else: status and body (the error page).
    Page { status: u16, body: String },
}

impl Acs {
    pub fn param(&self, name: &str) -> Option<String> {
        match self {
            Acs::Redirect { params, .. } => params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone()),
            Acs::Page { .. } => None,
        }
    }

    /// The code of a successful login; panics with what happened otherwise.
    pub fn code(&self) -> String {
        match self.param("code") {
            Some(c) => c,
            None => panic!("login did not succeed: {self:?}"),
        }
    }

    /// The app-facing `error` of a refused login.
    pub fn error(&self) -> String {
        match self.param("error") {
            Some(e) => e,
            None => panic!("login was not refused with a redirect: {self:?}"),
        }
    }
}

impl<'a> Sso<'a> {
    /// Another browser on the same organization and connection, without cookies.
    pub fn other_browser(&self) -> Sso<'a> {
        Sso {
            app: self.app,
            slug: self.slug.clone(),
            org_id: self.org_id.clone(),
            domain: self.domain.clone(),
            connection_id: self.connection_id.clone(),
            acs_url: self.acs_url.clone(),
            sp_entity_id: self.sp_entity_id.clone(),
            app_key: self.app_key.clone(),
            browser: browser(),
            jar: Mutex::new(Vec::new()),
        }
    }

    /// The cookies this browser holds, as a `Cookie` header value.
    pub fn cookie_header(&self) -> String {
        self.jar
            .lock()
            .unwrap()
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Stores the `Set-Cookie` headers of `res` in the jar.
    fn keep_cookies(&self, res: &Response) {
        let mut jar = self.jar.lock().unwrap();
        for h in res.headers().get_all("set-cookie") {
            let line = h.to_str().unwrap();
            let (pair, attrs) = line.split_once(';').unwrap_or((line, ""));
            let (name, value) = pair.trim().split_once('=').unwrap();
            jar.retain(|(n, _)| n != name);
            if !attrs.to_ascii_lowercase().contains("max-age=0") {
                jar.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    pub fn email(&self, local: &str) -> String {
        format!("{local}@{}", self.domain)
    }

    /// A persistent-NameID login of `local@{domain}`.
    pub fn person(&self, local: &str) -> Login {
        Login::new(&format!("nid-{local}"), &self.email(local))
            .attr("firstName", &["Given"])
            .attr("lastName", &["Family"])
    }

    /// POSTs `login` (signed by the test IdP) to this connection's ACS.
    pub fn post(&self, login: &Login) -> Acs {
        let b64 = login.response_b64(&self.acs_url, &self.sp_entity_id);
        self.post_raw(&b64, None)
    }

    pub fn post_raw(&self, saml_response_b64: &str, relay_state: Option<&str>) -> Acs {
        let mut form = vec![("SAMLResponse", saml_response_b64.to_owned())];
        if let Some(r) = relay_state {
            form.push(("RelayState", r.to_owned()));
        }
        let mut req = self.browser.post(
            self.app
                .url(&format!("/sso/saml/acs/{}", self.connection_id)),
        );
        if !self.jar.lock().unwrap().is_empty() {
            req = req.header("cookie", self.cookie_header());
        }
        read_acs(req.form(&form).send().unwrap())
    }

    /// `GET /sso/authorize` for this organization in this browser (its cookies sent and
    /// kept); returns the IdP redirect URL.
    pub fn authorize(&self, state: &str) -> String {
        self.authorize_response(state).headers()["location"]
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// `GET /sso/authorize` as [`Sso::authorize`], returning the whole 302.
    pub fn authorize_response(&self, state: &str) -> Response {
        let mut req = self.browser.get(self.app.url("/sso/authorize")).query(&[
            ("organization", self.slug.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("state", state),
        ]);
        if !self.jar.lock().unwrap().is_empty() {
            req = req.header("cookie", self.cookie_header());
        }
        let res = req.send().unwrap();
        assert_eq!(res.status(), 302, "{}", res.text().unwrap());
        self.keep_cookies(&res);
        res
    }

    /// Exchanges a code with the app key.
    pub fn exchange(&self, code: &str, redirect_uri: &str) -> Response {
        self.app
            .client
            .post(self.app.url("/sso/token"))
            .bearer_auth(&self.app_key)
            .json(&json!({ "code": code, "redirect_uri": redirect_uri }))
            .send()
            .unwrap()
    }

    /// Logs `login` in and exchanges the code: the profile JSON.
    pub fn login(&self, login: &Login) -> Value {
        let code = self.post(login).code();
        let res = self.exchange(&code, REDIRECT_URI);
        let status = res.status();
        let body: Value = res.json().unwrap();
        assert_eq!(status, 200, "{body}");
        body
    }

    /// This organization's events of `event_type`, oldest first.
    pub fn events(&self, event_type: &str) -> Vec<Value> {
        self.app
            .events()
            .into_iter()
            .filter(|e| e["type"] == event_type && e["organization_id"] == self.org_id.as_str())
            .collect()
    }

    /// `GET /scim/v2/Users?filter=…` with a directory token: the live users the IdP sees.
    pub fn scim_users(&self, scim_token: &str, filter: &str) -> Value {
        self.app
            .client
            .get(self.app.url("/scim/v2/Users"))
            .bearer_auth(scim_token)
            .query(&[("filter", filter)])
            .send()
            .unwrap()
            .json()
            .unwrap()
    }
}

fn read_acs(res: Response) -> Acs {
    let status = res.status().as_u16();
    if status == 302 {
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let url = url::Url::parse(&location).unwrap();
        let params = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Acs::Redirect { location, params }
    } else {
        Acs::Page {
            status,
            body: res.text().unwrap(),
        }
    }
}

/// The request id inside the SAMLRequest of an IdP redirect URL (HTTP-Redirect binding:
/// base64 of raw DEFLATE).
pub fn request_id_of(idp_url: &str) -> String {
    use base64::Engine as _;
    use std::io::Read as _;
    let url = url::Url::parse(idp_url).unwrap();
    let req = url
        .query_pairs()
        .find(|(k, _)| k == "SAMLRequest")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(req)
        .unwrap();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(&raw[..])
        .read_to_string(&mut xml)
        .unwrap();
    let start = xml.find(" ID=\"").unwrap() + 5;
    let end = start + xml[start..].find('"').unwrap();
    xml[start..end].to_owned()
}
