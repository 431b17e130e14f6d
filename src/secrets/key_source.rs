//! Where the secret key comes from: `secret_key` (`PROVISIOND_SECRET_KEY`) or
//! `secret_key_file`, plus optionally the previous key during a rotation. On the embedded
//! SQLite default with no key set, a key file is generated next to the database on first
//! start (so `cargo run` just works); on PostgreSQL, where every replica must hold the
//! same key, a missing key is a start-up error.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{DataKey, SecretError, SecretKeys};
use crate::config::Config;
use crate::db::Backend;

/// The message when PostgreSQL runs without a key.
const POSTGRES_NEEDS_KEY: &str = "PROVISIOND_SECRET_KEY (or secret_key_file) must be set on PostgreSQL: every replica needs the same key to read the secrets stored in the database. Generate one with `provisiond secrets generate-key`";

/// The keys for `config`, generating the SQLite key file when needed.
pub fn load(config: &Config) -> Result<SecretKeys, SecretError> {
    let previous = read_key(
        config.secret_key_previous.as_ref().map(|s| s.expose()),
        config.secret_key_previous_file.as_deref(),
        "secret_key_previous",
    )?;
    let current = read_key(
        config.secret_key.as_ref().map(|s| s.expose()),
        config.secret_key_file.as_deref(),
        "secret_key",
    )?;
    let current = match current {
        Some(k) => k,
        None => match Backend::from_url(&config.database_url) {
            (Backend::Postgres, _) => return Err(SecretError::Key(POSTGRES_NEEDS_KEY.into())),
            (Backend::Sqlite, path) => sqlite_key(&path)?,
        },
    };
    Ok(SecretKeys::new(current, previous))
}

fn read_key(
    value: Option<&str>,
    file: Option<&Path>,
    name: &str,
) -> Result<Option<DataKey>, SecretError> {
    let parse = |text: &str, from: &str| {
        DataKey::parse(text).map_err(|e| SecretError::Key(format!("{from}: {e}")))
    };
    match (value, file) {
        (Some(v), _) => parse(v, name).map(Some),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                SecretError::Key(format!("cannot read {name}_file {}: {e}", path.display()))
            })?;
            parse(&text, &format!("{name}_file {}", path.display())).map(Some)
        }
        (None, None) => Ok(None),
    }
}

/// The generated key file of a SQLite database: `<database file>.secret-key`.
pub fn sqlite_key_path(database_path: &str) -> PathBuf {
    PathBuf::from(format!("{database_path}.secret-key"))
}

/// Reads the key file next to the SQLite database, creating it (mode 0600) at first start.
fn sqlite_key(database_path: &str) -> Result<DataKey, SecretError> {
    if database_path == ":memory:" || database_path.contains("mode=memory") {
        // Nothing outlives the process, so neither may the key.
        return DataKey::generate();
    }
    let path = sqlite_key_path(database_path);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            if let Ok(meta) = std::fs::metadata(&path) {
                if meta.permissions().mode() & 0o077 != 0 {
                    tracing::warn!(path = %path.display(), "the secret key file is readable by other users; chmod 600 it");
                }
            }
            return DataKey::parse(&text)
                .map_err(|e| SecretError::Key(format!("{}: {e}", path.display())));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(SecretError::Key(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
    }
    let key = DataKey::generate()?;
    // Written to a temporary file, then linked into place: `hard_link` fails when the
    // name exists, so of two processes starting at once exactly one key wins and neither
    // reads a half-written file.
    let tmp = PathBuf::from(format!(
        "{}.{}.tmp",
        path.display(),
        uuid::Uuid::new_v4().simple()
    ));
    let io = |e: std::io::Error| SecretError::Key(format!("cannot write {}: {e}", path.display()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io)?;
    file.write_all(format!("{}\n", key.to_text()).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io)?;
    drop(file);
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            tracing::warn!(
                path = %path.display(),
                key.id = key.id(),
                "generated the secret key that encrypts stored secrets; back it up with the database (without it they cannot be read)"
            );
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => sqlite_key(database_path),
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_generates_once_with_mode_0600_and_postgres_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("p.db").to_string_lossy().into_owned();
        let config = Config {
            database_url: db.clone(),
            ..Config::default()
        };
        let first = load(&config).unwrap();
        let again = load(&config).unwrap();
        assert_eq!(first.current_id(), again.current_id());
        let mode = std::fs::metadata(sqlite_key_path(&db))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);

        let pg = Config {
            database_url: "postgres://nobody@127.0.0.1:1/x".into(),
            ..Config::default()
        };
        let err = load(&pg).unwrap_err().to_string();
        assert!(err.contains("PROVISIOND_SECRET_KEY"), "{err}");
    }
}
