//! `saml:EncryptedAssertion` decryption (XML Encryption 1.1, SAML Core §2.3.4).
//!
//! Key transport: RSA-OAEP (`rsa-oaep-mgf1p`, and `xmlenc11#rsa-oaep` with any SHA-2
//! digest and MGF1). RSA PKCS#1 v1.5 is refused (Bleichenbacher). Data: AES-GCM, or
//! AES-CBC where the caller opted in — never both for one key ([`DataEncryption`]).
//! Decryption gives confidentiality only: anyone holding the SP certificate can
//! encrypt, so the result still needs a verified signature (see `dsig`).
//!
//! Cost before trust: at most [`MAX_ENCRYPTED_KEYS`] EncryptedKey elements, and an RSA
//! private-key operation only for a wrapped key exactly as long as the SP key's modulus.

use super::xml::{parse_in_context, Document, Element, Limits};
use base64::Engine as _;
use openssl::encrypt::Decrypter;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Padding;
use openssl::symm::{Cipher, Crypter, Mode};

/// The SAML 2.0 assertion namespace.
pub const SAML_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// XML Encryption 1.0 namespace.
pub const XENC_NS: &str = "http://www.w3.org/2001/04/xmlenc#";
const XENC11_NS: &str = "http://www.w3.org/2009/xmlenc11#";
const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";

/// Most `xenc:EncryptedKey` elements accepted for one EncryptedAssertion (IdPs send one,
/// or one per SP certificate during a rollover). Each may cost an RSA private-key
/// operation per SP key, so more are refused before any is tried.
pub const MAX_ENCRYPTED_KEYS: usize = 4;
/// Longest base64 text accepted for a wrapped key (an RSA-8192 block is 1,368 chars).
const MAX_B64_WRAPPED_KEY_CHARS: usize = 2_048;

/// The one family of data encryption a set of SP keys accepts.
///
/// XML Encryption's "backwards compatibility attack" (Jager, Schinzel, Somorovsky,
/// ESORICS 2012): a session key wrapped for AES-GCM can be lifted into a forged
/// EncryptedData that names AES-CBC; whatever a CBC decryption reveals (padding or
/// parse failures, timing) then decrypts the GCM ciphertext too. So one SP key never
/// unwraps keys for both: GCM unless the connection opts in to CBC (older IdPs), and
/// then CBC only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DataEncryption {
    /// AES-GCM only (XML Encryption 1.1 `aes*-gcm`): the default.
    #[default]
    AesGcm,
    /// AES-CBC only (XML Encryption 1.0 `aes*-cbc`), for IdPs that cannot do GCM.
    AesCbc,
}

impl DataEncryption {
    /// The name stored in `saml_connections.data_encryption` and used in the admin API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AesGcm => "aes-gcm",
            Self::AesCbc => "aes-cbc",
        }
    }

    /// The family of that name (exact, lower case), `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::AesGcm, Self::AesCbc]
            .into_iter()
            .find(|f| f.as_str() == name)
    }
}

/// Why an EncryptedAssertion could not be decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    /// No SP decryption key configured.
    #[error("no decryption key configured")]
    NoDecryptionKeys,
    /// The element is not `saml:EncryptedAssertion` with one `xenc:EncryptedData`.
    #[error("not an EncryptedAssertion")]
    NotEncryptedAssertion,
    /// No `xenc:EncryptedKey` (in KeyInfo or as a sibling of EncryptedData).
    #[error("no EncryptedKey")]
    MissingEncryptedKey,
    /// RSA PKCS#1 v1.5 key transport, refused (Bleichenbacher oracle).
    #[error("RSA PKCS#1 v1.5 key transport is refused")]
    Rsa15Refused,
    /// Another unsupported key transport algorithm.
    #[error("unsupported key transport algorithm")]
    UnsupportedKeyTransport,
    /// Unsupported data encryption algorithm.
    #[error("unsupported data encryption algorithm")]
    UnsupportedDataEncryption,
    /// A supported data encryption algorithm of the family these keys are not bound to
    /// (CBC without the connection's opt-in, or GCM on a CBC connection).
    #[error("data encryption algorithm not allowed for this key")]
    DataEncryptionNotAllowed,
    /// More than [`MAX_ENCRYPTED_KEYS`] EncryptedKey elements.
    #[error("too many EncryptedKey elements")]
    TooManyEncryptedKeys,
    /// Unsupported OAEP digest or MGF.
    #[error("unsupported OAEP digest or MGF")]
    UnsupportedDigest,
    /// Structure or base64 problems.
    #[error("malformed encrypted data: {0}")]
    Malformed(&'static str),
    /// No configured key unwraps any EncryptedKey.
    #[error("session key could not be decrypted")]
    KeyDecryptionFailed,
    /// Data decryption failed, or the plaintext is not a well-formed `saml:Assertion`
    /// within the limits. One kind for all of these, to give no padding/parse oracle.
    #[error("data could not be decrypted")]
    DataDecryptionFailed,
}

