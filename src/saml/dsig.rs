//! XML-DSig verification of one enveloped signature, producing [`VerifiedElement`]:
//! the only type from which identity data may be read.
//!
//! The rules are deliberately narrower than XML Signature 1.1 allows: exactly one
//! `ds:Signature` as a direct child of the element, exactly one `SignedInfo` and one
//! `Reference` whose URI is `#` + that element's ID, IDs unique in the document, only
//! enveloped-signature + C14N transforms, keys only from the configured certificates
//! (never KeyInfo). Everything else is refused with its own [`DsigError`] kind.

mod algorithms;

use super::c14n::{self, Method};
use super::xml::{Document, Element};
use algorithms::{DigestAlg, SignatureAlg};
use base64::Engine as _;
use openssl::x509::X509;

/// The XML-DSig namespace.
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// Enveloped-signature transform (XML-DSig §6.6.4).
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const EXC_NS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// Verification options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Accept SHA-1 digests and rsa-sha1/ecdsa-sha1 signatures (legacy IdPs only).
    pub allow_sha1: bool,
}

/// Why a signature was not accepted. Each attack class maps to its own kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsigError {
    /// No trusted certificate was configured.
    #[error("no trusted certificate configured")]
    NoTrustedCertificates,
    /// The element is not a node of the document passed with it.
    #[error("element is not part of the document")]
    NotInDocument,
    /// The element has no `ds:Signature` child.
    #[error("element is not signed")]
    MissingSignature,
    /// The element has more than one `ds:Signature` child.
    #[error("more than one Signature")]
    MultipleSignatures,
    /// The signed element carries no ID attribute.
    #[error("signed element has no ID")]
    MissingId,
    /// An ID value occurs more than once in the document.
    #[error("duplicate ID in document")]
    DuplicateId,
    /// `Signature` does not have exactly one `SignedInfo` (as its first child).
    #[error("Signature must contain exactly one SignedInfo")]
    SignedInfoCount,
    /// `SignedInfo` does not have exactly one `Reference`.
    #[error("SignedInfo must contain exactly one Reference")]
    ReferenceCount,
    /// The Reference URI is not `#` + the signed element's ID.
    #[error("Reference does not point at the signed element")]
    ReferenceUriMismatch,
    /// A transform other than enveloped-signature followed by one C14N method.
    #[error("unsupported or missing transform")]
    UnsupportedTransform,
    /// CanonicalizationMethod is not C14N 1.0 or Exc-C14N 1.0.
    #[error("unsupported canonicalization method")]
    UnsupportedCanonicalization,
    /// DigestMethod not supported.
    #[error("unsupported digest method")]
    UnsupportedDigest,
    /// SignatureMethod not supported.
    #[error("unsupported signature method")]
    UnsupportedSignatureMethod,
    /// SHA-1 used while [`VerifyOptions::allow_sha1`] is off.
    #[error("SHA-1 is not allowed")]
    Sha1NotAllowed,
    /// A required element or attribute is missing or malformed (bad base64, …).
    #[error("malformed signature: {0}")]
    Malformed(&'static str),
    /// The canonical form of the signed content would exceed `c14n::budget_for` the
    /// document's size (exclusive C14N re-rendering namespace declarations).
    #[error("canonical form too large")]
    CanonicalFormTooLarge,
    /// The digest of the referenced content does not match DigestValue.
    #[error("digest mismatch")]
    DigestMismatch,
    /// SignatureValue has a length no pinned key of the signature's family produces
    /// (checked before any cryptography).
    #[error("SignatureValue length matches no trusted key")]
    SignatureLength,
    /// No configured certificate validates SignatureValue over SignedInfo.
    #[error("signature does not verify with any trusted certificate")]
    SignatureInvalid,
    /// An OpenSSL failure while hashing (not an attacker-controlled outcome).
    #[error("crypto backend error")]
    Crypto,
}

/// An element whose enveloped signature verified: a copy of exactly the digested
/// content (the `ds:Signature` child removed). Only [`verify_element`] creates one.
/// `Debug` shows the ID only, never assertion content.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedElement {
    element: Element,
    id: String,
    cert_index: usize,
}

impl VerifiedElement {
    /// The verified element (without its Signature).
    pub fn element(&self) -> &Element {
        &self.element
    }

    /// The ID the Reference pointed at.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Index into the trusted certificates of the one that verified (rollover telemetry).
    pub fn cert_index(&self) -> usize {
        self.cert_index
    }

    /// The only child `{ns}local` of the verified element, itself verified: it lies
    /// inside the digested subtree. `Err(count)` when there are zero or several.
    pub fn only_child(&self, ns: &str, local: &str) -> Result<VerifiedElement, usize> {
        let child = self.element.only_child(ns, local)?;
        Ok(VerifiedElement {
            id: child.id().unwrap_or_default().to_owned(),
            element: child.clone(),
            cert_index: self.cert_index,
        })
    }

