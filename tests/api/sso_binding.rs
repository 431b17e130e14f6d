//! Login CSRF (issue 12, point 5), over HTTP with responses the test IdP signs: an
//! SP-initiated login completes only in the browser that started it; a Response obtained
//! by an attacker for their own account cannot be planted into a victim's browser; the
//! token answer says how the login started and carries its `state`.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::sso_support::{browser, request_id_of, setup, Acs, Sso, REDIRECT_URI};
use crate::support::{Backend, TestApp};

fn plain<'a>(app: &'a TestApp, slug: &str) -> Sso<'a> {
    setup(app, slug, json!({}), &[], json!({}))
}

fn allow_idp_initiated(sso: &Sso<'_>, allowed: bool) {
    let path = format!(
        "/admin/v1/organizations/{}/saml-connections/{}",
        sso.slug, sso.connection_id
    );
    let res = sso
        .app
        .admin(Method::PATCH, &path)
        .json(&json!({ "allow_idp_initiated": allowed }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// The signed Response the IdP gives `local` for the request `idp_url` carries.
fn answer(sso: &Sso<'_>, local: &str, idp_url: &str) -> String {
    sso.person(local)
        .answering(&request_id_of(idp_url))
        .response_b64(&sso.acs_url, &sso.sp_entity_id)
}

fn refused_page(acs: Acs) -> String {
    match acs {
        Acs::Page { status, body } => {
            assert_eq!(status, 403, "{body}");
            body
        }
        other => panic!("a planted response was accepted: {other:?}"),
    }
}

fn token(sso: &Sso<'_>, acs: &Acs) -> Value {
    let res = sso.exchange(&acs.code(), REDIRECT_URI);
    assert_eq!(res.status(), 200);
    res.json().unwrap()
}

backend_tests! {
    fn a_response_for_the_attackers_account_cannot_be_planted_in_a_victims_browser(app) {
        let sso = plain(&app, "acme");
        // With IdP-initiated logins on (the default) and off: a Response that answers a
        // request is never taken for an unsolicited one.
        for allowed in [true, false] {
            allow_idp_initiated(&sso, allowed);
            let attacker = sso.other_browser();
            let victim = sso.other_browser();
            let mallory = format!("mallory-{allowed}");
            let planted = answer(&sso, &mallory, &attacker.authorize("attackers-state"));

            // The victim never started a login: no cookie at all.
            let body = refused_page(victim.post_raw(&planted, None));
            assert!(body.contains("another browser"), "{body}");
            // The victim started a login of their own: their cookie, not the attacker's.
            victim.authorize("victims-state");
            let planted = answer(&sso, &mallory, &attacker.authorize("attackers-state"));
            refused_page(victim.post_raw(&planted, None));

            let failed = sso.events("sso.failed");
            let last = failed.last().unwrap();
            assert_eq!(last["data"]["reason"], "browser_mismatch");
            assert_eq!(last["data"]["cookie_present"], true);
            assert!(sso.events("user.created").iter().all(|e| e["data"]["user"]["email"] != sso.email(&mallory)),
                "nobody was provisioned or signed in");
        }
        // The attacker's own browser completes its own login.
        let attacker = sso.other_browser();
        let own = answer(&sso, "mallory", &attacker.authorize("s"));
        attacker.post_raw(&own, None).code();
    }

    fn an_sp_initiated_login_completes_in_the_browser_that_started_it(app) {
        let sso = plain(&app, "acme");
        allow_idp_initiated(&sso, false);
        let res = sso.authorize_response("xyz-state");
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        // http public URL (local development): no SameSite=None without Secure.
        assert!(cookie.starts_with("provisiond_login="), "{cookie}");
        assert!(cookie.contains("; HttpOnly") && cookie.contains("; Max-Age=600") && cookie.contains("; Path=/"), "{cookie}");
        assert!(!cookie.contains("SameSite") && !cookie.contains("Secure"), "{cookie}");
        let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
        assert_eq!(value.len(), 43);
        let idp_url = res.headers()["location"].to_str().unwrap().to_owned();

        // A second tab of the same browser: the same binding, both logins complete.
        let second_tab = sso.authorize("second-tab");
        assert_eq!(sso.cookie_header(), format!("provisiond_login={value}"), "the value is kept");

        let acs = sso.post_raw(&answer(&sso, "alice", &idp_url), None);
        assert_eq!(acs.param("state").as_deref(), Some("xyz-state"));
        let p = token(&sso, &acs);
        assert_eq!(p["initiated_by"], "sp");
        assert_eq!(p["state"], "xyz-state");
        assert_eq!(p["user"]["email"], sso.email("alice"));
        let acs = sso.post_raw(&answer(&sso, "alice", &second_tab), None);
        assert_eq!(token(&sso, &acs)["state"], "second-tab");

        // A forged or foreign cookie value is not reused: a fresh one is issued.
        let res = browser().get(app.url("/sso/authorize"))
            .query(&[("organization", "acme"), ("redirect_uri", REDIRECT_URI)])
            .header("cookie", "provisiond_login=chosen-by-someone")
            .send().unwrap();
        let set = res.headers()["set-cookie"].to_str().unwrap();
        assert!(!set.contains("chosen-by-someone") && set.starts_with("provisiond_login="), "{set}");
    }

    fn idp_initiated_logins_still_work_when_allowed_and_say_so(app) {
        let sso = plain(&app, "acme");
        let unsolicited = sso.person("bob").response_b64(&sso.acs_url, &sso.sp_entity_id);
        // No cookie, no request: completes where the connection allows it.
        let acs = sso.other_browser().post_raw(&unsolicited, Some("from-dashboard"));
        let p = token(&sso, &acs);
        assert_eq!(p["initiated_by"], "idp");
        assert_eq!(p["state"], "from-dashboard", "the IdP's RelayState");
        assert_eq!(p["user"]["email"], sso.email("bob"));
        let acs = sso.post_raw(&sso.person("bob").response_b64(&sso.acs_url, &sso.sp_entity_id), None);
        let p = token(&sso, &acs);
        assert_eq!(p["initiated_by"], "idp");
        assert_eq!(p["state"], Value::Null);

        allow_idp_initiated(&sso, false);
        let acs = sso.post(&sso.person("bob"));
        refused_page(acs);
        assert_eq!(sso.events("sso.failed").last().unwrap()["data"]["reason"], "idp_initiated_not_allowed");
    }
}

/// Under an `https` public URL the cookie is `__Host-`, `Secure` and `SameSite=None`, so
/// it survives the IdP's cross-site POST; the login completes with it and not without.
fn https_public_url_uses_a_secure_host_cookie_that_survives_the_cross_site_post(backend: Backend) {
    {
        let app = TestApp::builder(backend)
            .public_url("https://sso.example.com")
            .start()
            .expect(crate::support::NO_POSTGRES);
        let sso = plain(&app, "acme");
        assert!(
            sso.acs_url.starts_with("https://sso.example.com/"),
            "{}",
            sso.acs_url
        );
        let res = sso.authorize_response("s");
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("__Host-provisiond_login="), "{cookie}");
        for flag in [
            "; Path=/",
            "; Max-Age=600",
            "; HttpOnly",
            "; Secure",
            "; SameSite=None",
        ] {
            assert!(cookie.contains(flag), "{flag} in {cookie}");
        }
        assert!(!cookie.contains("Domain="), "{cookie}");
        let idp_url = res.headers()["location"].to_str().unwrap().to_owned();
        let b64 = answer(&sso, "alice", &idp_url);
        refused_page(sso.other_browser().post_raw(&b64, None));
        // (That Response is spent: whoever posts a request's Response first uses it up.)
        let b64 = answer(&sso, "alice", &sso.authorize("s"));
        let acs = sso.post_raw(&b64, None);
        assert_eq!(token(&sso, &acs)["initiated_by"], "sp");
    }
}

#[test]
fn https_public_url_uses_a_secure_host_cookie_sqlite() {
    https_public_url_uses_a_secure_host_cookie_that_survives_the_cross_site_post(Backend::Sqlite);
}

#[test]
#[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
fn https_public_url_uses_a_secure_host_cookie_postgres() {
    https_public_url_uses_a_secure_host_cookie_that_survives_the_cross_site_post(Backend::Postgres);
}
