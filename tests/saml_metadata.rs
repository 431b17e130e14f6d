//! IdP metadata parsing (Okta- and Entra-shaped) and SP metadata generation.
#![expect(clippy::unwrap_used)]

use openssl::x509::X509;
use provisiond::saml::metadata::{
    parse_idp_metadata, sp_metadata_xml, MetadataError, SpMetadata, MD_NS,
};
use provisiond::saml::xml::{parse, Limits};
use std::path::PathBuf;

fn fixture(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/saml")
        .join(path);
    std::fs::read_to_string(p).unwrap()
}

fn cert(name: &str) -> X509 {
    X509::from_pem(fixture(&format!("keys/{name}.crt")).as_bytes()).unwrap()
}

fn b64(name: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(cert(name).to_der().unwrap())
}

fn metadata(name: &str) -> String {
    fixture(&format!("metadata/{name}"))
        .replace("{{IDP_RSA_CERT}}", &b64("idp-rsa"))
        .replace("{{IDP_EC_CERT}}", &b64("idp-ec"))
        .replace("{{ATTACKER_RSA_CERT}}", &b64("attacker-rsa"))
}

fn der(c: &X509) -> Vec<u8> {
    c.to_der().unwrap()
}

#[test]
fn okta_metadata() {
    let m = parse_idp_metadata(&metadata("okta-idp.xml"), &Limits::default()).unwrap();
    assert_eq!(m.entity_id, "http://www.okta.com/exk1a2b3c4d5E6f7g8h9");
    let url = "https://example.okta.com/app/example_sp_1/exk1a2b3c4d5E6f7g8h9/sso/saml";
    assert_eq!(m.sso_redirect_url.as_deref(), Some(url));
    assert_eq!(m.sso_post_url.as_deref(), Some(url));
    assert_eq!(
        m.signing_certs.iter().map(der).collect::<Vec<_>>(),
        vec![der(&cert("idp-rsa"))]
    );
    assert!(!m.want_authn_requests_signed);
}

#[test]
fn entra_metadata_takes_only_idp_signing_certs() {
    let m = parse_idp_metadata(
        &metadata("entra-federationmetadata.xml"),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(
        m.entity_id,
        "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/"
    );
    assert_eq!(
        m.sso_redirect_url.as_deref(),
        Some("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/saml2")
    );
    let got: Vec<Vec<u8>> = m.signing_certs.iter().map(der).collect();
    assert_eq!(got, vec![der(&cert("idp-rsa")), der(&cert("idp-ec"))]);
}

#[test]
fn bad_metadata_is_refused() {
    let okta = metadata("okta-idp.xml");
    let l = Limits::default();
    assert_eq!(
        parse_idp_metadata(
            &okta.replace(
                "protocol\"><md:KeyDescriptor",
                "protocol-x\"><md:KeyDescriptor"
            ),
            &l
        )
        .unwrap_err(),
        MetadataError::NotOneIdp
    );
    assert_eq!(
        parse_idp_metadata(
            &okta.replace(
                "entityID=\"http://www.okta.com/exk1a2b3c4d5E6f7g8h9\"",
                "entityID=\" \""
            ),
            &l
        )
        .unwrap_err(),
        MetadataError::MissingEntityId
    );
    assert_eq!(
        parse_idp_metadata(
            &okta.replace("SingleSignOnService", "SingleLogoutService"),
            &l
        )
        .unwrap_err(),
        MetadataError::NoSsoService
    );
    assert_eq!(
        parse_idp_metadata(&okta.replace("use=\"signing\"", "use=\"encryption\""), &l).unwrap_err(),
        MetadataError::NoSigningCertificate
    );
    assert_eq!(
        parse_idp_metadata(&okta.replace(&b64("idp-rsa"), "bm90IGEgY2VydA=="), &l).unwrap_err(),
        MetadataError::InvalidCertificate
    );
    assert!(matches!(
        parse_idp_metadata("<!DOCTYPE x []><x/>", &l),
        Err(MetadataError::Xml(_))
    ));
}

#[test]
fn sp_metadata_round_trips_and_escapes() {
    let signing = cert("sp-rsa");
    let xml = sp_metadata_xml(&SpMetadata {
        entity_id: "https://sp.example.com/sso/saml/metadata/conn_1?a=1&b=\"2\"",
        acs_url: "https://sp.example.com/sso/saml/acs/conn_1",
        signing_cert: Some(&signing),
        encryption_cert: Some(&signing),
        name_id_format: Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"),
    })
    .unwrap();
    let doc = parse(&xml, &Limits::default()).unwrap();
    let root = doc.root();
    assert!(root.is(MD_NS, "EntityDescriptor"));
    assert_eq!(
        root.attr("entityID"),
        Some("https://sp.example.com/sso/saml/metadata/conn_1?a=1&b=\"2\"")
    );
    let sp = root.only_child(MD_NS, "SPSSODescriptor").unwrap();
    assert_eq!(sp.attr("AuthnRequestsSigned"), Some("true"));
    assert_eq!(sp.attr("WantAssertionsSigned"), Some("true"));
    assert_eq!(sp.children_named(MD_NS, "KeyDescriptor").count(), 2);
    let acs = sp.only_child(MD_NS, "AssertionConsumerService").unwrap();
    assert_eq!(
        acs.attr("Location"),
        Some("https://sp.example.com/sso/saml/acs/conn_1")
    );
    let unsigned = sp_metadata_xml(&SpMetadata {
        entity_id: "sp",
        acs_url: "https://sp/acs",
        signing_cert: None,
        encryption_cert: None,
        name_id_format: None,
    })
    .unwrap();
    let doc = parse(&unsigned, &Limits::default()).unwrap();
    let sp = doc.root().only_child(MD_NS, "SPSSODescriptor").unwrap();
    assert_eq!(sp.attr("AuthnRequestsSigned"), Some("false"));
    assert_eq!(sp.children_named(MD_NS, "KeyDescriptor").count(), 0);
}
