//! Checks and extraction on a verified `saml:Assertion` (SAML Core §2.3–2.7, Profiles
//! §4.1.4.2–4.1.4.3). Takes only [`VerifiedElement`]: unverified XML cannot get here.

use super::{check_in_response_to, ResponseConfig, ResponseError, ValidatedAssertion};
use crate::saml::dsig::VerifiedElement;
use crate::saml::encryption::SAML_NS;
use crate::saml::xml::Element;
use chrono::{DateTime, NaiveDateTime, Utc};
use std::collections::BTreeMap;

const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const ENTITY_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";

/// Validates the verified assertion and extracts its identity data.
pub(super) fn validate(
    verified: &VerifiedElement,
    cfg: &ResponseConfig,
    now: DateTime<Utc>,
    expected_in_response_to: Option<&str>,
) -> Result<ValidatedAssertion, ResponseError> {
    let a = verified.element();
    if !a.is(SAML_NS, "Assertion") || a.attr("Version") != Some("2.0") {
        return Err(ResponseError::Malformed("Assertion"));
    }
    let assertion_id = a
        .attr("ID")
        .ok_or(ResponseError::Malformed("Assertion ID"))?;
    let issuer_el = a
        .only_child(SAML_NS, "Issuer")
        .map_err(|_| ResponseError::Malformed("Issuer"))?;
    let issuer = issuer_el.text();
    // Profiles §4.1.4.2: Issuer Format omitted or entity.
    let format_ok = matches!(issuer_el.attr("Format"), None | Some(ENTITY_FORMAT));
    if issuer != cfg.idp_entity_id || !format_ok {
        return Err(ResponseError::WrongIssuer);
    }
    let subject = a
        .only_child(SAML_NS, "Subject")
        .map_err(|_| ResponseError::Malformed("Subject"))?;
    let name_id_el = subject
        .only_child(SAML_NS, "NameID")
        .map_err(|_| ResponseError::MissingNameId)?;
    let name_id = name_id_el.text();
    if name_id.trim().is_empty() {
        return Err(ResponseError::MissingNameId);
    }

    let (confirmation_expiry, in_response_to) =
        bearer_confirmation(subject, cfg, now, expected_in_response_to)?;
    let conditions_expiry = conditions(a, cfg, now)?;
    let (session_index, session_not_on_or_after) = authn_statement(a, cfg, now)?;

    let expiry = conditions_expiry.map_or(confirmation_expiry, |c| c.min(confirmation_expiry));
    Ok(ValidatedAssertion {
        assertion_id: assertion_id.to_owned(),
        issuer,
        name_id,
        name_id_format: name_id_el.attr("Format").map(str::to_owned),
        session_index,
        session_not_on_or_after,
        not_on_or_after: expiry + cfg.clock_skew,
        in_response_to,
        attributes: attributes(a),
        cert_index: verified.cert_index(),
    })
}

/// xs:dateTime in UTC (Core §1.3.3); a missing zone is read as UTC.
fn time(value: Option<&str>, what: &'static str) -> Result<Option<DateTime<Utc>>, ResponseError> {
    let Some(v) = value else { return Ok(None) };
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|t| Some(t.and_utc()))
        .map_err(|_| ResponseError::InvalidTime(what))
}

/// Profiles §4.1.4.2: one bearer confirmation must have Recipient = ACS URL, an
/// unexpired NotOnOrAfter and the right InResponseTo. Returns its NotOnOrAfter and
/// InResponseTo; if none qualifies, the first bearer confirmation's error.
fn bearer_confirmation(
    subject: &Element,
    cfg: &ResponseConfig,
    now: DateTime<Utc>,
    expected: Option<&str>,
) -> Result<(DateTime<Utc>, Option<String>), ResponseError> {
    let mut first_err = None;
    for sc in subject.children_named(SAML_NS, "SubjectConfirmation") {
        if sc.attr("Method") != Some(BEARER) {
            continue;
        }
        let result = (|| {
            let data = sc
                .only_child(SAML_NS, "SubjectConfirmationData")
                .map_err(|_| ResponseError::Malformed("SubjectConfirmationData"))?;
            if data.attr("Recipient") != Some(cfg.acs_url.as_str()) {
                return Err(ResponseError::WrongRecipient);
            }
            let not_after = time(data.attr("NotOnOrAfter"), "SubjectConfirmationData")?.ok_or(
                ResponseError::Malformed("SubjectConfirmationData NotOnOrAfter"),
            )?;
            if now >= not_after + cfg.clock_skew {
                return Err(ResponseError::ConfirmationExpired);
            }
            if let Some(nb) = time(data.attr("NotBefore"), "SubjectConfirmationData")? {
                if now + cfg.clock_skew < nb {
                    return Err(ResponseError::ConfirmationNotYetValid);
                }
            }
            let irt = data.attr("InResponseTo");
            check_in_response_to(irt, expected, true)?;
            Ok((not_after, irt.map(str::to_owned)))
        })();
        match result {
            Ok(ok) => return Ok(ok),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    Err(first_err.unwrap_or(ResponseError::NoBearerConfirmation))
}

/// Conditions validity window and AudienceRestriction (Core §2.5.1); returns NotOnOrAfter.
fn conditions(
    a: &Element,
    cfg: &ResponseConfig,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ResponseError> {
    let c = a
        .only_child(SAML_NS, "Conditions")
        .map_err(|_| ResponseError::MissingAudience)?;
    if let Some(nb) = time(c.attr("NotBefore"), "Conditions")? {
        if now + cfg.clock_skew < nb {
            return Err(ResponseError::NotYetValid);
        }
    }
    let not_after = time(c.attr("NotOnOrAfter"), "Conditions")?;
    if let Some(na) = not_after {
        if now >= na + cfg.clock_skew {
            return Err(ResponseError::Expired);
        }
    }
    // Core §2.5.1.4: every AudienceRestriction must be satisfied.
    let mut restrictions = c.children_named(SAML_NS, "AudienceRestriction").peekable();
    if restrictions.peek().is_none() {
        return Err(ResponseError::MissingAudience);
    }
    for r in restrictions {
        if !r
            .children_named(SAML_NS, "Audience")
            .any(|aud| aud.text() == cfg.sp_entity_id)
        {
            return Err(ResponseError::WrongAudience);
        }
    }
    Ok(not_after)
}

/// The first AuthnStatement's SessionIndex and SessionNotOnOrAfter (Core §2.7.2).
fn authn_statement(
    a: &Element,
    cfg: &ResponseConfig,
    now: DateTime<Utc>,
) -> Result<(Option<String>, Option<DateTime<Utc>>), ResponseError> {
    let st = a
        .children_named(SAML_NS, "AuthnStatement")
        .next()
        .ok_or(ResponseError::MissingAuthnStatement)?;
    let session_end = time(st.attr("SessionNotOnOrAfter"), "AuthnStatement")?;
    if let Some(end) = session_end {
        if now >= end + cfg.clock_skew {
            return Err(ResponseError::SessionExpired);
        }
    }
    Ok((st.attr("SessionIndex").map(str::to_owned), session_end))
}

/// Attribute Name → values over all AttributeStatements (Core §2.7.3).
fn attributes(a: &Element) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for st in a.children_named(SAML_NS, "AttributeStatement") {
        for attr in st.children_named(SAML_NS, "Attribute") {
            let Some(name) = attr.attr("Name") else {
                continue;
            };
            let values = out.entry(name.to_owned()).or_default();
            values.extend(
                attr.children_named(SAML_NS, "AttributeValue")
                    .map(Element::text),
            );
        }
    }
    out
}
