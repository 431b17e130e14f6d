//! The browser binding of an SP-initiated login (login CSRF defence): `/sso/authorize`
//! gives the browser a random value in a short-lived HttpOnly cookie and stores only its
//! SHA-256 with the pending AuthnRequest; the ACS completes a Response that answers a
//! request only when the browser posting it presents the value that request was bound to.
//! A Response an attacker obtained for their own account (answering their own request)
//! therefore cannot be planted into a victim's browser.
//!
//! The cookie must reach the ACS on the IdP's cross-site, top-level form POST
//! (SAML Bindings §3.5), which `SameSite=Lax` and `Strict` cookies do not. So:
//! - public URL `https://…`: `__Host-provisiond_login`, `Secure; HttpOnly; Path=/;
//!   SameSite=None` (`None` requires `Secure`; the `__Host-` prefix forbids a `Domain`, so
//!   a sibling subdomain cannot plant its own value);
//! - public URL `http://…` (local development): `provisiond_login`, `HttpOnly; Path=/` and
//!   no `SameSite` attribute. Browsers drop `SameSite=None` without `Secure`; without the
//!   attribute Chrome applies Lax but still sends a cookie younger than two minutes on a
//!   top-level cross-site POST ("Lax+POST"), Firefox and Safari send it, and an IdP on the
//!   same site (a local test IdP) always gets it through.
//!
//! No ambient randomness here: the value comes from the caller's id source.

use crate::tenancy::api_keys::hash_key;

/// The cookie's name under an `https` public URL.
pub const SECURE_COOKIE: &str = "__Host-provisiond_login";
/// The cookie's name under an `http` public URL (local development).
pub const PLAIN_COOKIE: &str = "provisiond_login";
/// Random bytes in a binding value (256 bits; base64url without padding: 43 characters).
pub const VALUE_BYTES: usize = 32;
const VALUE_LEN: usize = 43;

/// How the cookie is named and flagged for a public URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookiePolicy {
    secure: bool,
}

impl CookiePolicy {
    /// `Secure` (and `SameSite=None`) exactly when the public URL is https.
    pub fn for_public_url(public_url: &str) -> Self {
        CookiePolicy {
            secure: public_url
                .get(..8)
                .is_some_and(|s| s.eq_ignore_ascii_case("https://")),
        }
    }

    pub fn name(self) -> &'static str {
        if self.secure {
            SECURE_COOKIE
        } else {
            PLAIN_COOKIE
        }
    }

    /// The `Set-Cookie` header value carrying `value` for `max_age_secs`.
    pub fn set_cookie(self, value: &str, max_age_secs: i64) -> String {
        let base = format!(
            "{}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly",
            self.name()
        );
        if self.secure {
            format!("{base}; Secure; SameSite=None")
        } else {
            base
        }
    }

    /// This policy's cookie in a `Cookie` request header, if present and well formed.
    pub fn read(self, cookie_header: &str) -> Option<String> {
        cookie_header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(name, _)| *name == self.name())
            .map(|(_, value)| value.trim().trim_matches('"'))
            .find(|value| is_well_formed(value))
            .map(str::to_owned)
    }
}

/// A value this server could have issued: 43 base64url characters. Anything else is
/// ignored (a fresh value is issued), so no client-chosen string is ever stored.
pub fn is_well_formed(value: &str) -> bool {
    value.len() == VALUE_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What is stored with the pending request: the value's SHA-256, hex.
pub fn binding_hash(value: &str) -> String {
    hash_key(value)
}

/// Whether the browser's value (if any) is the one the request was bound to. A request
/// without a binding never matches: requests are bound whenever `/sso/authorize` starts
/// them, so an unbound one was not started by a browser this server can recognise.
pub fn matches(bound_hash: Option<&str>, browser_value: Option<&str>) -> bool {
    match (bound_hash, browser_value) {
        (Some(bound), Some(value)) => {
            let presented = binding_hash(value);
            // Equal-length hex digests; compared in constant time all the same.
            bound.len() == presented.len()
                && openssl::memcmp::eq(bound.as_bytes(), presented.as_bytes())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_6";

    #[test]
    fn https_cookie_survives_a_cross_site_post_and_is_host_only() {
        let p = CookiePolicy::for_public_url("https://sso.example.com");
        assert_eq!(
            p.set_cookie(V, 600),
            format!(
                "__Host-provisiond_login={V}; Path=/; Max-Age=600; HttpOnly; Secure; SameSite=None"
            )
        );
    }

    #[test]
    fn http_cookie_has_no_samesite_none_without_secure() {
        let p = CookiePolicy::for_public_url("http://localhost:8080");
        let c = p.set_cookie(V, 600);
        assert_eq!(
            c,
            format!("provisiond_login={V}; Path=/; Max-Age=600; HttpOnly")
        );
        assert!(!c.contains("SameSite") && !c.contains("Secure"));
    }

    #[test]
    fn reads_only_its_own_well_formed_cookie() {
        let p = CookiePolicy::for_public_url("https://sso.example.com");
        assert_eq!(
            p.read(&format!("a=b; __Host-provisiond_login={V}; c=d")),
            Some(V.to_owned())
        );
        assert_eq!(
            p.read(&format!("provisiond_login={V}")),
            None,
            "the http name"
        );
        assert_eq!(p.read("__Host-provisiond_login=short"), None);
        assert_eq!(
            p.read(&format!("__Host-provisiond_login={}", "é".repeat(21) + "a")),
            None
        );
        assert_eq!(p.read(""), None);
    }

    #[test]
    fn matching_needs_both_sides() {
        let h = binding_hash(V);
        assert!(matches(Some(&h), Some(V)));
        assert!(!matches(Some(&h), Some(&V.replace('a', "b"))));
        assert!(!matches(Some(&h), None));
        assert!(!matches(None, Some(V)));
        assert!(!matches(None, None));
    }
}
