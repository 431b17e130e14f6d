//! `sso::login::validate_and_consume` and `start_authn_request` against a real database
//! (both backends): single-use requests, the replay cache, IdP-initiated policy, tenant
//! isolation, SP keys from files and from the database, the per-connection AES-CBC opt-in.

use chrono::Duration;
use provisiond::config::ConfigLayer;
use provisiond::saml::encryption::DecryptError;
use provisiond::saml::response::ResponseError;
use provisiond::sso::keys::{ensure_server_key, sp_key_pair};
use provisiond::sso::login::{start_authn_request, validate_and_consume};
use provisiond::sso::SsoError;
use provisiond::store::replay::{count_replay_entries, insert_replay_entry, NewReplayEntry};
use provisiond::store::StoreError;

use crate::saml_db_tests;
use crate::saml_support::*;

fn replay_count(app: &provisiond::app::AppState) -> i64 {
    block_on(app.db.read(count_replay_entries)).unwrap()
}

saml_db_tests! {
    fn sp_initiated_response_is_accepted_once(db) {
        let app = db.replica();
        insert_okta_connection(&app, "acme", "conn_1", false);
        insert_pending(&app, "conn_1", REQ, at(12, 10));
        let (a, info) = block_on(validate_and_consume(
            &app, "conn_1", &b64("responses/okta-rsa-assertion.xml"), at(12, 1),
        )).unwrap();
        assert_eq!(a.issuer(), OKTA);
        assert_eq!(a.in_response_to(), Some(REQ));
        assert_eq!(info.id, "conn_1");
        assert_eq!(info.organization_id, "org_acme");
        assert_eq!(info.attribute_mapping.get("email").map(String::as_str), Some("email"));
        let req = info.authn_request.unwrap();
        assert_eq!(req.id, REQ);
        assert_eq!(req.relay_state.as_deref(), Some("rs-123"));
        assert_eq!(req.redirect_uri.as_deref(), Some("https://app.example.com/cb"));
        assert_eq!(replay_count(&app), 1);

        // The same bytes again, and the same assertion in another (validly signed) envelope.
        for f in ["responses/okta-rsa-assertion.xml", "responses/okta-rsa-response.xml"] {
            let err = block_on(validate_and_consume(&app, "conn_1", &b64(f), at(12, 2)))
                .unwrap_err();
            assert!(matches!(err, SsoError::Replayed), "{f}: {err:?}");
            assert_eq!(err.kind(), "replayed");
        }
    }

    fn unknown_expired_or_foreign_requests_are_refused(db) {
        let app = db.replica();
        insert_okta_connection(&app, "acme", "conn_1", true);
        insert_okta_connection(&app, "other", "conn_2", true);
        let ok = b64("responses/okta-rsa-assertion.xml");
        // No pending request at all (allow_idp_initiated does not help: it names one).
        let err = block_on(validate_and_consume(&app, "conn_1", &ok, at(12, 1))).unwrap_err();
        assert!(matches!(err, SsoError::UnknownRequest), "{err:?}");
        // Pending on another connection (another tenant).
        insert_pending(&app, "conn_2", REQ, at(12, 10));
        let err = block_on(validate_and_consume(&app, "conn_1", &ok, at(12, 1))).unwrap_err();
        assert!(matches!(err, SsoError::UnknownRequest), "{err:?}");
        // And on that connection, the response is for conn_1's audience/ACS: refused.
        let err = block_on(validate_and_consume(&app, "conn_2", &ok, at(12, 1))).unwrap_err();
        assert!(matches!(err, SsoError::Response(ResponseError::WrongDestination)), "{err:?}");
        assert_eq!(replay_count(&app), 0);
    }

    fn expired_pending_request_is_refused(db) {
        let app = db.replica();
        insert_okta_connection(&app, "acme", "conn_1", false);
        insert_pending(&app, "conn_1", REQ, at(12, 1));
        let err = block_on(validate_and_consume(
            &app, "conn_1", &b64("responses/okta-rsa-assertion.xml"), at(12, 1),
        )).unwrap_err();
        assert!(matches!(err, SsoError::UnknownRequest), "{err:?}");
    }

    fn a_refused_response_does_not_consume_the_request(db) {
        let app = db.replica();
        insert_okta_connection(&app, "acme", "conn_1", false);
        insert_pending(&app, "conn_1", REQ, at(12, 10));
        // Signed by an attacker's key, carrying the victim's (browser-visible) request id.
        let err = block_on(validate_and_consume(
            &app, "conn_1", &b64("responses/okta-attacker-assertion.xml"), at(12, 1),
        )).unwrap_err();
        assert!(
            matches!(err, SsoError::Response(ResponseError::AssertionSignature(_))),
            "{err:?}"
        );
        assert!(err.is_login_refusal());
        // Garbage is refused without panics.
        let err = block_on(validate_and_consume(&app, "conn_1", "%%%not base64", at(12, 1))).unwrap_err();
        assert_eq!(err.kind(), "encoding");
        // The real user's response still works.
        block_on(validate_and_consume(
            &app, "conn_1", &b64("responses/okta-rsa-assertion.xml"), at(12, 1),
        )).unwrap();
    }

    fn idp_initiated_follows_the_connection_policy(db) {
        let app = db.replica();
        insert_okta_connection(&app, "acme", "conn_1", false);
        let idp = b64("responses/okta-rsa-idp-initiated.xml");
        let err = block_on(validate_and_consume(&app, "conn_1", &idp, at(12, 1))).unwrap_err();
        assert!(matches!(err, SsoError::IdpInitiatedNotAllowed), "{err:?}");
        // Malformed input keeps its own kind even where IdP-initiated login is off.
        let doctype = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "<!DOCTYPE x [<!ENTITY a 'b'>]><x/>",
        );
        let err = block_on(validate_and_consume(&app, "conn_1", &doctype, at(12, 1))).unwrap_err();
        assert_eq!(err.kind(), "xml", "{err:?}");

        let db2 = TestDb::create(db.backend).unwrap();
        let app = db2.replica();
        insert_okta_connection(&app, "acme", "conn_1", true);
        let (a, info) = block_on(validate_and_consume(&app, "conn_1", &idp, at(12, 1))).unwrap();
        assert_eq!(a.in_response_to(), None);
        assert_eq!(info.authn_request, None);
        let err = block_on(validate_and_consume(&app, "conn_1", &idp, at(12, 2))).unwrap_err();
        assert!(matches!(err, SsoError::Replayed), "{err:?}");
        // Unknown connection.
        let err = block_on(validate_and_consume(&app, "nope", &idp, at(12, 1))).unwrap_err();
        assert!(matches!(err, SsoError::NotFound(_)), "{err:?}");
    }

    fn expired_replay_entries_are_purged(db) {
        let app = db.replica();
        insert_okta_connection(&app, "acme", "conn_1", true);
        block_on(app.db.write(|c| {
            insert_replay_entry(c, &NewReplayEntry {
                connection_id: "conn_1",
                assertion_id: "old",
                expires_at: at(11, 0).naive_utc(),
                created_at: at(10, 0).naive_utc(),
            })?;
            Ok::<_, StoreError>(())
        })).unwrap();
        assert_eq!(replay_count(&app), 1);
        block_on(validate_and_consume(
            &app, "conn_1", &b64("responses/okta-rsa-idp-initiated.xml"), at(12, 1),
        )).unwrap();
        // "old" purged, the new assertion kept.
        assert_eq!(replay_count(&app), 1);
    }

    fn encrypted_assertion_with_sp_key_files(db) {
        let app = db.replica_with(ConfigLayer {
            saml_sp_key: Some(fixture_path("keys/sp-rsa.key")),
            saml_sp_cert: Some(fixture_path("keys/sp-rsa.crt")),
            ..ConfigLayer::default()
        });
        insert_okta_connection(&app, "acme", "conn_1", false);
        insert_pending(&app, "conn_1", REQ, at(12, 10));
        let (a, _) = block_on(validate_and_consume(
            &app, "conn_1", &b64("encrypted/oaep-mgf1p-aes128-gcm.xml"), at(12, 1),
        )).unwrap();
        assert_eq!(a.name_id(), "alice@example.com");
        let pair = block_on(sp_key_pair(&app, None)).unwrap();
        let expected = openssl::x509::X509::from_pem(fixture("keys/sp-rsa.crt").as_bytes()).unwrap();
        assert_eq!(pair.cert.to_der().unwrap(), expected.to_der().unwrap());
    }

    fn generated_server_key_is_shared_and_stable(db) {
        // Two replicas generating at the same moment end up with one key pair.
        let (a, b) = (db.replica(), db.replica());
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let handles: Vec<_> = [a.clone(), b.clone()].into_iter().map(|app| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                block_on(ensure_server_key(&app)).unwrap().cert.to_der().unwrap()
            })
        }).collect();
        let certs: Vec<Vec<u8>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(certs[0], certs[1]);
        let again = block_on(sp_key_pair(&b, Some("conn_x".into()))).unwrap();
        assert_eq!(again.cert.to_der().unwrap(), certs[0]);
    }

    fn start_authn_request_stores_a_single_use_pending_request(db) {
        let app = db.replica();
        insert_okta_connection(&app, "acme", "conn_1", false);
        let start = block_on(start_authn_request(
            &app, "conn_1", Some("state-1".into()), Some("https://app.example.com/cb".into()), None,
        )).unwrap();
        assert!(start.redirect_url.starts_with("https://idp.example.com/sso?SAMLRequest="), "{}", start.redirect_url);
        assert!(start.redirect_url.contains("&RelayState=state-1"));
        assert!(!start.redirect_url.contains("Signature="));
        assert!(start.request_id.starts_with('_'));
        let id = start.request_id.clone();
        let row = block_on(app.db.read(move |c| {
            provisiond::store::authn_requests::find_request(c, "conn_1", &id)
        })).unwrap().unwrap();
        assert_eq!(row.relay_state.as_deref(), Some("state-1"));
        assert_eq!(row.consumed_at, None);
        assert_eq!(row.expires_at - row.created_at, Duration::minutes(10));
        let id = start.request_id.clone();
        let now = app.now().naive_utc();
        let (first, second) = block_on(app.db.write(move |c| {
            let first = provisiond::store::authn_requests::consume_request(c, "conn_1", &id, now)?;
            let second = provisiond::store::authn_requests::consume_request(c, "conn_1", &id, now)?;
            Ok::<_, StoreError>((first, second))
        })).unwrap();
        assert!(first && !second);
        let err = block_on(start_authn_request(&app, "conn_1", Some("x".repeat(2000)), None, None)).unwrap_err();
        assert!(matches!(err, SsoError::Invalid { .. }), "{err:?}");
    }

    fn signed_authn_request_verifies_with_the_advertised_sp_certificate(db) {
        use base64::Engine as _;
        use provisiond::store::saml_connections::{update_connection, SamlConnectionChanges};
        let app = db.replica();
        insert_okta_connection(&app, "acme", "conn_1", false);
        block_on(app.db.write(|c| {
            update_connection(c, "conn_1", &SamlConnectionChanges {
                sign_authn_requests: Some(true),
                ..Default::default()
            })
        })).unwrap();
        let start = block_on(start_authn_request(&app, "conn_1", Some("s".into()), None, None)).unwrap();
        let query = start.redirect_url.split_once('?').unwrap().1;
        let (signed, sig) = query.split_once("&Signature=").unwrap();
        assert!(signed.contains("&SigAlg="));
        let sig: String = url::form_urlencoded::parse(format!("s={sig}").as_bytes())
            .next().unwrap().1.into_owned();
        let sig = base64::engine::general_purpose::STANDARD.decode(sig).unwrap();
        let cert = block_on(sp_key_pair(&app, Some("conn_1".into()))).unwrap().cert;
        let key = cert.public_key().unwrap();
        let mut v = openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
        v.update(signed.as_bytes()).unwrap();
        assert!(v.verify(&sig).unwrap());
    }

    fn encrypted_assertion_with_a_per_connection_sp_key(db) {
        let app = db.replica();
        insert_okta_connection(&app, "acme", "conn_1", false);
        insert_pending(&app, "conn_1", REQ, at(12, 10));
        let enc = b64("encrypted/oaep11-sha256-aes256-gcm.xml");
        // The server-wide (generated) key cannot decrypt it.
        let err = block_on(validate_and_consume(&app, "conn_1", &enc, at(12, 1))).unwrap_err();
        assert_eq!(err.kind(), "decrypt", "{err:?}");
        insert_own_sp_key(&app, "conn_1");
        let (a, _) = block_on(validate_and_consume(&app, "conn_1", &enc, at(12, 1))).unwrap();
        assert_eq!(a.name_id(), "alice@example.com");
    }

    fn aes_cbc_only_when_the_connection_opts_in_with_its_own_key(db) {
        // The server-wide key is the fixtures' SP key, so it *could* decrypt both.
        let app = db.replica_with(ConfigLayer {
            saml_sp_key: Some(fixture_path("keys/sp-rsa.key")),
            saml_sp_cert: Some(fixture_path("keys/sp-rsa.crt")),
            ..ConfigLayer::default()
        });
        insert_okta_connection(&app, "acme", "conn_1", false);
        insert_pending(&app, "conn_1", REQ, at(12, 10));
        let (cbc, gcm) = (b64("encrypted/oaep-mgf1p-aes128-cbc.xml"), b64("encrypted/oaep-mgf1p-aes128-gcm.xml"));
        let decrypt_err = |xml: &str| match block_on(validate_and_consume(&app, "conn_1", xml, at(12, 1))) {
            Err(SsoError::Response(ResponseError::Decrypt(e))) => e,
            other => panic!("expected a decryption failure, got {other:?}"),
        };
        // Default aes-gcm: an AES-CBC assertion is refused (as Entra ID and ADFS send).
        assert_eq!(decrypt_err(&cbc), DecryptError::DataEncryptionNotAllowed);
        // aes-cbc without an own key (the admin API refuses this; a row written behind
        // its back): the server-wide key, shared with GCM connections, never serves CBC.
        set_data_encryption(&app, "conn_1", "aes-cbc");
        assert_eq!(decrypt_err(&cbc), DecryptError::NoDecryptionKeys);
        // With its own key: CBC is accepted, and GCM refused for that key.
        insert_own_sp_key(&app, "conn_1");
        assert_eq!(decrypt_err(&gcm), DecryptError::DataEncryptionNotAllowed);
        let (a, _) = block_on(validate_and_consume(&app, "conn_1", &cbc, at(12, 1))).unwrap();
        assert_eq!(a.name_id(), "alice@example.com");
    }
}

