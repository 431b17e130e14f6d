//! Email checks of attribute mapping: what counts as an email, and when the Subject
//! NameID may stand in for a missing email attribute.

/// SAML Core §8.3.2 / §8.3.1 NameID formats the email fallback accepts.
pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
pub const NAMEID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
/// Longest email accepted (RFC 5321 §4.5.3.1 path limit, rounded to what people use).
const MAX_EMAIL_LEN: usize = 320;

/// One `@`, non-empty local part and domain, no whitespace or control characters, and
/// a domain that is a plausible host name (no empty labels).
pub fn is_email(s: &str) -> bool {
    let s = s.trim();
    if s.len() > MAX_EMAIL_LEN || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && domain.split('.').all(|label| !label.is_empty())
}

/// SAML Core §8.3: an absent Format means unspecified.
pub(super) fn name_id_is_email(name_id: &str, format: Option<&str>) -> bool {
    match format {
        None | Some(NAMEID_UNSPECIFIED) | Some(NAMEID_EMAIL) => is_email(name_id),
        Some(_) => false,
    }
}
