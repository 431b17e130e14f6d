//! Field validation shared by the tenancy resources.

use super::TenancyError;

/// Slugs: 1–63 chars of `a-z 0-9 -`, not starting or ending with `-` (DNS-label shaped,
/// so they are safe in URLs and hostnames).
pub fn slug(value: &str) -> Result<(), TenancyError> {
    let ok = !value.is_empty()
        && value.len() <= 63
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(TenancyError::invalid(
            "slug",
            "must be 1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'",
        ))
    }
}

/// Display names: non-blank, at most 200 characters, no control characters.
pub fn name(field: &'static str, value: &str) -> Result<(), TenancyError> {
    if value.trim().is_empty() {
        return Err(TenancyError::invalid(field, "must not be blank"));
    }
    if value.chars().count() > 200 {
        return Err(TenancyError::invalid(
            field,
            "must be at most 200 characters",
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(TenancyError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Role keys: 1–64 chars of `a-z 0-9 _ - . :`.
pub fn role_key(value: &str) -> Result<(), TenancyError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.:".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(TenancyError::invalid(
            "key",
            "must be 1-64 characters of a-z, 0-9, '_', '-', '.' and ':'",
        ))
    }
}

/// A DNS domain name, normalized to lowercase without a trailing dot.
pub fn domain(value: &str) -> Result<String, TenancyError> {
    let normalized = value.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = normalized.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let tld_alpha = labels
        .last()
        .is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()));
    if normalized.len() <= 253 && labels.len() >= 2 && labels.iter().all(label_ok) && tld_alpha {
        Ok(normalized)
    } else {
        Err(TenancyError::invalid(
            "domain",
            "must be a DNS name such as example.com",
        ))
    }
}

/// Optional non-negative integer settings.
pub fn non_negative(
    field: &'static str,
    value: Option<i64>,
    min: i64,
) -> Result<Option<i32>, TenancyError> {
    match value {
        None => Ok(None),
        Some(v) if v < min || v > i64::from(i32::MAX) => Err(TenancyError::invalid(
            field,
            format!("must be between {min} and {}", i32::MAX),
        )),
        Some(v) => Ok(i32::try_from(v).ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(slug("acme-corp").is_ok());
        for bad in ["", "Acme", "-a", "a-", "a_b", "a b", &"a".repeat(64)] {
            assert!(slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn domains() {
        assert_eq!(domain("Example.COM.").ok().as_deref(), Some("example.com"));
        for bad in [
            "",
            "localhost",
            "exa mple.com",
            "-a.com",
            "a..com",
            "1.2.3.4",
            "a.com/x",
        ] {
            assert!(domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_and_keys() {
        assert!(name("name", "  ").is_err());
        assert!(name("name", "a\u{0}b").is_err());
        assert!(role_key("billing.admin").is_ok());
        assert!(role_key("Billing").is_err());
        assert!(non_negative("max_seats", Some(-1), 0).is_err());
        assert_eq!(
            non_negative("max_seats", Some(5), 0).ok().flatten(),
            Some(5)
        );
    }
}
