//! Adversarial SAMLResponse inputs for the cost bench (`benches/saml_adversarial.rs`) and
//! the defence tests (`tests/saml_cost.rs`): for each class of issue #12, the most
//! expensive document an anonymous client can build within the parser limits, next to a
//! valid signed Response of the same size.
//!
//! The valid Responses are signed here with the test IdP key
//! (`tests/fixtures/saml/keys/idp-rsa.key`) over provisiond's own exclusive c14n; the
//! xmlsec1 fixtures and `tests/saml_c14n.rs` prove that c14n agrees with xmlsec1 and lxml.
//! Several attacks reuse a *genuine* Signature from such a Response (an attacker with an
//! account at the IdP has plenty), since that is what gets past the cheap checks.
#![expect(clippy::unwrap_used)]

use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use openssl::x509::X509;
use provisiond::saml::c14n::{canonicalize, Method};
use provisiond::saml::response::ResponseConfig;
use provisiond::saml::xml::{parse, Limits};

pub const IDP: &str = "https://idp.adversarial.example/saml";
/// Defaults; the end-to-end bench sets `ADV_SP`, `ADV_ACS` and `ADV_NOW` (RFC 3339) to
/// the real connection's values and the server's clock.
const SP_DEFAULT: &str = "https://sp.example.com/sso/saml/metadata/conn_1";
const ACS_DEFAULT: &str = "https://sp.example.com/sso/saml/acs/conn_1";

pub fn sp() -> String {
    std::env::var("ADV_SP").unwrap_or_else(|_| SP_DEFAULT.to_owned())
}

pub fn acs() -> String {
    std::env::var("ADV_ACS").unwrap_or_else(|_| ACS_DEFAULT.to_owned())
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
const EXC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

fn fixture(path: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/saml")
        .join(path);
    std::fs::read_to_string(p).unwrap()
}

/// The instant every input is valid at.
pub fn now() -> DateTime<Utc> {
    std::env::var("ADV_NOW")
        .ok()
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.with_ymd_and_hms(2026, 1, 1, 12, 1, 0).unwrap())
}

pub fn idp_key() -> PKey<Private> {
    PKey::private_key_from_pem(fixture("keys/idp-rsa.key").as_bytes()).unwrap()
}

pub fn idp_cert() -> X509 {
    X509::from_pem(fixture("keys/idp-rsa.crt").as_bytes()).unwrap()
}

pub fn sp_key() -> PKey<Private> {
    PKey::private_key_from_pem(fixture("keys/sp-rsa.key").as_bytes()).unwrap()
}

