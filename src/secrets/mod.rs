//! Secrets at rest: the values that would let a database reader act as provisiond (SP
//! private keys, webhook signing secrets, and any future client secret) are stored sealed
//! with AES-256-GCM under a key that lives outside the database.
//!
//! A sealed value is text: `enc:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`.
//! - `v1` names the format (AES-256-GCM, 96-bit random nonce, 128-bit tag), so a later
//!   format can sit next to it;
//! - the key id (8 hex digits derived from the key, never the key) says which key sealed
//!   it, so a server with the wrong key refuses clearly instead of failing a login later,
//!   and rotation knows what is left to re-encrypt;
//! - the associated data binds the value to its [`Purpose`] and row id, so a sealed value
//!   copied into another row or column does not open there.
//!
//! Adding a sealed column (e.g. OIDC client secrets): a [`Purpose`] variant, `seal` on
//! write, `open` on read, and one entry in `reseal::COLUMNS` so start-up migration of
//! plaintext rows and `provisiond secrets rotate` cover it.

pub mod key_source;
pub mod reseal;

use base64::Engine;
use openssl::symm::{decrypt_aead, encrypt_aead, Cipher};

const PREFIX: &str = "enc:v1:";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Length of a data key in bytes (AES-256).
pub const KEY_LEN: usize = 32;

/// What a sealed value is for; part of the associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `sp_keys.private_key_pem`.
    SpPrivateKey,
    /// `webhook_endpoints.secret` and `.previous_secret` (one purpose for both columns:
    /// rotation moves the current value into `previous_secret` unchanged).
    WebhookSecret,
    /// `idp_simulator_keys.private_key_pem` (the development IdP simulator's key).
    IdpSimulatorKey,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::SpPrivateKey => "sp_keys.private_key",
            Purpose::WebhookSecret => "webhook_endpoints.secret",
            Purpose::IdpSimulatorKey => "idp_simulator_keys.private_key",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("a stored secret is sealed with key {found}, but the configured keys are {configured} (PROVISIOND_SECRET_KEY, PROVISIOND_SECRET_KEY_PREVIOUS): start with the key the database was encrypted with")]
    UnknownKey { found: String, configured: String },
    #[error("a stored secret does not decrypt with key {key_id}: the value was altered or the key is wrong")]
    Tampered { key_id: String },
    #[error("a stored secret is not in a known sealed format")]
    Malformed,
    #[error("a stored secret is not encrypted yet")]
    Plaintext,
    #[error("secret key: {0}")]
    Key(String),
    #[error("encryption failed: {0}")]
    Crypto(#[from] openssl::error::ErrorStack),
}

/// One AES-256 key and its id.
#[derive(Clone)]
pub struct DataKey {
    id: String,
    bytes: [u8; KEY_LEN],
}

impl std::fmt::Debug for DataKey {
    /// The key bytes are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataKey({})", self.id)
    }
}

impl DataKey {
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> DataKey {
        // A public, non-reversible label: SHA-256 over a domain tag and the key.
        let mut h = openssl::sha::Sha256::new();
        h.update(b"provisiond secret key id\0");
        h.update(&bytes);
        let id = hex::encode(&h.finish()[..4]);
        DataKey { id, bytes }
    }

