//! Bringing stored secrets under the configured key, over every sealed column:
//! - at start-up ([`prepare`]): plaintext rows written by an older version are sealed
//!   (idempotent; a data migration run after the schema migrations), and every sealed
//!   value is opened once, so a server with the wrong key refuses to start with a clear
//!   message instead of failing logins and deliveries later;
//! - on `provisiond secrets rotate` ([`rotate`]): every value sealed with another key
//!   (the previous one) is re-sealed under the current key.
//!
//! Each row is replaced with a compare-and-set on its old value, so two replicas starting
//! together, or an admin rotating a webhook secret meanwhile, never lose a write.

use super::{classify, Purpose, SecretError, SecretKeys, Stored};
use crate::db::{Database, DbConn, DbError};
use crate::store::{idp_simulator_keys, sp_keys, webhooks, StoreError, StoreResult};

/// `(row id, stored value)` pairs of one column.
type StoredValues = Vec<(String, String)>;

/// One column that holds sealed values.
struct SealedColumn {
    name: &'static str,
    purpose: Purpose,
    /// `(row id, stored value)` of every row with a value.
    list: fn(&mut DbConn) -> StoreResult<StoredValues>,
    /// Replaces the value of a row if it still is `old`; returns rows changed.
    replace: fn(&mut DbConn, &str, &str, &str) -> StoreResult<usize>,
}

/// Every sealed column. A new secret column (OIDC client secrets) adds its entry here.
const COLUMNS: &[SealedColumn] = &[
    SealedColumn {
        name: "sp_keys.private_key_pem",
        purpose: Purpose::SpPrivateKey,
        list: sp_keys::list_private_keys,
        replace: sp_keys::replace_private_key,
    },
    SealedColumn {
        name: "webhook_endpoints.secret",
        purpose: Purpose::WebhookSecret,
        list: webhooks::list_secrets,
        replace: webhooks::replace_secret,
    },
    SealedColumn {
        name: "webhook_endpoints.previous_secret",
        purpose: Purpose::WebhookSecret,
        list: webhooks::list_previous_secrets,
        replace: webhooks::replace_previous_secret,
    },
    SealedColumn {
        name: "idp_simulator_keys.private_key_pem",
        purpose: Purpose::IdpSimulatorKey,
        list: idp_simulator_keys::list_private_keys,
        replace: idp_simulator_keys::replace_private_key,
    },
];

#[derive(Debug, thiserror::Error)]
pub enum ResealError {
    #[error("{column}, row {row}: {source}")]
    Secret {
        column: &'static str,
        row: String,
        source: SecretError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0} secret(s) changed while rotating; run `provisiond secrets rotate` again")]
    Raced(usize),
}

/// What a pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ResealReport {
    /// Plaintext values sealed.
    pub sealed: usize,
    /// Values re-sealed from another key to the current one.
    pub rotated: usize,
    /// Values already under the current key.
    pub unchanged: usize,
}

/// Start-up: seals plaintext values and checks that every stored value opens.
pub fn prepare(db: &Database, keys: &SecretKeys) -> Result<ResealReport, ResealError> {
    pass(db, keys, false)
}

/// `provisiond secrets rotate`: re-seals everything under the current key.
pub fn rotate(db: &Database, keys: &SecretKeys) -> Result<ResealReport, ResealError> {
    let report = pass(db, keys, true)?;
    // A value another process replaced meanwhile was sealed by that process under its
    // own current key; check nothing is left under an old one.
    let mut conn = db.get()?;
    let mut left = 0;
    for column in COLUMNS {
        for (_, value) in (column.list)(&mut conn)? {
            let current = matches!(classify(&value), Ok(Stored::Sealed { key_id }) if key_id == keys.current_id());
            if !current {
                left += 1;
            }
        }
    }
    if left > 0 {
        return Err(ResealError::Raced(left));
    }
    Ok(report)
}

fn pass(db: &Database, keys: &SecretKeys, rotate: bool) -> Result<ResealReport, ResealError> {
    let mut report = ResealReport::default();
    for column in COLUMNS {
        let rows = (column.list)(&mut *db.get()?)?;
        let err = |row: &str, source: SecretError| ResealError::Secret {
            column: column.name,
            row: row.to_owned(),
            source,
        };
        for (id, value) in rows {
            let kind = classify(&value).map_err(|e| err(&id, e))?;
            let new = match kind {
                Stored::Plaintext => {
                    report.sealed += 1;
                    keys.seal(column.purpose, &id, value.as_bytes())
                        .map_err(|e| err(&id, e))?
                }
                Stored::Sealed { key_id } => {
                    let plain = keys
                        .open(column.purpose, &id, &value)
                        .map_err(|e| err(&id, e))?;
                    if !rotate || key_id == keys.current_id() {
                        report.unchanged += 1;
                        continue;
                    }
                    report.rotated += 1;
                    keys.seal(column.purpose, &id, &plain)
                        .map_err(|e| err(&id, e))?
                }
            };
            // Zero rows: another process changed the value first; its value stands.
            db.write_blocking::<_, StoreError, _>(|c| (column.replace)(c, &id, &value, &new))?;
        }
    }
    Ok(report)
}