    /// Marks `decrypted` (the plaintext of an `EncryptedAssertion` that is a child of
    /// this verified element) as verified: the signature covered its ciphertext, and
    /// the ciphertext determines the plaintext. Only the response validator may call
    /// this, right after decrypting a child of `self`.
    pub(crate) fn covering_decrypted(&self, decrypted: Element) -> VerifiedElement {
        VerifiedElement {
            id: decrypted.id().unwrap_or_default().to_owned(),
            element: decrypted,
            cert_index: self.cert_index,
        }
    }
}

impl std::fmt::Debug for VerifiedElement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedElement")
            .field("id", &self.id)
            .field("cert_index", &self.cert_index)
            .finish_non_exhaustive()
    }
}

/// The direct `ds:Signature` children of `el`.
pub fn signatures(el: &Element) -> impl Iterator<Item = &Element> {
    el.children_named(DSIG_NS, "Signature")
}

/// Most entries accepted in an `InclusiveNamespaces PrefixList` (real IdPs send one to
/// five; each is looked up on the apex and against every declaration below it).
pub const MAX_INCLUSIVE_PREFIXES: usize = 32;
/// Longest base64 text accepted for a DigestValue or SignatureValue before decoding
/// (an RSA-8192 signature is 1,368 characters).
const MAX_B64_SIGNATURE_CHARS: usize = 2_048;

/// Verifies the enveloped signature of `target` (a node of `doc`) against `certs`.
///
/// Order (issue #12, bounded work before trust): everything cheap first — one Signature,
/// one SignedInfo, one Reference to `#` + the element's own ID, allowed transforms and
/// algorithms, a DigestValue of the digest's length, a SignatureValue whose length fits
/// a pinned key of the signature's family — then the signature over the small SignedInfo
/// (one public-key operation per pinned key of that size), and only then the
/// canonicalization and digest of the (attacker-sized) referenced content. Input that
/// fails a shape check costs no cryptography at all; input without a genuine IdP
/// signature over its SignedInfo is never canonicalized beyond SignedInfo.
pub fn verify_element(
    doc: &Document,
    target: &Element,
    certs: &[X509],
    opts: &VerifyOptions,
) -> Result<VerifiedElement, DsigError> {
    if certs.is_empty() {
        return Err(DsigError::NoTrustedCertificates);
    }
    let signature = target
        .only_child(DSIG_NS, "Signature")
        .map_err(|n| match n {
            0 => DsigError::MissingSignature,
            _ => DsigError::MultipleSignatures,
        })?;
    let id = target.id().ok_or(DsigError::MissingId)?;

    if signature.children_named(DSIG_NS, "SignedInfo").count() != 1 {
        return Err(DsigError::SignedInfoCount);
    }
    // XML-DSig §4.1: SignedInfo first, SignatureValue second.
    let mut parts = signature.child_elements();
    let signed_info = parts
        .next()
        .filter(|e| e.is(DSIG_NS, "SignedInfo"))
        .ok_or(DsigError::SignedInfoCount)?;
    let sig_value = parts
        .next()
        .filter(|e| e.is(DSIG_NS, "SignatureValue"))
        .ok_or(DsigError::Malformed("SignatureValue"))?;

    let mut si = signed_info.child_elements();
    let c14n_el = si
        .next()
        .filter(|e| e.is(DSIG_NS, "CanonicalizationMethod"))
        .ok_or(DsigError::Malformed("CanonicalizationMethod"))?;
    let sm_el = si
        .next()
        .filter(|e| e.is(DSIG_NS, "SignatureMethod"))
        .ok_or(DsigError::Malformed("SignatureMethod"))?;
    let reference = signed_info
        .only_child(DSIG_NS, "Reference")
        .map_err(|_| DsigError::ReferenceCount)?;
    if si.any(|e| !e.is(DSIG_NS, "Reference")) {
        return Err(DsigError::Malformed("unexpected SignedInfo child"));
    }

    let si_method = c14n_method(c14n_el)?.ok_or(DsigError::UnsupportedCanonicalization)?;
    let sig_alg = SignatureAlg::from_uri(algorithm(sm_el)?, opts.allow_sha1)?;

    // Reference: URI="#id" of exactly the target (XML-DSig §4.4.3.3).
    match reference.attr("URI") {
        Some(uri) if uri.strip_prefix('#') == Some(id) => {}
        _ => return Err(DsigError::ReferenceUriMismatch),
    }
    let ref_method = reference_transforms(reference)?;
    let digest_alg = DigestAlg::from_uri(
        algorithm(
            reference
                .only_child(DSIG_NS, "DigestMethod")
                .map_err(|_| DsigError::Malformed("DigestMethod"))?,
        )?,
        opts.allow_sha1,
    )?;
    let expected_digest = decode_b64(
        reference
            .only_child(DSIG_NS, "DigestValue")
            .map_err(|_| DsigError::Malformed("DigestValue"))?,
    )?;
    if expected_digest.len() != digest_alg.len() {
        return Err(DsigError::Malformed("DigestValue length"));
    }
    let sig_bytes = decode_b64(sig_value)?;
    // Only keys of the signature's family whose signatures have exactly this length
    // (RSA: the modulus size; ECDSA: twice the field size) are worth a verification.
    let candidates: Vec<(usize, &X509)> = certs
        .iter()
        .enumerate()
        .filter(|(_, c)| sig_alg.signature_len(c) == Some(sig_bytes.len()))
        .collect();
    if candidates.is_empty() {
        return Err(DsigError::SignatureLength);
    }

    // Linear passes over the document: the target must be a node of it, and IDs must be
    // unique document-wide, or "#id" could mean two elements (XSW).
    if doc.ancestors_of(target).is_none() {
        return Err(DsigError::NotInDocument);
    }
    doc.check_unique_ids().map_err(|_| DsigError::DuplicateId)?;

    let budget = c14n::budget_for(doc.source_len());
    let si_bytes = c14n::canonicalize_within(doc, signed_info, &si_method, None, budget)
        .map_err(c14n_error)?;
    let cert_index = candidates
        .iter()
        .find(|(_, c)| sig_alg.verify(c, &si_bytes, &sig_bytes))
        .map(|(i, _)| *i)
        .ok_or(DsigError::SignatureInvalid)?;

    // A bare "#id" reference yields a node-set without comments (§4.4.3.3).
    let signed_bytes = c14n::canonicalize_within(
        doc,
        target,
        &ref_method.without_comments(),
        Some(signature),
        budget,
    )
    .map_err(c14n_error)?;
    let actual = digest_alg.digest(&signed_bytes)?;
    if actual.len() != expected_digest.len() || !openssl::memcmp::eq(&actual, &expected_digest) {
        return Err(DsigError::DigestMismatch);
    }

    Ok(VerifiedElement {
        element: target.clone_without(signature),
        id: id.to_owned(),
        cert_index,
    })
}