/// Decrypts `encrypted` (a `saml:EncryptedAssertion` in `doc`) with the first of
/// `keys` that works, returning a new document whose root is the `saml:Assertion`.
/// `family` is the only data encryption the keys accept.
pub fn decrypt_assertion(
    doc: &Document,
    encrypted: &Element,
    keys: &[PKey<Private>],
    family: DataEncryption,
    limits: &Limits,
) -> Result<Document, DecryptError> {
    if keys.is_empty() {
        return Err(DecryptError::NoDecryptionKeys);
    }
    if !encrypted.is(SAML_NS, "EncryptedAssertion") {
        return Err(DecryptError::NotEncryptedAssertion);
    }
    let data = encrypted
        .only_child(XENC_NS, "EncryptedData")
        .map_err(|_| DecryptError::NotEncryptedAssertion)?;
    let data_alg = DataAlg::from_uri(algorithm(
        data.only_child(XENC_NS, "EncryptionMethod")
            .map_err(|_| DecryptError::Malformed("EncryptionMethod"))?,
    )?)?;
    if data_alg.family() != family {
        return Err(DecryptError::DataEncryptionNotAllowed);
    }

    // SAML Core §2.3.4: EncryptedKey may sit in KeyInfo or beside EncryptedData.
    let in_key_info = data
        .children_named(DSIG_NS, "KeyInfo")
        .flat_map(|ki| ki.children_named(XENC_NS, "EncryptedKey"));
    let beside = encrypted.children_named(XENC_NS, "EncryptedKey");
    let enc_keys: Vec<&Element> = in_key_info
        .chain(beside)
        .take(MAX_ENCRYPTED_KEYS + 1)
        .collect();
    if enc_keys.is_empty() {
        return Err(DecryptError::MissingEncryptedKey);
    }
    if enc_keys.len() > MAX_ENCRYPTED_KEYS {
        return Err(DecryptError::TooManyEncryptedKeys);
    }
    let transports = enc_keys
        .iter()
        .map(|k| KeyTransport::parse(k))
        .collect::<Result<Vec<_>, _>>()?;

    let cipher_bytes = cipher_value(data)?;
    if !data_alg.plausible_len(cipher_bytes.len()) {
        return Err(DecryptError::DataDecryptionFailed);
    }

    // RSA private-key work only where the wrapped block has the modulus' exact length
    // (RFC 8017 §7.1.2: anything else is a decryption error without computing).
    let session_key = transports
        .iter()
        .flat_map(|t| {
            keys.iter()
                .filter(|k| k.rsa().is_ok_and(|r| r.size() as usize == t.wrapped.len()))
                .map(move |k| t.unwrap_key(k))
        })
        .flatten()
        .find(|sk| sk.len() == data_alg.key_len())
        .ok_or(DecryptError::KeyDecryptionFailed)?;

    let context = doc
        .in_scope_ns(encrypted)
        .ok_or(DecryptError::NotEncryptedAssertion)?;
    // Padding, UTF-8, XML and "not an Assertion" failures all look the same to the
    // caller: distinguishing them is the oracle of the XML Encryption CBC attack
    // (Jager & Somorovsky, CCS 2011).
    let out = data_alg
        .decrypt(&session_key, &cipher_bytes)
        .ok()
        .and_then(|plain| String::from_utf8(plain).ok())
        .and_then(|text| parse_in_context(&text, limits, &context).ok())
        .filter(|d| d.root().is(SAML_NS, "Assertion"))
        .ok_or(DecryptError::DataDecryptionFailed)?;
    Ok(out)
}

fn algorithm(el: &Element) -> Result<&str, DecryptError> {
    el.attr("Algorithm")
        .ok_or(DecryptError::Malformed("missing Algorithm"))
}

