//! Settings: defaults < optional TOML file < `PROVISIOND_*` environment < command-line flags.
//!
//! Every key is documented in `docs/operations.md` and `provisiond.example.toml` (a test
//! parses that file, so the example cannot drift from the struct).
//!
//! Over 400 lines on purpose: each setting is a field in every layer (struct, defaults,
//! file, environment, flags), kept side by side so a new setting is added in one place.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The server's settings after all layers are merged.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: String,
    /// `postgres://…` for PostgreSQL, anything else is a SQLite file path.
    pub database_url: String,
    /// Base of every absolute URL the server emits (SCIM locations, ACS URL, entity IDs).
    pub public_url: String,
    pub log_format: LogFormat,
    /// A `tracing` filter such as `info` or `provisiond=debug,actix_web=info`.
    pub log_level: String,
    /// Maximum connections in the database pool.
    pub db_pool_size: u32,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest SAML Response (decoded XML, bytes) the ACS parses. Anyone may post one and
    /// the work before the signature is trusted grows with its size, so this is what
    /// bounds that work in absolute terms (docs/performance.md, adversarial inputs).
    pub saml_max_response_bytes: usize,
    /// An admin key accepted from first start (stored hashed like any other).
    pub bootstrap_admin_key: Option<String>,
    /// Where apps may be sent after login.
    pub allowed_redirect_uris: Vec<String>,
    /// DNS server (`ip:port`) for domain verification; the system resolver when unset.
    pub dns_server: Option<String>,
    /// Seconds to let in-flight requests finish after SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// HTTP worker threads (0 = one per core).
    pub workers: usize,
    /// How often the webhook worker looks for new events and due retries.
    pub webhook_poll_interval_ms: u64,
    /// First retry delay of a failed webhook delivery (doubling, capped at an hour).
    pub webhook_initial_backoff_ms: u64,
    /// How long a failing delivery is retried before it is marked failed.
    pub webhook_retry_window_hours: u64,
    /// How often each replica applies the organizations' inactivity policies (0 = never;
    /// `POST /api/v1/organizations/{org}/inactivity/run` still works).
    pub inactivity_interval_secs: u64,
    /// PEM file of the server-wide SAML SP private key (with `saml_sp_cert`); when both
    /// are unset a key pair is generated at first need and kept in the database.
    pub saml_sp_key: Option<PathBuf>,
    /// PEM file of the certificate for `saml_sp_key`.
    pub saml_sp_cert: Option<PathBuf>,
    /// Serve the development IdP simulator (`/dev/idp/*`, `/dev/callback`). Never on by
    /// default; refused with an `https` public URL (see `idp_simulator`).
    pub dev_idp_simulator: bool,
    /// Anonymous SSO endpoints (ACS, authorize, token, SP metadata): requests per minute
    /// and burst per client address, and per connection (0 per minute = no limit). See
    /// `crate::rate_limit`.
    pub rate_limit_address_per_minute: u32,
    pub rate_limit_address_burst: u32,
    pub rate_limit_connection_per_minute: u32,
    pub rate_limit_connection_burst: u32,
    /// Peers (addresses or CIDR ranges) whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<String>,
    /// CIDR ranges outbound requests (webhooks) may reach although they are private,
    /// loopback or otherwise internal; empty = public addresses only.
    pub outbound_allowed_cidrs: Vec<String>,
    /// The key (base64 of 32 bytes) that encrypts stored secrets; see `crate::secrets`.
    pub secret_key: Option<SecretText>,
    /// A file holding `secret_key` (instead of the value itself).
    pub secret_key_file: Option<PathBuf>,
    /// The previous key during a rotation: still decrypts, never encrypts.
    pub secret_key_previous: Option<SecretText>,
    /// A file holding `secret_key_previous`.
    pub secret_key_previous_file: Option<PathBuf>,
}

/// A setting that must not appear in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretText(String);

