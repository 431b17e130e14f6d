//! `validate_response` never panics and never accepts: the fuzzer has no IdP key, so any
//! `Ok` would be a forged identity. Seed the corpus with `tests/fixtures/saml/responses`
//! (valid signatures) so mutations explore deep paths.
#![no_main]

use chrono::TimeZone;
use libfuzzer_sys::fuzz_target;
use openssl::x509::X509;
use provisiond::saml::response::{validate_response, ResponseConfig};
use std::sync::OnceLock;

fn config() -> &'static ResponseConfig {
    static CFG: OnceLock<ResponseConfig> = OnceLock::new();
    CFG.get_or_init(|| {
        let pem = include_bytes!("../../tests/fixtures/saml/keys/idp-rsa.crt");
        let certs = X509::from_pem(pem).map(|c| vec![c]).unwrap_or_default();
        ResponseConfig::new(
            "http://www.okta.com/exk1a2b3c4d5E6f7g8h9",
            "https://sp.example.com/sso/saml/metadata/conn_1",
            "https://sp.example.com/sso/saml/acs/conn_1",
            certs,
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(now) = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 12, 1, 0).single() else {
        return;
    };
    let (result, work) = provisiond::saml::work::measure(|| {
        validate_response(text, config(), now, Some("_req_9f6c1b2a"))
    });
    // Bounded work (issue #12): one parse, two signatures at most, each canonical form
    // within its budget; no RSA decryption (no SP key is configured).
    let n = text.len() as u64;
    assert!(work.parses <= 1, "{work:?}");
    assert!(work.signature_verifications <= 2, "{work:?}");
    assert!(
        work.canonical_bytes <= 2 * provisiond::saml::c14n::budget_for(text.len()) as u64,
        "{work:?}"
    );
    assert!(work.ns_checks <= 4 * n + 1_024, "{work:?}");
    assert_eq!(work.rsa_decryptions, 0);
    if let Ok(a) = result {
        // Accepting is only possible for unmodified signed content: the identity must be
        // exactly the fixtures' (a mutation that changed it and still verified is a bug).
        assert_eq!(a.name_id(), "alice@example.com", "accepted a changed identity");
    }
});