/// Stores the fixtures' SP key pair as `connection`'s own (what the admin API does with
/// `sp_private_key_pem`/`sp_certificate_pem`).
fn insert_own_sp_key(app: &provisiond::app::AppState, connection: &str) {
    use provisiond::store::sp_keys::{insert_or_get_sp_key, NewSpKey};
    let (key, cert) = (fixture("keys/sp-rsa.key"), fixture("keys/sp-rsa.crt"));
    let key = provisiond::sso::keys::seal_private_key(&app.secrets, "k1", &key).unwrap();
    let connection = connection.to_owned();
    block_on(app.db.write(move |c| {
        insert_or_get_sp_key(
            c,
            &NewSpKey {
                id: "k1",
                scope: &connection,
                connection_id: Some(&connection),
                private_key_sealed: &key,
                certificate_pem: &cert,
                created_at: at(11, 0).naive_utc(),
            },
        )
    }))
    .unwrap();
}

fn set_data_encryption(app: &provisiond::app::AppState, connection: &str, family: &str) {
    use provisiond::store::saml_connections::{update_connection, SamlConnectionChanges};
    let (connection, family) = (connection.to_owned(), family.to_owned());
    block_on(app.db.write(move |c| {
        update_connection(
            c,
            &connection,
            &SamlConnectionChanges {
                data_encryption: Some(family),
                ..Default::default()
            },
        )
    }))
    .unwrap();
}