impl SecretText {
    pub fn new(value: impl Into<String>) -> Self {
        SecretText(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(..)")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: "provisiond.db".into(),
            public_url: "http://localhost:8080".into(),
            log_format: LogFormat::Text,
            log_level: "info".into(),
            db_pool_size: 10,
            max_body_bytes: 1024 * 1024,
            saml_max_response_bytes: 192 * 1024,
            bootstrap_admin_key: None,
            allowed_redirect_uris: Vec::new(),
            dns_server: None,
            shutdown_timeout_secs: 30,
            workers: 0,
            webhook_poll_interval_ms: 1000,
            webhook_initial_backoff_ms: 5000,
            webhook_retry_window_hours: 72,
            inactivity_interval_secs: 3600,
            saml_sp_key: None,
            saml_sp_cert: None,
            dev_idp_simulator: false,
            rate_limit_address_per_minute: 600,
            rate_limit_address_burst: 300,
            rate_limit_connection_per_minute: 1800,
            rate_limit_connection_burst: 600,
            trusted_proxies: Vec::new(),
            outbound_allowed_cidrs: Vec::new(),
            secret_key: None,
            secret_key_file: None,
            secret_key_previous: None,
            secret_key_previous_file: None,
        }
    }
}

/// One layer of settings: every key optional, unknown keys rejected.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigLayer {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub log_format: Option<LogFormat>,
    pub log_level: Option<String>,
    pub db_pool_size: Option<u32>,
    pub max_body_bytes: Option<usize>,
    pub saml_max_response_bytes: Option<usize>,
    pub bootstrap_admin_key: Option<String>,
    pub allowed_redirect_uris: Option<Vec<String>>,
    pub dns_server: Option<String>,
    pub shutdown_timeout_secs: Option<u64>,
    pub workers: Option<usize>,
    pub webhook_poll_interval_ms: Option<u64>,
    pub webhook_initial_backoff_ms: Option<u64>,
    pub webhook_retry_window_hours: Option<u64>,
    pub inactivity_interval_secs: Option<u64>,
    pub saml_sp_key: Option<PathBuf>,
    pub saml_sp_cert: Option<PathBuf>,
    pub dev_idp_simulator: Option<bool>,
    pub rate_limit_address_per_minute: Option<u32>,
    pub rate_limit_address_burst: Option<u32>,
    pub rate_limit_connection_per_minute: Option<u32>,
    pub rate_limit_connection_burst: Option<u32>,
    pub trusted_proxies: Option<Vec<String>>,
    pub outbound_allowed_cidrs: Option<Vec<String>>,
    pub secret_key: Option<SecretText>,
    pub secret_key_file: Option<PathBuf>,
    pub secret_key_previous: Option<SecretText>,
    pub secret_key_previous_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("environment variable {name}: {message}")]
    Env { name: String, message: String },
    #[error("{key}: {message}")]
    Invalid { key: &'static str, message: String },
}