/// The connection the inputs are posted to (IdP-initiated: no InResponseTo).
pub fn config() -> ResponseConfig {
    let mut c = ResponseConfig::new(IDP, &sp(), &acs(), vec![idp_cert()]);
    c.sp_decryption_keys = vec![sp_key()];
    c
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// `count` Attribute elements of ~100 bytes each (what IdPs send for groups).
fn attributes(count: usize) -> String {
    let mut s = String::new();
    for i in 0..count {
        s.push_str(&format!(
            "<saml:Attribute Name=\"group{i}\"><saml:AttributeValue>engineering-team-{i:08}</saml:AttributeValue></saml:Attribute>"
        ));
    }
    s
}

/// An unsigned Assertion with `extra` inside its AttributeStatement.
fn assertion(id: &str, extra: &str) -> String {
    let (sp, acs, t) = (sp(), acs(), now());
    let (issued, before, after) = (
        stamp(t - chrono::Duration::minutes(1)),
        stamp(t - chrono::Duration::minutes(2)),
        stamp(t + chrono::Duration::minutes(4)),
    );
    format!(
        "<saml:Assertion xmlns:saml=\"{SAML}\" ID=\"{id}\" IssueInstant=\"{issued}\" Version=\"2.0\">\
<saml:Issuer>{IDP}</saml:Issuer>\
<saml:Subject><saml:NameID Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\">alice</saml:NameID>\
<saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">\
<saml:SubjectConfirmationData NotOnOrAfter=\"{after}\" Recipient=\"{acs}\"></saml:SubjectConfirmationData>\
</saml:SubjectConfirmation></saml:Subject>\
<saml:Conditions NotBefore=\"{before}\" NotOnOrAfter=\"{after}\">\
<saml:AudienceRestriction><saml:Audience>{sp}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
<saml:AuthnStatement AuthnInstant=\"{issued}\" SessionIndex=\"_s1\">\
<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>\
<saml:AttributeStatement><saml:Attribute Name=\"email\"><saml:AttributeValue>alice@example.com</saml:AttributeValue></saml:Attribute>{extra}</saml:AttributeStatement>\
</saml:Assertion>"
    )
}

/// An enveloped signature (exc-c14n, RSA-SHA256) over the standalone element `xml`
/// whose ID is `id`, as the `ds:Signature` element text.
fn signature_for(xml: &str, id: &str) -> String {
    let limits = Limits::default();
    let doc = parse(xml, &limits).unwrap();
    let exc = Method::Exclusive {
        with_comments: false,
        inclusive_prefixes: vec![],
    };
    let c = canonicalize(&doc, doc.root(), &exc, None).unwrap();
    let digest = openssl::hash::hash(MessageDigest::sha256(), &c).unwrap();
    let signed_info = format!(
        "<ds:SignedInfo xmlns:ds=\"{DS}\"><ds:CanonicalizationMethod Algorithm=\"{EXC}\"></ds:CanonicalizationMethod>\
<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"></ds:SignatureMethod>\
<ds:Reference URI=\"#{id}\"><ds:Transforms><ds:Transform Algorithm=\"{DS}enveloped-signature\"></ds:Transform>\
<ds:Transform Algorithm=\"{EXC}\"></ds:Transform></ds:Transforms>\
<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"></ds:DigestMethod>\
<ds:DigestValue>{}</ds:DigestValue></ds:Reference></ds:SignedInfo>",
        b64(&digest)
    );
    let si_doc = parse(&signed_info, &limits).unwrap();
    let si_c = canonicalize(&si_doc, si_doc.root(), &exc, None).unwrap();
    let key = idp_key();
    let mut signer = Signer::new(MessageDigest::sha256(), &key).unwrap();
    signer.update(&si_c).unwrap();
    let sig = signer.sign_to_vec().unwrap();
    let inner = signed_info.replacen(&format!(" xmlns:ds=\"{DS}\""), "", 1);
    format!(
        "<ds:Signature xmlns:ds=\"{DS}\">{inner}<ds:SignatureValue>{}</ds:SignatureValue></ds:Signature>",
        b64(&sig)
    )
}

/// Puts `signature` right after the first `</saml:Issuer>` of `xml` (SAML Core §5.4.1
/// order; no whitespace, so the enveloped content is unchanged).
fn insert_signature(xml: &str, signature: &str) -> String {
    let at = xml.find("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
    format!("{}{}{}", &xml[..at], signature, &xml[at..])
}

fn response(inner: &str, extra_attrs: &str) -> String {
    let (acs, issued) = (acs(), stamp(now() - chrono::Duration::minutes(1)));
    format!(
        "<samlp:Response xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"{SAML}\" ID=\"_r1\" Version=\"2.0\" \
IssueInstant=\"{issued}\" Destination=\"{acs}\"{extra_attrs}><saml:Issuer>{IDP}</saml:Issuer>\
<samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"></samlp:StatusCode></samlp:Status>\
{inner}</samlp:Response>"
    )
}

/// A genuinely signed Assertion (ID `_a1`) with `n` extra attributes.
fn signed_assertion(n: usize) -> String {
    let a = assertion("_a1", &attributes(n));
    insert_signature(&a, &signature_for(&a, "_a1"))
}

/// The genuine Signature of a small valid assertion `_a1`: what an attacker replays.
pub fn genuine_assertion_signature() -> String {
    let a = assertion("_a1", "");
    signature_for(&a, "_a1")
}

/// Attribute count that brings a Response to about `size` bytes.
fn fill(size: usize) -> usize {
    size.saturating_sub(3_000) / 110
}

/// A valid Response with a signed Assertion, about `size` bytes.
pub fn valid(size: usize) -> String {
    response(&signed_assertion(fill(size)), "")
}

/// A valid Response signed twice (Response and Assertion), about `size` bytes.
pub fn valid_both_signed(size: usize) -> String {
    let r = response(&signed_assertion(fill(size)), "");
    insert_signature(&r, &signature_for(&r, "_r1"))
}

/// Wraps `content` (any elements) in an Assertion `_a1` carrying the genuine signature
/// of another `_a1`: the signature over SignedInfo verifies, so the content is
/// canonicalized and digested (and then refused: digest mismatch).
fn replayed(content: &str) -> String {
    let a = assertion("_a1", content);
    response(&insert_signature(&a, &genuine_assertion_signature()), "")
}

/// Content of `size` bytes made of `unit` repeated, inside `<w>…</w>` wrappers.
fn repeat(unit: &str, size: usize) -> String {
    unit.repeat(size / unit.len().max(1))
}

/// Class 1, c14n vs namespaces: the most prefixes allowed in scope (63 declared on one
/// wrapper, with saml) and leaves that each use as many of them as an element may carry
/// (exclusive c14n renders each leaf's prefixes again), under a replayed genuine
/// signature so the content is canonicalized.
pub fn ns_flood(size: usize) -> String {
    let decls: String = (0..60)
        .map(|i| format!(" xmlns:p{i}=\"urn:{i}\""))
        .collect();
    let attrs: String = (0..60).map(|i| format!(" p{i}:a=\"\"")).collect();
    let leaf = format!("<p0:l{attrs}/>");
    let body = repeat(&leaf, size.saturating_sub(4_000));
    replayed(&format!("<p0:w{decls}>{body}</p0:w>"))
}

/// Class 1, exclusive C14N amplification: 60 declarations with 2 KB URIs, used by every
/// leaf, so each leaf re-renders 120 KB of declarations (refused by the c14n budget).
pub fn ns_flood_long_uris(size: usize) -> String {
    let long = "u".repeat(2_000);
    let decls: String = (0..60)
        .map(|i| format!(" xmlns:p{i}=\"urn:{i}:{long}\""))
        .collect();
    let attrs: String = (0..60).map(|i| format!(" p{i}:a=\"\"")).collect();
    let leaf = format!("<p0:l{attrs}/>");
    let body = repeat(&leaf, size.saturating_sub(130_000));
    replayed(&format!("<p0:w{decls}>{body}</p0:w>"))
}

/// Class 1, the same namespace chain as the pre-fix attack: declarations nested deeper
/// than the in-scope cap (refused by the parser).
pub fn ns_over_cap(size: usize) -> String {
    let open: String = (0..50)
        .map(|l| {
            let decls: String = (l * 4..l * 4 + 4)
                .map(|i| format!(" xmlns:p{i}=\"urn:{i}\""))
                .collect();
            format!("<p{}:e{decls}>", l * 4)
        })
        .collect();
    let close: String = (0..50).rev().map(|l| format!("</p{}:e>", l * 4)).collect();
    let leaves = repeat("<p0:l/>", size.saturating_sub(8_000));
    replayed(&format!("{open}{leaves}{close}"))
}

/// Class 2, digest before shape: a valid-looking signature whose SignedInfo has two
/// References, over `size` bytes of content.
pub fn two_references(size: usize) -> String {
    let sig = genuine_assertion_signature();
    let r = sig.find("<ds:Reference").unwrap();
    let end = sig.find("</ds:Reference>").unwrap() + "</ds:Reference>".len();
    let doubled = format!("{}{}{}", &sig[..end], &sig[r..end], &sig[end..]);
    let a = assertion("_a1", &attributes(fill(size)));
    response(&insert_signature(&a, &doubled), "")
}

/// Class 2: a SignatureValue of a length no pinned key produces.
pub fn wrong_signature_length(size: usize) -> String {
    let sig = genuine_assertion_signature();
    let v = sig.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
    let e = sig.find("</ds:SignatureValue>").unwrap();
    let forged = format!("{}{}{}", &sig[..v], b64(&[7u8; 300]), &sig[e..]);
    let a = assertion("_a1", &attributes(fill(size)));
    response(&insert_signature(&a, &forged), "")
}

/// Class 2: a well-formed signature of the right length that no pinned key made (the
/// attacker's own key): one RSA verify over SignedInfo, no content digest.
pub fn forged_signature(size: usize) -> String {
    let sig = genuine_assertion_signature();
    let v = sig.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
    let e = sig.find("</ds:SignatureValue>").unwrap();
    let forged = format!("{}{}{}", &sig[..v], b64(&[0x5au8; 256]), &sig[e..]);
    let a = assertion("_a1", &attributes(fill(size)));
    response(&insert_signature(&a, &forged), "")
}

/// Class 2: the genuine signature over changed (padded) content: the most work a
/// signature replay gets — one verify, then c14n and digest of the content.
pub fn replayed_signature(size: usize) -> String {
    replayed(&attributes(fill(size)))
}

/// Class 2: Response and Assertion signatures both replayed around padded content.
pub fn replayed_both(size: usize) -> String {
    let valid = valid_both_signed(2_000);
    let start = valid.find("<ds:Signature").unwrap();
    let end = valid.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let response_sig = &valid[start..end];
    let inner = replayed(&attributes(fill(size)));
    insert_signature(&inner, response_sig)
}

/// An EncryptedAssertion with `keys` EncryptedKey elements of `key_len` wrapped bytes.
fn encrypted(keys: usize, key_len: usize, data_len: usize) -> String {
    let ek = format!(
        "<xenc:EncryptedKey><xenc:EncryptionMethod Algorithm=\"{XENC}rsa-oaep-mgf1p\"></xenc:EncryptionMethod>\
<xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>",
        b64(&vec![0x42u8; key_len])
    );
    format!(
        "<saml:EncryptedAssertion xmlns:xenc=\"{XENC}\"><xenc:EncryptedData>\
<xenc:EncryptionMethod Algorithm=\"http://www.w3.org/2009/xmlenc11#aes256-gcm\"></xenc:EncryptionMethod>\
<xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>{}</saml:EncryptedAssertion>",
        b64(&vec![0x11u8; data_len]),
        ek.repeat(keys)
    )
}

/// Class 3: EncryptedKey elements up to the size (each would be an RSA private op).
pub fn many_encrypted_keys(size: usize) -> String {
    response(&encrypted(size / 450, 256, 64), "")
}

/// Class 3: the allowed number of EncryptedKeys, each of the SP key's exact length
/// (so each costs an RSA private-key operation), ciphertext filling the size.
pub fn max_encrypted_keys(size: usize) -> String {
    let data = size.saturating_sub(4_000) * 3 / 4;
    response(
        &encrypted(provisiond::saml::encryption::MAX_ENCRYPTED_KEYS, 256, data),
        "",
    )
}

/// Class 3: EncryptedKeys under a signed Response whose signature is forged: nothing
/// may be unwrapped before the Response signature verified.
pub fn encrypted_under_forged_response(size: usize) -> String {
    let data = size.saturating_sub(4_000) * 3 / 4;
    let r = response(
        &encrypted(provisiond::saml::encryption::MAX_ENCRYPTED_KEYS, 256, data),
        "",
    );
    let sig = genuine_assertion_signature().replace("URI=\"#_a1\"", "URI=\"#_r1\"");
    insert_signature(&r, &sig)
}

/// Class 5, parser loops: elements with as many attributes as allowed (duplicate checks
/// per element), in an otherwise signed response.
pub fn attributes_per_element(size: usize) -> String {
    let attrs: String = (0..63).map(|i| format!(" a{i}=\"\"")).collect();
    replayed(&repeat(
        &format!("<saml:x{attrs}/>"),
        size.saturating_sub(4_000),
    ))
}

/// Class 5: nesting at the depth limit, repeated.
pub fn deep(size: usize) -> String {
    let depth = 50;
    let chain = format!("{}{}", "<saml:d>".repeat(depth), "</saml:d>".repeat(depth));
    replayed(&repeat(&chain, size.saturating_sub(4_000)))
}

/// Class 5: a character reference per byte or so of text.
pub fn entity_refs(size: usize) -> String {
    replayed(&format!(
        "<saml:t>{}</saml:t>",
        repeat("&amp;&#65;", size.saturating_sub(4_000))
    ))
}

/// Class 5: every element carries an ID (the uniqueness check hashes them all).
pub fn many_ids(size: usize) -> String {
    let mut s = String::new();
    let mut i = 0;
    while s.len() < size.saturating_sub(4_000) {
        s.push_str(&format!("<saml:i ID=\"_id{i:012}\"/>"));
        i += 1;
    }
    replayed(&s)
}

/// Class 5: many Transform elements in the Reference.
pub fn many_transforms(size: usize) -> String {
    let sig = genuine_assertion_signature();
    let t = format!("<ds:Transform Algorithm=\"{EXC}\"></ds:Transform>");
    let many = repeat(&t, size.saturating_sub(4_000));
    let forged = sig.replacen("<ds:Transforms>", &format!("<ds:Transforms>{many}"), 1);
    response(&insert_signature(&assertion("_a1", ""), &forged), "")
}

/// Class 5: a long InclusiveNamespaces PrefixList on the Reference's c14n transform.
pub fn long_prefix_list(size: usize) -> String {
    let sig = genuine_assertion_signature();
    let list: String = (0..size.saturating_sub(4_000) / 6)
        .map(|i| format!("p{i} "))
        .collect();
    let forged = sig.replacen(
        &format!("<ds:Transform Algorithm=\"{EXC}\"></ds:Transform>"),
        &format!(
            "<ds:Transform Algorithm=\"{EXC}\"><ec:InclusiveNamespaces xmlns:ec=\"{EXC}\" PrefixList=\"{list}\"></ec:InclusiveNamespaces></ds:Transform>"
        ),
        1,
    );
    response(&insert_signature(&assertion("_a1", ""), &forged), "")
}

/// Class 5: a huge base64 SignatureValue.
pub fn huge_signature_value(size: usize) -> String {
    let sig = genuine_assertion_signature();
    let v = sig.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
    let e = sig.find("</ds:SignatureValue>").unwrap();
    let forged = format!(
        "{}{}{}",
        &sig[..v],
        b64(&vec![9u8; size.saturating_sub(4_000) * 3 / 4]),
        &sig[e..]
    );
    response(&insert_signature(&assertion("_a1", ""), &forged), "")
}

/// Every class: (name, what it attacks, builder).
pub type Builder = fn(usize) -> String;
pub const CLASSES: &[(&str, &str, Builder)] = &[
    (
        "ns_flood",
        "c14n vs namespaces in scope (replayed signature)",
        ns_flood,
    ),
    (
        "ns_flood_long_uris",
        "exclusive c14n re-rendering long URIs",
        ns_flood_long_uris,
    ),
    (
        "ns_over_cap",
        "namespaces in scope beyond the cap",
        ns_over_cap,
    ),
    ("two_references", "shape: two References", two_references),
    (
        "wrong_signature_length",
        "shape: SignatureValue length",
        wrong_signature_length,
    ),
    (
        "forged_signature",
        "signature over SignedInfo, no pinned key",
        forged_signature,
    ),
    (
        "replayed_signature",
        "genuine signature, changed content",
        replayed_signature,
    ),
    (
        "replayed_both",
        "genuine Response + Assertion signatures, changed content",
        replayed_both,
    ),
    (
        "many_encrypted_keys",
        "EncryptedKey count",
        many_encrypted_keys,
    ),
    (
        "max_encrypted_keys",
        "EncryptedKeys at the cap, unsigned Response",
        max_encrypted_keys,
    ),
    (
        "encrypted_under_forged_response",
        "EncryptedKeys under a forged Response signature",
        encrypted_under_forged_response,
    ),
    (
        "attributes_per_element",
        "parser: 63 attributes per element",
        attributes_per_element,
    ),
    ("deep", "parser/c14n: nesting at the limit", deep),
    ("entity_refs", "parser: character references", entity_refs),
    ("many_ids", "ID uniqueness over every element", many_ids),
    ("many_transforms", "Transform count", many_transforms),
    (
        "long_prefix_list",
        "InclusiveNamespaces PrefixList",
        long_prefix_list,
    ),
    (
        "huge_signature_value",
        "base64 SignatureValue size",
        huge_signature_value,
    ),
];