    /// Parses the text form: base64 (standard or URL-safe, padding optional) of 32 bytes.
    pub fn parse(text: &str) -> Result<DataKey, SecretError> {
        let text = text.trim().trim_end_matches('=');
        let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text))
            .map_err(|_| SecretError::Key("not base64".into()))?;
        let bytes: [u8; KEY_LEN] = decoded.try_into().map_err(|v: Vec<u8>| {
            SecretError::Key(format!("must be {KEY_LEN} bytes, got {}", v.len()))
        })?;
        Ok(DataKey::from_bytes(bytes))
    }

    /// A new random key.
    pub fn generate() -> Result<DataKey, SecretError> {
        let mut bytes = [0u8; KEY_LEN];
        openssl::rand::rand_bytes(&mut bytes)?;
        Ok(DataKey::from_bytes(bytes))
    }

    /// The text form [`DataKey::parse`] reads (standard base64).
    pub fn to_text(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.bytes)
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The keys a process holds: `current` seals; `current` and `previous` (during a
/// rotation) open.
#[derive(Debug, Clone)]
pub struct SecretKeys {
    current: DataKey,
    previous: Option<DataKey>,
}

/// What a stored value is, without opening it.
#[derive(Debug, PartialEq, Eq)]
pub enum Stored<'a> {
    Plaintext,
    Sealed { key_id: &'a str },
}

impl SecretKeys {
    pub fn new(current: DataKey, previous: Option<DataKey>) -> SecretKeys {
        // The same key twice is not a rotation; keep one.
        let previous = previous.filter(|p| p.id != current.id);
        SecretKeys { current, previous }
    }

    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    fn configured(&self) -> String {
        match &self.previous {
            Some(p) => format!("{} (current), {} (previous)", self.current.id, p.id),
            None => format!("{} (current)", self.current.id),
        }
    }

    fn key(&self, id: &str) -> Option<&DataKey> {
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .find(|k| k.id == id)
    }

    /// Seals `plaintext` for `purpose` in row `row_id` under the current key.
    pub fn seal(
        &self,
        purpose: Purpose,
        row_id: &str,
        plaintext: &[u8],
    ) -> Result<String, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        openssl::rand::rand_bytes(&mut nonce)?;
        let mut tag = [0u8; TAG_LEN];
        let aad = aad(purpose, row_id);
        let ciphertext = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.current.bytes,
            Some(&nonce),
            &aad,
            plaintext,
            &mut tag,
        )?;
        let mut blob = Vec::with_capacity(NONCE_LEN + ciphertext.len() + TAG_LEN);
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        blob.extend_from_slice(&tag);
        Ok(format!(
            "{PREFIX}{}:{}",
            self.current.id,
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(blob)
        ))
    }

    /// Seals a text secret.
    pub fn seal_str(
        &self,
        purpose: Purpose,
        row_id: &str,
        plaintext: &str,
    ) -> Result<String, SecretError> {
        self.seal(purpose, row_id, plaintext.as_bytes())
    }

    /// Opens a value sealed for `purpose` in row `row_id`. A plaintext value is an error:
    /// start-up seals every plaintext row, so one here was written behind our back.
    pub fn open(
        &self,
        purpose: Purpose,
        row_id: &str,
        stored: &str,
    ) -> Result<Vec<u8>, SecretError> {
        let Stored::Sealed { key_id } = classify(stored)? else {
            return Err(SecretError::Plaintext);
        };
        let key = self.key(key_id).ok_or_else(|| SecretError::UnknownKey {
            found: key_id.to_owned(),
            configured: self.configured(),
        })?;
        let encoded = stored
            .get(PREFIX.len() + key_id.len() + 1..)
            .ok_or(SecretError::Malformed)?;
        let blob = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| SecretError::Malformed)?;
        if blob.len() < NONCE_LEN + TAG_LEN {
            return Err(SecretError::Malformed);
        }
        let (nonce, rest) = blob.split_at(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            &key.bytes,
            Some(nonce),
            &aad(purpose, row_id),
            ciphertext,
            tag,
        )
        .map_err(|_| SecretError::Tampered {
            key_id: key.id.clone(),
        })
    }

    /// Opens a text secret.
    pub fn open_string(
        &self,
        purpose: Purpose,
        row_id: &str,
        stored: &str,
    ) -> Result<String, SecretError> {
        String::from_utf8(self.open(purpose, row_id, stored)?).map_err(|_| SecretError::Malformed)
    }
}

