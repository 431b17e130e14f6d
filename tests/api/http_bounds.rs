//! Hostile traffic on the HTTP layer (issue 12): invented methods and paths create no
//! metric series and no memory growth; the anonymous SSO endpoints are rate-limited per
//! client address and per connection (429 + `Retry-After`, trusted proxies only for
//! `X-Forwarded-For`); a tampered and an undecryptable Response get the same public
//! answer and metric label.

use std::net::IpAddr;

use reqwest::blocking::Client;
use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::saml_support::fixture;
use crate::sso_support::{setup, Acs, REDIRECT_URI};
use crate::support::idp::Login;
use crate::support::process::ServerProcess;
use crate::support::{Backend, TestApp, ADMIN_KEY};

/// Resident set size of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A real `provisiond serve` on a fresh SQLite file with extra environment.
fn serve(env: &[(&str, &str)]) -> (ServerProcess, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("provisiond.db");
    let server = ServerProcess::start_with(db.to_str().unwrap(), ADMIN_KEY, env);
    (server, dir)
}

/// A client whose requests come from `local` (any 127.0.0.0/8 address is loopback).
fn client_from(local: &str) -> Client {
    Client::builder()
        .local_address(local.parse::<IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Done-when of issue 12, point 2: 10,000 requests with distinct invented methods and
/// paths leave `/metrics` under 100 KB larger and the server's RSS within 20 MB.
#[test]
fn invented_methods_and_paths_leave_metrics_and_memory_bounded() {
    let (server, _dir) = serve(&[]);
    let pid = server.child.id();
    let client = Client::new();
    let metrics_len = || {
        let res = client.get(server.url("/metrics")).send().unwrap();
        assert_eq!(res.status(), 200);
        res.text().unwrap().len()
    };
    // Warm-up with ordinary requests (allocator pools, both workers, one render).
    for i in 0..500 {
        client
            .get(server.url(&format!("/warm/{i}")))
            .send()
            .unwrap();
    }
    metrics_len();
    let metrics_before = metrics_len();
    let rss_before = rss_kib(pid);

    let paths = [
        "/junk/{i}",
        "/scim/v2/Users/{i}",
        "/admin/v1/organizations/{i}",
        "/sso/saml/metadata/c{i}",
    ];
    std::thread::scope(|s| {
        for t in 0..2 {
            let (client, server, paths) = (&client, &server, &paths);
            s.spawn(move || {
                for i in (t..10_000).step_by(2) {
                    let method = Method::from_bytes(format!("INVENTED{i}").as_bytes()).unwrap();
                    let path = paths[i % paths.len()].replace("{i}", &i.to_string());
                    let res = client.request(method, server.url(&path)).send().unwrap();
                    assert!(res.status().is_client_error(), "{path}: {}", res.status());
                }
            });
        }
    });

    let metrics_after = metrics_len();
    let rss_after = rss_kib(pid);
    let grown = metrics_after.saturating_sub(metrics_before);
    eprintln!(
        "10,000 invented requests: /metrics {metrics_before} → {metrics_after} bytes, \
         RSS {rss_before} → {rss_after} KiB"
    );
    assert!(
        grown < 100_000,
        "/metrics grew by {grown} bytes ({metrics_before} → {metrics_after})"
    );
    let rss_grown = rss_after.saturating_sub(rss_before);
    assert!(
        rss_grown < 20 * 1024,
        "RSS grew by {rss_grown} KiB ({rss_before} → {rss_after} KiB)"
    );
    let text = client
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        text.contains("method=\"other\",route=\"unmatched\""),
        "{text}"
    );
    assert!(!text.contains("INVENTED") && !text.contains("/junk/"));
}

#[test]
fn one_address_being_limited_does_not_limit_another() {
    let (server, _dir) = serve(&[
        ("PROVISIOND_RATE_LIMIT_ADDRESS_PER_MINUTE", "1"),
        ("PROVISIOND_RATE_LIMIT_ADDRESS_BURST", "3"),
        ("PROVISIOND_RATE_LIMIT_CONNECTION_PER_MINUTE", "0"),
    ]);
    let a = client_from("127.0.0.1");
    let b = client_from("127.0.0.2");
    // Every try counts, whatever connection it names (these do not exist: 404).
    for i in 0..3 {
        let res = a
            .get(server.url(&format!("/sso/saml/metadata/c{i}")))
            .send()
            .unwrap();
        assert_eq!(res.status(), 404);
    }
    let res = a.get(server.url("/sso/saml/metadata/c9")).send().unwrap();
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        res.json::<serde_json::Value>().unwrap()["error"],
        "rate_limited"
    );
    // The same address is limited on the other anonymous endpoints too.
    let res = a
        .post(server.url("/sso/saml/acs/c1"))
        .form(&[("SAMLResponse", "x")])
        .send()
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert!(res.text().unwrap().contains("Wait "));
    let res = a
        .post(server.url("/sso/token"))
        .json(&json!({}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 429);
    let res = a
        .get(server.url("/sso/authorize?organization=x"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 429);
    // Another address is not, and nothing else is limited.
    let res = b.get(server.url("/sso/saml/metadata/c9")).send().unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(a.get(server.url("/healthz")).send().unwrap().status(), 200);
    let text = a
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    for line in [
        "provisiond_rate_limited_total{endpoint=\"metadata\",scope=\"address\"} 1",
        "provisiond_rate_limited_total{endpoint=\"acs\",scope=\"address\"} 1",
        "provisiond_rate_limited_total{endpoint=\"token\",scope=\"address\"} 1",
        "provisiond_rate_limited_total{endpoint=\"authorize\",scope=\"address\"} 1",
        "provisiond_http_requests_total{method=\"GET\",route=\"/sso/saml/metadata/{connection}\",status=\"429\"} 1",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
}

#[test]
fn one_connection_being_limited_does_not_limit_another() {
    let (server, _dir) = serve(&[
        ("PROVISIOND_RATE_LIMIT_ADDRESS_PER_MINUTE", "0"),
        ("PROVISIOND_RATE_LIMIT_CONNECTION_PER_MINUTE", "1"),
        ("PROVISIOND_RATE_LIMIT_CONNECTION_BURST", "2"),
    ]);
    let a = client_from("127.0.0.1");
    let b = client_from("127.0.0.2");
    let acs = |c: &Client, conn: &str| {
        c.post(server.url(&format!("/sso/saml/acs/{conn}")))
            .form(&[("SAMLResponse", "not base64")])
            .send()
            .unwrap()
    };
    // Not even base64: refused (403) before any lookup — but counted.
    assert_eq!(acs(&a, "conn-a").status(), 403);
    assert_eq!(acs(&b, "conn-a").status(), 403);
    // The connection's budget is spent, from whichever address.
    let res = acs(&a, "conn-a");
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(acs(&b, "conn-a").status(), 429);
    // Its metadata shares the budget; another connection has its own.
    let res = a
        .get(server.url("/sso/saml/metadata/conn-a"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(acs(&a, "conn-b").status(), 403);
    let text = a
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        text.contains("provisiond_rate_limited_total{endpoint=\"acs\",scope=\"connection\"} 2"),
        "{text}"
    );
}

#[test]
fn forwarded_for_names_the_client_only_behind_a_trusted_proxy() {
    let (server, _dir) = serve(&[
        ("PROVISIOND_RATE_LIMIT_ADDRESS_PER_MINUTE", "1"),
        ("PROVISIOND_RATE_LIMIT_ADDRESS_BURST", "2"),
        ("PROVISIOND_RATE_LIMIT_CONNECTION_PER_MINUTE", "0"),
        ("PROVISIOND_TRUSTED_PROXIES", "127.0.0.1/32"),
    ]);
    let proxy = client_from("127.0.0.1");
    let untrusted = client_from("127.0.0.2");
    let get = |c: &Client, xff: &str| {
        c.get(server.url("/sso/saml/metadata/c1"))
            .header("x-forwarded-for", xff)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    // Behind the trusted proxy, each forwarded client has its own budget; what a client
    // prepends to the header does not change which one it is.
    assert_eq!(get(&proxy, "198.51.100.1"), 404);
    assert_eq!(get(&proxy, "203.0.113.66, 198.51.100.1"), 404);
    assert_eq!(get(&proxy, "198.51.100.1"), 429);
    assert_eq!(get(&proxy, "198.51.100.2"), 404);
    // From an untrusted peer the header is ignored: the peer is the client.
    assert_eq!(get(&untrusted, "192.0.2.1"), 404);
    assert_eq!(get(&untrusted, "192.0.2.2"), 404);
    assert_eq!(get(&untrusted, "192.0.2.3"), 429);
}

/// The page without its per-request reference.
fn without_reference(body: &str) -> String {
    match body.split_once("Reference: <code>") {
        Some((head, tail)) => {
            let rest = tail.split_once("</code>").map_or("", |(_, r)| r);
            format!("{head}{rest}")
        }
        None => body.to_owned(),
    }
}

backend_tests! {
    fn tampered_and_undecryptable_responses_get_the_same_public_answer(app) {
        let sso = setup(&app, "acme", json!({}), &[], json!({ "allow_idp_initiated": true }));
        let login = sso.person("ann");
        // A signature that no longer matches: the NameID was changed after signing.
        let signed = login.response_xml(&sso.acs_url, &sso.sp_entity_id);
        let tampered = signed.replacen("nid-ann", "nid-eve", 1);
        assert_ne!(tampered, signed);
        // An assertion encrypted for another SP key (the fixture's), in an otherwise
        // well-formed envelope from the right IdP to the right ACS.
        let encrypted = fixture("encrypted/oaep-mgf1p-aes128-cbc.xml");
        let start = encrypted.find("<saml2:EncryptedAssertion").unwrap();
        let end = encrypted.find("</saml2:EncryptedAssertion>").unwrap()
            + "</saml2:EncryptedAssertion>".len();
        let other = Login::new("nid-bob", &sso.email("bob")).response_xml(&sso.acs_url, &sso.sp_entity_id);
        let a_start = other.find("<saml:Assertion ").unwrap();
        let a_end = other.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
        let undecryptable = format!("{}{}{}", &other[..a_start], &encrypted[start..end], &other[a_end..]);

        let answer = |xml: &str| -> (u16, String) {
            use base64::Engine as _;
            match sso.post_raw(&base64::engine::general_purpose::STANDARD.encode(xml), None) {
                Acs::Page { status, body } => (status, without_reference(&body)),
                other => panic!("expected an error page: {other:?}"),
            }
        };
        let (status_t, page_t) = answer(&tampered);
        let (status_u, page_u) = answer(&undecryptable);
        assert_eq!(status_t, 403);
        assert_eq!((status_t, &page_t), (status_u, &page_u));

        // Public metrics: one coarse label for both.
        let text = app.get("/metrics").send().unwrap().text().unwrap();
        let failures: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("provisiond_sso_failures_total{"))
            .collect();
        assert_eq!(failures, ["provisiond_sso_failures_total{reason=\"unverified_response\"} 2"], "{text}");

        // The precise, different reasons are kept for the organization's admins.
        let reasons: Vec<String> = app
            .events()
            .iter()
            .filter(|e| e["type"] == "sso.failed")
            .map(|e| e["data"]["reason"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert_ne!(reasons[0], reasons[1]);
        assert!(reasons.iter().all(|r| r != "unverified_response"), "{reasons:?}");
    }
}

/// Verified logins and successful code exchanges give their token back: with a budget
/// of two per address, five people log in and five codes are exchanged from one
/// address, and only then do two forged posts use the budget up.
fn legitimate_outcomes_do_not_spend_the_budget(backend: Backend) {
    let Some(app) = TestApp::builder(backend)
        .settings(|layer| {
            layer.rate_limit_address_per_minute = Some(1);
            layer.rate_limit_address_burst = Some(2);
            layer.rate_limit_connection_per_minute = Some(0);
        })
        .start()
    else {
        return;
    };
    let sso = setup(
        &app,
        "acme",
        json!({}),
        &[],
        json!({ "allow_idp_initiated": true }),
    );
    let codes: Vec<String> = (0..5)
        .map(|i| sso.post(&sso.person(&format!("p{i}"))).code())
        .collect();
    for code in &codes {
        assert_eq!(sso.exchange(code, REDIRECT_URI).status(), 200);
    }
    let forged = |n: u16| match sso.post_raw("not base64!!", None) {
        Acs::Page { status, .. } => assert_eq!(status, n),
        other => panic!("{other:?}"),
    };
    forged(403);
    forged(403);
    forged(429);
    // An exchange of a spent code is a failure: it counts, and is now refused.
    assert_eq!(sso.exchange(&codes[0], REDIRECT_URI).status(), 429);
}

#[test]
fn sqlite_legitimate_outcomes_do_not_spend_the_budget() {
    legitimate_outcomes_do_not_spend_the_budget(Backend::Sqlite);
}

#[test]
#[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
fn postgres_legitimate_outcomes_do_not_spend_the_budget() {
    legitimate_outcomes_do_not_spend_the_budget(Backend::Postgres);
}

/// `saml_max_response_bytes` bounds what the ACS parses (and so the work an anonymous post
/// can cause): a genuinely signed Response just over the limit is refused before parsing,
/// while the same login is accepted under the default limit.
fn responses_over_the_saml_size_limit_are_refused(backend: Backend) {
    let padding = "x".repeat(20_000);
    let big =
        |sso: &crate::sso_support::Sso<'_>| sso.person("big").attr("padding", &[padding.as_str()]);
    let limited = TestApp::builder(backend)
        .settings(|layer| layer.saml_max_response_bytes = Some(16 * 1024))
        .start()
        .expect(crate::support::NO_POSTGRES);
    let sso = setup(
        &limited,
        "acme",
        json!({}),
        &[],
        json!({ "allow_idp_initiated": true }),
    );
    match sso.post(&big(&sso)) {
        Acs::Page { status, .. } => assert_eq!(status, 403),
        other => panic!("an oversized Response was not refused: {other:?}"),
    }
    sso.post(&sso.person("small")).code();

    let default = TestApp::builder(backend)
        .start()
        .expect(crate::support::NO_POSTGRES);
    let sso = setup(
        &default,
        "acme",
        json!({}),
        &[],
        json!({ "allow_idp_initiated": true }),
    );
    sso.post(&big(&sso)).code();
}

#[test]
fn sqlite_responses_over_the_saml_size_limit_are_refused() {
    responses_over_the_saml_size_limit_are_refused(Backend::Sqlite);
}

#[test]
#[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
fn postgres_responses_over_the_saml_size_limit_are_refused() {
    responses_over_the_saml_size_limit_are_refused(Backend::Postgres);
}