fn c14n_error(e: c14n::C14nError) -> DsigError {
    match e {
        c14n::C14nError::NotInDocument => DsigError::NotInDocument,
        c14n::C14nError::TooLarge { .. } => DsigError::CanonicalFormTooLarge,
    }
}

fn algorithm(el: &Element) -> Result<&str, DsigError> {
    el.attr("Algorithm")
        .ok_or(DsigError::Malformed("missing Algorithm"))
}

/// A C14N method element with its optional `ec:InclusiveNamespaces PrefixList`
/// (at most [`MAX_INCLUSIVE_PREFIXES`] entries); `Ok(None)` for an unknown algorithm.
fn c14n_method(el: &Element) -> Result<Option<Method>, DsigError> {
    let list = el
        .children_named(EXC_NS, "InclusiveNamespaces")
        .next()
        .and_then(|e| e.attr("PrefixList"))
        .unwrap_or_default();
    let mut prefixes = Vec::new();
    for p in list.split_ascii_whitespace() {
        if prefixes.len() == MAX_INCLUSIVE_PREFIXES {
            return Err(DsigError::Malformed(
                "too many InclusiveNamespaces prefixes",
            ));
        }
        prefixes.push(p.to_owned());
    }
    Ok(el
        .attr("Algorithm")
        .and_then(|a| Method::from_uri(a, prefixes)))
}

/// Accepts `[enveloped]` or `[enveloped, c14n]`; with no explicit C14N transform the
/// node-set is serialized with inclusive C14N 1.0 (XML-DSig §4.4.3.2).
fn reference_transforms(reference: &Element) -> Result<Method, DsigError> {
    let transforms = reference
        .only_child(DSIG_NS, "Transforms")
        .map_err(|_| DsigError::UnsupportedTransform)?;
    let list: Vec<&Element> = transforms.child_elements().collect();
    if list.iter().any(|t| !t.is(DSIG_NS, "Transform")) {
        return Err(DsigError::UnsupportedTransform);
    }
    match list.as_slice() {
        [env] if env.attr("Algorithm") == Some(ENVELOPED) => Ok(Method::Inclusive {
            with_comments: false,
        }),
        [env, c] if env.attr("Algorithm") == Some(ENVELOPED) => {
            c14n_method(c)?.ok_or(DsigError::UnsupportedTransform)
        }
        _ => Err(DsigError::UnsupportedTransform),
    }
}

/// Base64 content of a DigestValue or SignatureValue; XML base64 may be wrapped with any
/// whitespace. More than [`MAX_B64_SIGNATURE_CHARS`] characters is refused undecoded.
fn decode_b64(el: &Element) -> Result<Vec<u8>, DsigError> {
    let compact: String = el.text().chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() > MAX_B64_SIGNATURE_CHARS {
        return Err(DsigError::Malformed("base64 value too long"));
    }
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| DsigError::Malformed("base64"))
}
