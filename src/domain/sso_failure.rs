//! Why a login failed: the `reason` of `sso.failed` events, the log field `sso.reason`,
//! the metric label, and the `error` the app receives. docs/sso.md lists them.

use super::string_enum;

string_enum! {
    /// The machine reason of a failed login.
    pub enum SsoFailureReason {
        // Setup and lookups (SsoError).
        NotFound = "not_found",
        Invalid = "invalid",
        Conflict = "conflict",
        UnknownRequest = "unknown_request",
        IdpInitiatedNotAllowed = "idp_initiated_not_allowed",
        Replayed = "replayed",
        NoRedirectBinding = "no_redirect_binding",
        SpKey = "sp_key",
        Storage = "storage",
        // Verification of the Response (saml::ResponseError).
        Encoding = "encoding",
        Xml = "xml",
        NotAResponse = "not_a_response",
        ResponseSignature = "response_signature",
        AssertionSignature = "assertion_signature",
        Unsigned = "unsigned",
        AssertionNotSigned = "assertion_not_signed",
        Decrypt = "decrypt",
        StatusNotSuccess = "status_not_success",
        MissingDestination = "missing_destination",
        WrongDestination = "wrong_destination",
        WrongIssuer = "wrong_issuer",
        InResponseToMismatch = "in_response_to_mismatch",
        UnexpectedInResponseTo = "unexpected_in_response_to",
        MissingInResponseTo = "missing_in_response_to",
        NoAssertion = "no_assertion",
        MultipleAssertions = "multiple_assertions",
        Malformed = "malformed",
        InvalidTime = "invalid_time",
        MissingNameId = "missing_name_id",
        NoBearerConfirmation = "no_bearer_confirmation",
        WrongRecipient = "wrong_recipient",
        ConfirmationExpired = "confirmation_expired",
        ConfirmationNotYetValid = "confirmation_not_yet_valid",
        NotYetValid = "not_yet_valid",
        Expired = "expired",
        MissingAudience = "missing_audience",
        WrongAudience = "wrong_audience",
        MissingAuthnStatement = "missing_authn_statement",
        SessionExpired = "session_expired",
        // After verification: the browser, the redirect, the mapping.
        BrowserMismatch = "browser_mismatch",
        NoRedirectUri = "no_redirect_uri",
        RedirectUriNotAllowed = "redirect_uri_not_allowed",
        MissingEmail = "missing_email",
        // The JIT policy's refusals (jit::login::Refusal).
        UnknownOrganization = "unknown_organization",
        JitDisabled = "jit_disabled",
        DomainNotVerified = "domain_not_verified",
        SeatLimit = "seat_limit",
        UserSuspended = "user_suspended",
        UserDeprovisioned = "user_deprovisioned",
        IdentityConflict = "identity_conflict",
        InvitationExpired = "invitation_expired",
        InvitationRevoked = "invitation_revoked",
        // What an anonymous client sees instead of a precise reason (error_page).
        Internal = "internal",
        UnverifiedResponse = "unverified_response",
    }
}
