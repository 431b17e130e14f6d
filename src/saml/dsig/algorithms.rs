//! Digest and signature algorithm URIs (XML Signature 1.1 §6, RFC 6931) mapped onto
//! OpenSSL, including the raw `r || s` → DER conversion ECDSA needs (§6.4.3).

use super::DsigError;
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Public};
use openssl::sign::Verifier;
use openssl::x509::X509;

/// A supported DigestMethod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DigestAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlg {
    pub(super) fn from_uri(uri: &str, allow_sha1: bool) -> Result<Self, DsigError> {
        let alg = match uri {
            "http://www.w3.org/2000/09/xmldsig#sha1" => Self::Sha1,
            "http://www.w3.org/2001/04/xmlenc#sha256" => Self::Sha256,
            "http://www.w3.org/2001/04/xmldsig-more#sha384" => Self::Sha384,
            "http://www.w3.org/2001/04/xmlenc#sha512" => Self::Sha512,
            _ => return Err(DsigError::UnsupportedDigest),
        };
        if alg == Self::Sha1 && !allow_sha1 {
            return Err(DsigError::Sha1NotAllowed);
        }
        Ok(alg)
    }

    fn md(self) -> MessageDigest {
        match self {
            Self::Sha1 => MessageDigest::sha1(),
            Self::Sha256 => MessageDigest::sha256(),
            Self::Sha384 => MessageDigest::sha384(),
            Self::Sha512 => MessageDigest::sha512(),
        }
    }

    /// Output length in bytes.
    pub(super) fn len(self) -> usize {
        self.md().size()
    }

    pub(super) fn digest(self, data: &[u8]) -> Result<Vec<u8>, DsigError> {
        let n = data.len() as u64;
        crate::saml::work::add(|w| w.digested_bytes += n);
        openssl::hash::hash(self.md(), data)
            .map(|d| d.to_vec())
            .map_err(|_| DsigError::Crypto)
    }
}

/// Key family of a SignatureMethod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Rsa,
    Ecdsa,
}

/// A supported SignatureMethod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SignatureAlg {
    kind: KeyKind,
    digest: DigestAlg,
}

impl SignatureAlg {
    pub(super) fn from_uri(uri: &str, allow_sha1: bool) -> Result<Self, DsigError> {
        use DigestAlg::*;
        use KeyKind::*;
        let (kind, digest) = match uri {
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => (Rsa, Sha1),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => (Rsa, Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => (Rsa, Sha384),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => (Rsa, Sha512),
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1" => (Ecdsa, Sha1),
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" => (Ecdsa, Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" => (Ecdsa, Sha384),
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512" => (Ecdsa, Sha512),
            _ => return Err(DsigError::UnsupportedSignatureMethod),
        };
        if digest == Sha1 && !allow_sha1 {
            return Err(DsigError::Sha1NotAllowed);
        }
        Ok(Self { kind, digest })
    }

    /// The length of a SignatureValue `cert`'s key makes with this method: the modulus
    /// size for RSA, twice the field size for ECDSA (raw `r || s`); `None` when the key
    /// is of the other family (or unreadable).
    pub(super) fn signature_len(&self, cert: &X509) -> Option<usize> {
        let key = cert.public_key().ok()?;
        match (self.kind, key.id()) {
            (KeyKind::Rsa, Id::RSA) => key.rsa().ok().map(|r| r.size() as usize),
            (KeyKind::Ecdsa, Id::EC) => {
                let bits = key.ec_key().ok()?.group().degree() as usize;
                Some(2 * bits.div_ceil(8))
            }
            _ => None,
        }
    }

    /// True when `cert`'s key (of the right family) validates `sig` over `data`.
    /// Any failure — wrong key type, malformed signature, OpenSSL error — is `false`.
    pub(super) fn verify(&self, cert: &X509, data: &[u8], sig: &[u8]) -> bool {
        let Ok(key) = cert.public_key() else {
            return false;
        };
        crate::saml::work::add(|w| w.signature_verifications += 1);
        self.verify_with_key(&key, data, sig).unwrap_or(false)
    }

    fn verify_with_key(
        &self,
        key: &PKey<Public>,
        data: &[u8],
        sig: &[u8],
    ) -> Result<bool, openssl::error::ErrorStack> {
        let der;
        let sig = match (self.kind, key.id()) {
            (KeyKind::Rsa, Id::RSA) => sig,
            (KeyKind::Ecdsa, Id::EC) => match raw_ecdsa_to_der(sig)? {
                Some(d) => {
                    der = d;
                    der.as_slice()
                }
                None => return Ok(false),
            },
            _ => return Ok(false),
        };
        let mut v = Verifier::new(self.digest.md(), key)?;
        v.update(data)?;
        v.verify(sig)
    }
}

/// XML-DSig ECDSA SignatureValue is `r || s`, each half the same length (RFC 4050 §3.3);
/// OpenSSL wants an ASN.1 DER `ECDSA-Sig-Value`. `None` for an odd or empty input.
fn raw_ecdsa_to_der(raw: &[u8]) -> Result<Option<Vec<u8>>, openssl::error::ErrorStack> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) {
        return Ok(None);
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let sig = EcdsaSig::from_private_components(BigNum::from_slice(r)?, BigNum::from_slice(s)?)?;
    sig.to_der().map(Some)
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
mod tests {
    use super::*;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::nid::Nid;

    #[test]
    fn sha1_needs_opt_in() {
        let u = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
        assert_eq!(
            SignatureAlg::from_uri(u, false),
            Err(DsigError::Sha1NotAllowed)
        );
        assert!(SignatureAlg::from_uri(u, true).is_ok());
        let d = "http://www.w3.org/2000/09/xmldsig#sha1";
        assert_eq!(
            DigestAlg::from_uri(d, false),
            Err(DsigError::Sha1NotAllowed)
        );
        assert_eq!(
            SignatureAlg::from_uri("http://www.w3.org/2000/09/xmldsig#dsa-sha1", true),
            Err(DsigError::UnsupportedSignatureMethod)
        );
    }

    #[test]
    fn raw_ecdsa_roundtrip_verifies() {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let ec = EcKey::generate(&group).unwrap();
        let der_sig = {
            let k = PKey::from_ec_key(ec.clone()).unwrap();
            let mut s = openssl::sign::Signer::new(MessageDigest::sha256(), &k).unwrap();
            s.update(b"data").unwrap();
            s.sign_to_vec().unwrap()
        };
        let parsed = EcdsaSig::from_der(&der_sig).unwrap();
        let mut raw = parsed.r().to_vec_padded(32).unwrap();
        raw.extend(parsed.s().to_vec_padded(32).unwrap());
        let public =
            PKey::from_ec_key(EcKey::from_public_key(&group, ec.public_key()).unwrap()).unwrap();
        let alg =
            SignatureAlg::from_uri("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", false)
                .unwrap();
        assert!(alg.verify_with_key(&public, b"data", &raw).unwrap());
        assert!(!alg.verify_with_key(&public, b"datb", &raw).unwrap());
        assert!(!alg.verify_with_key(&public, b"data", &raw[1..]).unwrap());
        // DER is not accepted where raw r||s is required.
        assert!(!alg
            .verify_with_key(&public, b"data", &der_sig)
            .unwrap_or(false));
    }
}