/// Whether a stored value is plaintext or sealed (and with which key id).
pub fn classify(stored: &str) -> Result<Stored<'_>, SecretError> {
    let Some(rest) = stored.strip_prefix(PREFIX) else {
        // Older formats would have their own `enc:vN:` prefix; refuse rather than treat
        // them as plaintext and seal them twice.
        if stored.starts_with("enc:") {
            return Err(SecretError::Malformed);
        }
        return Ok(Stored::Plaintext);
    };
    let (key_id, _) = rest.split_once(':').ok_or(SecretError::Malformed)?;
    Ok(Stored::Sealed { key_id })
}

fn aad(purpose: Purpose, row_id: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(purpose.label().len() + 1 + row_id.len());
    aad.extend_from_slice(purpose.label().as_bytes());
    aad.push(0);
    aad.extend_from_slice(row_id.as_bytes());
    aad
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn keys() -> SecretKeys {
        SecretKeys::new(DataKey::generate().unwrap(), None)
    }

    #[test]
    fn sealed_values_open_and_hide_the_plaintext() {
        let k = keys();
        let sealed = k
            .seal_str(Purpose::WebhookSecret, "e1", "whsec_abc")
            .unwrap();
        assert!(sealed.starts_with(&format!("enc:v1:{}:", k.current_id())));
        assert!(!sealed.contains("whsec_abc"));
        assert_eq!(
            k.open_string(Purpose::WebhookSecret, "e1", &sealed)
                .unwrap(),
            "whsec_abc"
        );
        // A random nonce: sealing twice gives two different values.
        assert_ne!(
            sealed,
            k.seal_str(Purpose::WebhookSecret, "e1", "whsec_abc")
                .unwrap()
        );
    }

    #[test]
    fn a_value_is_bound_to_its_row_and_purpose() {
        let k = keys();
        let sealed = k.seal_str(Purpose::WebhookSecret, "e1", "s").unwrap();
        assert!(matches!(
            k.open(Purpose::WebhookSecret, "e2", &sealed),
            Err(SecretError::Tampered { .. })
        ));
        assert!(matches!(
            k.open(Purpose::SpPrivateKey, "e1", &sealed),
            Err(SecretError::Tampered { .. })
        ));
    }

    #[test]
    fn altered_values_and_wrong_keys_are_refused() {
        let k = keys();
        let sealed = k.seal_str(Purpose::SpPrivateKey, "k", "pem").unwrap();
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 3;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert!(k.open(Purpose::SpPrivateKey, "k", &altered).is_err());
        let other = keys();
        let err = other.open(Purpose::SpPrivateKey, "k", &sealed).unwrap_err();
        assert!(matches!(err, SecretError::UnknownKey { .. }), "{err}");
        assert!(err.to_string().contains("PROVISIOND_SECRET_KEY"));
        assert!(matches!(
            k.open(Purpose::SpPrivateKey, "k", "-----BEGIN"),
            Err(SecretError::Plaintext)
        ));
    }

    #[test]
    fn the_previous_key_still_opens_during_a_rotation() {
        let old = DataKey::generate().unwrap();
        let sealed = SecretKeys::new(old.clone(), None)
            .seal_str(Purpose::WebhookSecret, "e", "s")
            .unwrap();
        let rotating = SecretKeys::new(DataKey::generate().unwrap(), Some(old));
        assert_eq!(
            rotating
                .open_string(Purpose::WebhookSecret, "e", &sealed)
                .unwrap(),
            "s"
        );
        let resealed = rotating.seal_str(Purpose::WebhookSecret, "e", "s").unwrap();
        assert_eq!(
            classify(&resealed).unwrap(),
            Stored::Sealed {
                key_id: rotating.current_id()
            }
        );
    }

    #[test]
    fn key_text_round_trips_and_must_be_32_bytes() {
        let k = DataKey::generate().unwrap();
        assert_eq!(DataKey::parse(&k.to_text()).unwrap().id(), k.id());
        assert!(DataKey::parse("c2hvcnQ=").is_err());
        assert!(DataKey::parse("not base64 !").is_err());
    }
}