impl Config {
    /// Merges the layers in precedence order and validates the result.
    pub fn load(
        file: Option<&Path>,
        env: &HashMap<String, String>,
        flags: ConfigLayer,
    ) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        if let Some(path) = file {
            config.apply(Self::read_file(path)?);
        }
        config.apply(Self::from_env(env)?);
        config.apply(flags);
        config.validate()?;
        Ok(config)
    }

    pub fn read_file(path: &Path) -> Result<ConfigLayer, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: shown,
            message: e.to_string(),
        })
    }

    /// Reads `PROVISIOND_*` variables (and `DATABASE_URL`, the conventional name).
    pub fn from_env(env: &HashMap<String, String>) -> Result<ConfigLayer, ConfigError> {
        let get = |name: &str| env.get(name).filter(|v| !v.is_empty()).cloned();
        fn parse<T: std::str::FromStr>(
            name: &str,
            value: Option<String>,
        ) -> Result<Option<T>, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            value
                .map(|v| {
                    v.parse::<T>().map_err(|e| ConfigError::Env {
                        name: name.to_owned(),
                        message: e.to_string(),
                    })
                })
                .transpose()
        }
        let log_format = match get("PROVISIOND_LOG_FORMAT").as_deref() {
            None => None,
            Some("json") => Some(LogFormat::Json),
            Some("text") => Some(LogFormat::Text),
            Some(other) => {
                return Err(ConfigError::Env {
                    name: "PROVISIOND_LOG_FORMAT".into(),
                    message: format!("expected `json` or `text`, got `{other}`"),
                })
            }
        };
        let list = |name: &str| {
            get(name).map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
        };
        Ok(ConfigLayer {
            listen: get("PROVISIOND_LISTEN"),
            database_url: get("PROVISIOND_DATABASE_URL").or_else(|| get("DATABASE_URL")),
            public_url: get("PROVISIOND_PUBLIC_URL"),
            log_format,
            log_level: get("PROVISIOND_LOG_LEVEL"),
            db_pool_size: parse("PROVISIOND_DB_POOL_SIZE", get("PROVISIOND_DB_POOL_SIZE"))?,
            max_body_bytes: parse(
                "PROVISIOND_MAX_BODY_BYTES",
                get("PROVISIOND_MAX_BODY_BYTES"),
            )?,
            saml_max_response_bytes: parse(
                "PROVISIOND_SAML_MAX_RESPONSE_BYTES",
                get("PROVISIOND_SAML_MAX_RESPONSE_BYTES"),
            )?,
            bootstrap_admin_key: get("PROVISIOND_BOOTSTRAP_ADMIN_KEY"),
            allowed_redirect_uris: get("PROVISIOND_ALLOWED_REDIRECT_URIS").map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
            dns_server: get("PROVISIOND_DNS_SERVER"),
            shutdown_timeout_secs: parse(
                "PROVISIOND_SHUTDOWN_TIMEOUT_SECS",
                get("PROVISIOND_SHUTDOWN_TIMEOUT_SECS"),
            )?,
            workers: parse("PROVISIOND_WORKERS", get("PROVISIOND_WORKERS"))?,
            webhook_poll_interval_ms: parse(
                "PROVISIOND_WEBHOOK_POLL_INTERVAL_MS",
                get("PROVISIOND_WEBHOOK_POLL_INTERVAL_MS"),
            )?,
            webhook_initial_backoff_ms: parse(
                "PROVISIOND_WEBHOOK_INITIAL_BACKOFF_MS",
                get("PROVISIOND_WEBHOOK_INITIAL_BACKOFF_MS"),
            )?,
            webhook_retry_window_hours: parse(
                "PROVISIOND_WEBHOOK_RETRY_WINDOW_HOURS",
                get("PROVISIOND_WEBHOOK_RETRY_WINDOW_HOURS"),
            )?,
            inactivity_interval_secs: parse(
                "PROVISIOND_INACTIVITY_INTERVAL_SECS",
                get("PROVISIOND_INACTIVITY_INTERVAL_SECS"),
            )?,
            saml_sp_key: get("PROVISIOND_SAML_SP_KEY").map(PathBuf::from),
            saml_sp_cert: get("PROVISIOND_SAML_SP_CERT").map(PathBuf::from),
            dev_idp_simulator: parse(
                "PROVISIOND_DEV_IDP_SIMULATOR",
                get("PROVISIOND_DEV_IDP_SIMULATOR"),
            )?,
            rate_limit_address_per_minute: parse(
                "PROVISIOND_RATE_LIMIT_ADDRESS_PER_MINUTE",
                get("PROVISIOND_RATE_LIMIT_ADDRESS_PER_MINUTE"),
            )?,
            rate_limit_address_burst: parse(
                "PROVISIOND_RATE_LIMIT_ADDRESS_BURST",
                get("PROVISIOND_RATE_LIMIT_ADDRESS_BURST"),
            )?,
            rate_limit_connection_per_minute: parse(
                "PROVISIOND_RATE_LIMIT_CONNECTION_PER_MINUTE",
                get("PROVISIOND_RATE_LIMIT_CONNECTION_PER_MINUTE"),
            )?,
            rate_limit_connection_burst: parse(
                "PROVISIOND_RATE_LIMIT_CONNECTION_BURST",
                get("PROVISIOND_RATE_LIMIT_CONNECTION_BURST"),
            )?,
            trusted_proxies: list("PROVISIOND_TRUSTED_PROXIES"),
            outbound_allowed_cidrs: get("PROVISIOND_OUTBOUND_ALLOWED_CIDRS").map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
            secret_key: get("PROVISIOND_SECRET_KEY").map(SecretText),
            secret_key_file: get("PROVISIOND_SECRET_KEY_FILE").map(PathBuf::from),
            secret_key_previous: get("PROVISIOND_SECRET_KEY_PREVIOUS").map(SecretText),
            secret_key_previous_file: get("PROVISIOND_SECRET_KEY_PREVIOUS_FILE").map(PathBuf::from),
        })
    }

    fn apply(&mut self, layer: ConfigLayer) {
        let ConfigLayer {
            listen,
            database_url,
            public_url,
            log_format,
            log_level,
            db_pool_size,
            max_body_bytes,
            saml_max_response_bytes,
            bootstrap_admin_key,
            allowed_redirect_uris,
            dns_server,
            shutdown_timeout_secs,
            workers,
            webhook_poll_interval_ms,
            webhook_initial_backoff_ms,
            webhook_retry_window_hours,
            inactivity_interval_secs,
            saml_sp_key,
            saml_sp_cert,
            dev_idp_simulator,
            rate_limit_address_per_minute,
            rate_limit_address_burst,
            rate_limit_connection_per_minute,
            rate_limit_connection_burst,
            trusted_proxies,
            outbound_allowed_cidrs,
            secret_key,
            secret_key_file,
            secret_key_previous,
            secret_key_previous_file,
        } = layer;
        set(&mut self.listen, listen);
        set(&mut self.database_url, database_url);
        set(&mut self.public_url, public_url);
        set(&mut self.log_format, log_format);
        set(&mut self.log_level, log_level);
        set(&mut self.db_pool_size, db_pool_size);
        set(&mut self.max_body_bytes, max_body_bytes);
        set(&mut self.saml_max_response_bytes, saml_max_response_bytes);
        set(&mut self.allowed_redirect_uris, allowed_redirect_uris);
        set(&mut self.shutdown_timeout_secs, shutdown_timeout_secs);
        set(&mut self.workers, workers);
        set(&mut self.webhook_poll_interval_ms, webhook_poll_interval_ms);
        set(
            &mut self.webhook_initial_backoff_ms,
            webhook_initial_backoff_ms,
        );
        set(
            &mut self.webhook_retry_window_hours,
            webhook_retry_window_hours,
        );
        set(&mut self.inactivity_interval_secs, inactivity_interval_secs);
        set(&mut self.dev_idp_simulator, dev_idp_simulator);
        if bootstrap_admin_key.is_some() {
            self.bootstrap_admin_key = bootstrap_admin_key;
        }
        if dns_server.is_some() {
            self.dns_server = dns_server;
        }
        if saml_sp_key.is_some() {
            self.saml_sp_key = saml_sp_key;
        }
        if saml_sp_cert.is_some() {
            self.saml_sp_cert = saml_sp_cert;
        }
        set(
            &mut self.rate_limit_address_per_minute,
            rate_limit_address_per_minute,
        );
        set(&mut self.rate_limit_address_burst, rate_limit_address_burst);
        set(
            &mut self.rate_limit_connection_per_minute,
            rate_limit_connection_per_minute,
        );
        set(
            &mut self.rate_limit_connection_burst,
            rate_limit_connection_burst,
        );
        set(&mut self.trusted_proxies, trusted_proxies);
        set(&mut self.outbound_allowed_cidrs, outbound_allowed_cidrs);
        // A key given by value or by file replaces both forms from lower layers.
        if secret_key.is_some() || secret_key_file.is_some() {
            self.secret_key = secret_key;
            self.secret_key_file = secret_key_file;
        }
        if secret_key_previous.is_some() || secret_key_previous_file.is_some() {
            self.secret_key_previous = secret_key_previous;
            self.secret_key_previous_file = secret_key_previous_file;
        }
    }

    fn validate(&mut self) -> Result<(), ConfigError> {
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Invalid {
                key: "listen",
                message: format!("`{}` is not an ip:port address", self.listen),
            });
        }
        let public = url::Url::parse(&self.public_url).map_err(|e| ConfigError::Invalid {
            key: "public_url",
            message: e.to_string(),
        })?;
        if !matches!(public.scheme(), "http" | "https") {
            return Err(ConfigError::Invalid {
                key: "public_url",
                message: "must be an http or https URL".into(),
            });
        }
        self.public_url = self.public_url.trim_end_matches('/').to_owned();
        if self.db_pool_size == 0 {
            return Err(ConfigError::Invalid {
                key: "db_pool_size",
                message: "must be at least 1".into(),
            });
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid {
                key: "max_body_bytes",
                message: "must be at least 1024".into(),
            });
        }
        if !(16 * 1024..=1024 * 1024).contains(&self.saml_max_response_bytes) {
            return Err(ConfigError::Invalid {
                key: "saml_max_response_bytes",
                message: "must be between 16384 and 1048576 (the XML parser's own limit)".into(),
            });
        }
        if let Some(key) = &self.bootstrap_admin_key {
            if key.len() < 24 {
                return Err(ConfigError::Invalid {
                    key: "bootstrap_admin_key",
                    message: "must be at least 24 characters".into(),
                });
            }
        }
        if self.webhook_retry_window_hours < 24 {
            return Err(ConfigError::Invalid {
                key: "webhook_retry_window_hours",
                message: "must be at least 24".into(),
            });
        }
        if self.webhook_poll_interval_ms == 0 {
            return Err(ConfigError::Invalid {
                key: "webhook_poll_interval_ms",
                message: "must be at least 1".into(),
            });
        }
        if self.saml_sp_key.is_some() != self.saml_sp_cert.is_some() {
            return Err(ConfigError::Invalid {
                key: "saml_sp_key",
                message: "saml_sp_key and saml_sp_cert must be set together".into(),
            });
        }
        if self.rate_limit_address_per_minute > 0 && self.rate_limit_address_burst == 0 {
            return Err(ConfigError::Invalid {
                key: "rate_limit_address_burst",
                message: "must be at least 1 while the address limit is on".into(),
            });
        }
        if self.rate_limit_connection_per_minute > 0 && self.rate_limit_connection_burst == 0 {
            return Err(ConfigError::Invalid {
                key: "rate_limit_connection_burst",
                message: "must be at least 1 while the connection limit is on".into(),
            });
        }
        for proxy in &self.trusted_proxies {
            crate::ip_range::IpRange::parse(proxy).map_err(|message| ConfigError::Invalid {
                key: "trusted_proxies",
                message,
            })?;
        }
        for cidr in &self.outbound_allowed_cidrs {
            crate::ip_range::IpRange::parse(cidr).map_err(|message| ConfigError::Invalid {
                key: "outbound_allowed_cidrs",
                message,
            })?;
        }
        if self.secret_key.is_some() && self.secret_key_file.is_some() {
            return Err(ConfigError::Invalid {
                key: "secret_key",
                message: "set secret_key or secret_key_file, not both".into(),
            });
        }
        if self.secret_key_previous.is_some() && self.secret_key_previous_file.is_some() {
            return Err(ConfigError::Invalid {
                key: "secret_key_previous",
                message: "set secret_key_previous or secret_key_previous_file, not both".into(),
            });
        }
        if self.dev_idp_simulator && public.scheme() == "https" {
            // An https public URL is what a deployment looks like; there, a page that signs
            // anyone in as anyone must not exist, whatever a stray variable says.
            return Err(ConfigError::Invalid {
                key: "dev_idp_simulator",
                message: "the development IdP simulator is refused with an https public_url \
                          (it lets anyone sign in as anyone); turn it off"
                    .into(),
            });
        }
        if let Some(server) = &self.dns_server {
            if server.parse::<std::net::SocketAddr>().is_err() {
                return Err(ConfigError::Invalid {
                    key: "dns_server",
                    message: format!("`{server}` is not an ip:port address"),
                });
            }
        }
        Ok(())
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_serve_locally_on_sqlite() {
        let c = Config::load(None, &HashMap::new(), ConfigLayer::default()).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.database_url, "provisiond.db");
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:1\"\npublic_url = \"https://file\"\nworkers = 3\n",
        )
        .unwrap();
        let e = env(&[
            ("PROVISIOND_LISTEN", "127.0.0.1:2"),
            ("PROVISIOND_PUBLIC_URL", "https://env/"),
        ]);
        let flags = ConfigLayer {
            listen: Some("127.0.0.1:3".into()),
            ..Default::default()
        };
        let c = Config::load(Some(&path), &e, flags).unwrap();
        assert_eq!(c.listen, "127.0.0.1:3");
        assert_eq!(c.public_url, "https://env");
        assert_eq!(c.workers, 3);
    }

    #[test]
    fn unknown_file_keys_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "lisen = \"127.0.0.1:1\"\n").unwrap();
        let err = Config::load(Some(&path), &HashMap::new(), ConfigLayer::default()).unwrap_err();
        assert!(err.to_string().contains("lisen"), "{err}");
    }

    #[test]
    fn bad_env_values_name_the_variable() {
        let e = env(&[("PROVISIOND_DB_POOL_SIZE", "lots")]);
        let err = Config::load(None, &e, ConfigLayer::default()).unwrap_err();
        assert!(err.to_string().contains("PROVISIOND_DB_POOL_SIZE"), "{err}");
        let e = env(&[("PROVISIOND_LISTEN", "nowhere")]);
        assert!(Config::load(None, &e, ConfigLayer::default()).is_err());
    }

    #[test]
    fn sp_key_files_come_in_pairs() {
        let e = env(&[("PROVISIOND_SAML_SP_KEY", "/k.pem")]);
        let err = Config::load(None, &e, ConfigLayer::default()).unwrap_err();
        assert!(err.to_string().contains("saml_sp_cert"), "{err}");
        let e = env(&[
            ("PROVISIOND_SAML_SP_KEY", "/k.pem"),
            ("PROVISIOND_SAML_SP_CERT", "/c.pem"),
        ]);
        let c = Config::load(None, &e, ConfigLayer::default()).unwrap();
        assert_eq!(c.saml_sp_cert.as_deref(), Some(Path::new("/c.pem")));
    }

    #[test]
    fn rate_limits_and_trusted_proxies_from_env() {
        let e = env(&[
            ("PROVISIOND_RATE_LIMIT_ADDRESS_PER_MINUTE", "0"),
            ("PROVISIOND_RATE_LIMIT_CONNECTION_BURST", "5"),
            ("PROVISIOND_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
        ]);
        let c = Config::load(None, &e, ConfigLayer::default()).unwrap();
        assert_eq!(c.rate_limit_address_per_minute, 0);
        assert_eq!(c.rate_limit_connection_burst, 5);
        assert_eq!(c.trusted_proxies, vec!["10.0.0.0/8", "::1"]);
        let e = env(&[("PROVISIOND_TRUSTED_PROXIES", "10.0.0.0/40")]);
        let err = Config::load(None, &e, ConfigLayer::default()).unwrap_err();
        assert!(err.to_string().contains("trusted_proxies"), "{err}");
        let e = env(&[("PROVISIOND_RATE_LIMIT_ADDRESS_BURST", "0")]);
        assert!(Config::load(None, &e, ConfigLayer::default()).is_err());
    }

    #[test]
    fn idp_simulator_is_off_by_default_and_refused_with_https() {
        let c = Config::load(None, &HashMap::new(), ConfigLayer::default()).unwrap();
        assert!(!c.dev_idp_simulator);
        let e = env(&[("PROVISIOND_DEV_IDP_SIMULATOR", "true")]);
        assert!(
            Config::load(None, &e, ConfigLayer::default())
                .unwrap()
                .dev_idp_simulator
        );
        let e = env(&[("PROVISIOND_DEV_IDP_SIMULATOR", "yes")]);
        let err = Config::load(None, &e, ConfigLayer::default()).unwrap_err();
        assert!(
            err.to_string().contains("PROVISIOND_DEV_IDP_SIMULATOR"),
            "{err}"
        );
        let e = env(&[
            ("PROVISIOND_DEV_IDP_SIMULATOR", "true"),
            ("PROVISIOND_PUBLIC_URL", "https://sso.example.com"),
        ]);
        let err = Config::load(None, &e, ConfigLayer::default()).unwrap_err();
        assert!(err.to_string().contains("dev_idp_simulator"), "{err}");
    }

    #[test]
    fn example_config_file_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("provisiond.example.toml");
        let layer = Config::read_file(&path).unwrap();
        assert!(layer.listen.is_some());
        Config::load(Some(&path), &HashMap::new(), ConfigLayer::default()).unwrap();
    }
}
