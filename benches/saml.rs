//! SAML hot path on a realistic Entra-style Response (~7 KB, RSA-2048 signed
//! assertion) and an Okta-style one signed twice (~9 KB): parse, canonicalize,
//! verify, and full validation.
#![expect(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use openssl::x509::X509;
use provisiond::saml::c14n::{canonicalize, Method};
use provisiond::saml::dsig::{verify_element, VerifyOptions};
use provisiond::saml::encryption::SAML_NS;
use provisiond::saml::response::{validate_response, ResponseConfig};
use provisiond::saml::xml::{parse, Limits};
use std::hint::black_box;

fn fixture(path: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/saml")
        .join(path);
    std::fs::read_to_string(p).unwrap()
}

fn bench(c: &mut Criterion) {
    let cert = X509::from_pem(fixture("keys/idp-rsa.crt").as_bytes()).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 1, 0).unwrap();
    let limits = Limits::default();
    for (name, file, idp) in [
        (
            "entra_assertion_signed",
            "responses/entra-rsa-assertion.xml",
            "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/",
        ),
        (
            "okta_both_signed",
            "responses/okta-rsa-both.xml",
            "http://www.okta.com/exk1a2b3c4d5E6f7g8h9",
        ),
    ] {
        let xml = fixture(file);
        let doc = parse(&xml, &limits).unwrap();
        let assertion = doc.root().only_child(SAML_NS, "Assertion").unwrap();
        let exc = Method::Exclusive {
            with_comments: false,
            inclusive_prefixes: vec![],
        };
        let cfg = ResponseConfig::new(
            idp,
            "https://sp.example.com/sso/saml/metadata/conn_1",
            "https://sp.example.com/sso/saml/acs/conn_1",
            vec![cert.clone()],
        );
        c.bench_function(&format!("{name}/parse"), |b| {
            b.iter(|| parse(black_box(&xml), &limits).unwrap())
        });
        c.bench_function(&format!("{name}/c14n"), |b| {
            b.iter(|| canonicalize(&doc, black_box(assertion), &exc, None).unwrap())
        });
        c.bench_function(&format!("{name}/verify_assertion"), |b| {
            b.iter(|| {
                verify_element(
                    &doc,
                    black_box(assertion),
                    std::slice::from_ref(&cert),
                    &VerifyOptions::default(),
                )
                .unwrap()
            })
        });
        c.bench_function(&format!("{name}/validate_response"), |b| {
            b.iter(|| validate_response(black_box(&xml), &cfg, now, Some("_req_9f6c1b2a")).unwrap())
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
