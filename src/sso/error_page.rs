//! The page a person sees when a login cannot continue: what happened, what to ask their
//! admin, and a reference the admin can find in the logs. No internal detail.
//!
//! Also what an anonymous client may learn about a failed login ([`public_reason`]): a
//! Response that failed verification tells the sender nothing about *which* check or
//! decryption step refused it — no oracle for forging or for padding attacks. The
//! precise reason goes only to the log and the `sso.failed` event.

use crate::domain::SsoFailureReason;
use crate::saml::xml::escape;

/// The page's HTML (the HTTP handler sends it with its status, `no-store`).
pub fn html(message: &str, advice: &str, reference: Option<&str>) -> String {
    let reference = reference
        .map(|r| format!("<p class=\"ref\">Reference: <code>{}</code></p>", escape(r)))
        .unwrap_or_default();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Sign-in failed</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}}\
         h1{{font-size:1.4rem}}.ref{{color:#666;font-size:.9rem}}</style></head>\
         <body><h1>Sign-in failed</h1><p>{}</p><p>{}</p>{}</body></html>\n",
        escape(message),
        escape(advice),
        reference
    )
}

/// The failure reason an anonymous client may see (public metric label, page advice).
///
/// Passed through: reasons that name no verification or decryption step — an unknown
/// connection or request, and refusals that only a *verified* Response can reach
/// (replay, IdP-initiated logins off, the JIT policy's refusals). Everything else, and
/// any reason added later, is `unverified_response`: a closed set by construction.
pub fn public_reason(reason: &str) -> &'static str {
    use SsoFailureReason as R;
    match reason.parse::<R>() {
        Ok(R::Storage | R::SpKey) => R::Internal.as_str(),
        Ok(
            r @ (R::NotFound
            | R::UnknownRequest
            | R::Replayed
            | R::IdpInitiatedNotAllowed
            | R::UnknownOrganization
            | R::JitDisabled
            | R::DomainNotVerified
            | R::SeatLimit
            | R::UserSuspended
            | R::UserDeprovisioned
            | R::IdentityConflict
            | R::MissingEmail
            | R::InvitationExpired
            | R::InvitationRevoked
            | R::NoRedirectUri
            | R::RedirectUriNotAllowed),
        ) => r.as_str(),
        _ => R::UnverifiedResponse.as_str(),
    }
}

/// What to ask an admin, by failure reason.
pub fn advice(reason: &str) -> &'static str {
    use SsoFailureReason as R;
    match reason.parse::<R>() {
        Ok(R::JitDisabled | R::DomainNotVerified) => {
            "Ask your IT administrator to give you access to this application."
        }
        Ok(R::SeatLimit) => "Ask your IT administrator to free a seat or add seats for this application.",
        Ok(R::UserSuspended | R::UserDeprovisioned) => {
            "If you think you should have access, ask your IT administrator."
        }
        Ok(R::IdentityConflict) => {
            "Ask your IT administrator to check your account in this application; quote the reference below."
        }
        Ok(R::MissingEmail) => {
            "Ask your IT administrator to send the email attribute in the SAML configuration."
        }
        Ok(R::InvitationExpired | R::InvitationRevoked) => "Ask the person who invited you for a new invitation.",
        Ok(R::Replayed | R::UnknownRequest) => "Go back to the application and sign in again.",
        Ok(R::IdpInitiatedNotAllowed) => "Start the sign-in from the application instead.",
        Ok(R::Storage | R::SpKey | R::Internal) => "Please try again in a moment.",
        _ => {
            "Try signing in again from the application. If it keeps happening, ask your IT \
             administrator to check the SAML connection, and quote the reference below."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        let page = html("<a href=\"x\">&'", "advice", Some("<ref>"));
        assert!(
            page.contains("&lt;a href=&quot;x&quot;&gt;&amp;&apos;"),
            "{page}"
        );
        assert!(page.contains("<code>&lt;ref&gt;</code>"), "{page}");
        assert!(!page.contains("<a href"));
    }

    #[test]
    fn verification_steps_are_not_public() {
        for step in [
            "response_signature",
            "assertion_signature",
            "decrypt",
            "xml",
            "expired",
        ] {
            assert_eq!(public_reason(step), "unverified_response");
        }
        assert_eq!(public_reason("seat_limit"), "seat_limit");
        assert_eq!(public_reason("storage"), "internal");
    }
}