/// Base64 of a wrapped key or OAEP label: refused undecoded when longer than any RSA
/// block.
fn b64_bounded(text: &str) -> Result<Vec<u8>, DecryptError> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() > MAX_B64_WRAPPED_KEY_CHARS {
        return Err(DecryptError::Malformed("base64 value too long"));
    }
    b64(&compact)
}

fn b64(text: &str) -> Result<Vec<u8>, DecryptError> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| DecryptError::Malformed("base64"))
}

/// `CipherData/CipherValue` (CipherReference is not supported: no fetching).
fn cipher_value(el: &Element) -> Result<Vec<u8>, DecryptError> {
    let cd = el
        .only_child(XENC_NS, "CipherData")
        .map_err(|_| DecryptError::Malformed("CipherData"))?;
    let cv = cd
        .only_child(XENC_NS, "CipherValue")
        .map_err(|_| DecryptError::Malformed("CipherValue"))?;
    b64(&cv.text())
}

fn sha_digest(uri: &str) -> Option<MessageDigest> {
    match uri {
        "http://www.w3.org/2000/09/xmldsig#sha1" => Some(MessageDigest::sha1()),
        "http://www.w3.org/2001/04/xmlenc#sha256" => Some(MessageDigest::sha256()),
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => Some(MessageDigest::sha384()),
        "http://www.w3.org/2001/04/xmlenc#sha512" => Some(MessageDigest::sha512()),
        _ => None,
    }
}

/// RSA-OAEP parameters of one EncryptedKey (XML Encryption 1.1 §5.5.2).
struct KeyTransport {
    oaep_md: MessageDigest,
    mgf1_md: MessageDigest,
    label: Vec<u8>,
    wrapped: Vec<u8>,
}

impl KeyTransport {
    fn parse(ek: &Element) -> Result<Self, DecryptError> {
        let method = ek
            .only_child(XENC_NS, "EncryptionMethod")
            .map_err(|_| DecryptError::Malformed("EncryptedKey EncryptionMethod"))?;
        let digest = match method.children_named(DSIG_NS, "DigestMethod").next() {
            None => MessageDigest::sha1(),
            Some(d) => sha_digest(algorithm(d)?).ok_or(DecryptError::UnsupportedDigest)?,
        };
        let mgf1_md = match algorithm(method)? {
            "http://www.w3.org/2001/04/xmlenc#rsa-1_5" => return Err(DecryptError::Rsa15Refused),
            // rsa-oaep-mgf1p: MGF1 is always with SHA-1 (§5.5.2.1).
            "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p" => MessageDigest::sha1(),
            "http://www.w3.org/2009/xmlenc11#rsa-oaep" => {
                match method.children_named(XENC11_NS, "MGF").next() {
                    None => MessageDigest::sha1(),
                    Some(m) => match algorithm(m)? {
                        "http://www.w3.org/2009/xmlenc11#mgf1sha1" => MessageDigest::sha1(),
                        "http://www.w3.org/2009/xmlenc11#mgf1sha256" => MessageDigest::sha256(),
                        "http://www.w3.org/2009/xmlenc11#mgf1sha384" => MessageDigest::sha384(),
                        "http://www.w3.org/2009/xmlenc11#mgf1sha512" => MessageDigest::sha512(),
                        _ => return Err(DecryptError::UnsupportedDigest),
                    },
                }
            }
            _ => return Err(DecryptError::UnsupportedKeyTransport),
        };
        let label = match method.children_named(XENC_NS, "OAEPparams").next() {
            Some(p) => b64_bounded(&p.text())?,
            None => Vec::new(),
        };
        let cd = ek
            .only_child(XENC_NS, "CipherData")
            .map_err(|_| DecryptError::Malformed("CipherData"))?;
        let cv = cd
            .only_child(XENC_NS, "CipherValue")
            .map_err(|_| DecryptError::Malformed("CipherValue"))?;
        Ok(Self {
            oaep_md: digest,
            mgf1_md,
            label,
            wrapped: b64_bounded(&cv.text())?,
        })
    }

    fn unwrap_key(&self, key: &PKey<Private>) -> Option<Vec<u8>> {
        crate::saml::work::add(|w| w.rsa_decryptions += 1);
        let run = || -> Result<Vec<u8>, openssl::error::ErrorStack> {
            let mut d = Decrypter::new(key)?;
            d.set_rsa_padding(Padding::PKCS1_OAEP)?;
            d.set_rsa_oaep_md(self.oaep_md)?;
            d.set_rsa_mgf1_md(self.mgf1_md)?;
            if !self.label.is_empty() {
                d.set_rsa_oaep_label(&self.label)?;
            }
            let mut out = vec![0u8; d.decrypt_len(&self.wrapped)?];
            let n = d.decrypt(&self.wrapped, &mut out)?;
            out.truncate(n);
            Ok(out)
        };
        run().ok()
    }
}

/// A supported data encryption algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataAlg {
    Gcm(usize),
    Cbc(usize),
}

impl DataAlg {
    fn from_uri(uri: &str) -> Result<Self, DecryptError> {
        match uri {
            "http://www.w3.org/2009/xmlenc11#aes128-gcm" => Ok(Self::Gcm(16)),
            "http://www.w3.org/2009/xmlenc11#aes192-gcm" => Ok(Self::Gcm(24)),
            "http://www.w3.org/2009/xmlenc11#aes256-gcm" => Ok(Self::Gcm(32)),
            "http://www.w3.org/2001/04/xmlenc#aes128-cbc" => Ok(Self::Cbc(16)),
            "http://www.w3.org/2001/04/xmlenc#aes192-cbc" => Ok(Self::Cbc(24)),
            "http://www.w3.org/2001/04/xmlenc#aes256-cbc" => Ok(Self::Cbc(32)),
            _ => Err(DecryptError::UnsupportedDataEncryption),
        }
    }

    fn family(self) -> DataEncryption {
        match self {
            Self::Gcm(_) => DataEncryption::AesGcm,
            Self::Cbc(_) => DataEncryption::AesCbc,
        }
    }

    /// IV + tag (GCM) or IV + whole blocks (CBC): what `decrypt` needs, checked before
    /// any key is unwrapped.
    fn plausible_len(self, n: usize) -> bool {
        match self {
            Self::Gcm(_) => n >= 12 + 16,
            Self::Cbc(_) => n >= 32 && n.is_multiple_of(16),
        }
    }

    fn key_len(self) -> usize {
        match self {
            Self::Gcm(n) | Self::Cbc(n) => n,
        }
    }

    fn decrypt(self, key: &[u8], data: &[u8]) -> Result<Vec<u8>, DecryptError> {
        let n = data.len() as u64;
        crate::saml::work::add(|w| w.decrypted_bytes += n);
        let fail = |_| DecryptError::DataDecryptionFailed;
        match self {
            // XML Encryption 1.1 §5.2.4: IV (96 bits) || ciphertext || tag (128 bits).
            Self::Gcm(n) => {
                if data.len() < 12 + 16 {
                    return Err(DecryptError::DataDecryptionFailed);
                }
                let (iv, rest) = data.split_at(12);
                let (ct, tag) = rest.split_at(rest.len() - 16);
                let cipher = match n {
                    16 => Cipher::aes_128_gcm(),
                    24 => Cipher::aes_192_gcm(),
                    _ => Cipher::aes_256_gcm(),
                };
                openssl::symm::decrypt_aead(cipher, key, Some(iv), &[], ct, tag).map_err(fail)
            }
            // §5.2.1/§5.2.2: IV (128 bits) || ciphertext; the last plaintext byte is the
            // padding length and the other padding bytes are arbitrary (not PKCS#7).
            Self::Cbc(n) => {
                if data.len() < 32 || !data.len().is_multiple_of(16) {
                    return Err(DecryptError::DataDecryptionFailed);
                }
                let (iv, ct) = data.split_at(16);
                let cipher = match n {
                    16 => Cipher::aes_128_cbc(),
                    24 => Cipher::aes_192_cbc(),
                    _ => Cipher::aes_256_cbc(),
                };
                let mut c = Crypter::new(cipher, Mode::Decrypt, key, Some(iv)).map_err(fail)?;
                c.pad(false);
                let mut out = vec![0u8; ct.len() + 16];
                let mut len = c.update(ct, &mut out).map_err(fail)?;
                len += c
                    .finalize(out.get_mut(len..).unwrap_or_default())
                    .map_err(fail)?;
                out.truncate(len);
                let pad = usize::from(out.last().copied().unwrap_or(0));
                if pad == 0 || pad > 16 || pad > out.len() {
                    return Err(DecryptError::DataDecryptionFailed);
                }
                out.truncate(out.len() - pad);
                Ok(out)
            }
        }
    }
}
