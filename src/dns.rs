//! TXT lookups for domain verification, behind an interface so a deployment (or a test)
//! can point it at a specific DNS server.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::TokioResolver;

#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("DNS lookup failed: {0}")]
    Lookup(String),
    #[error("DNS resolver could not be configured: {0}")]
    Setup(String),
}

pub type TxtFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<String>, DnsError>> + Send + 'a>>;

/// Looks up the TXT strings published at a name. A name with no TXT records (or that
/// does not exist) yields an empty list, not an error.
pub trait TxtResolver: Send + Sync {
    fn lookup_txt<'a>(&'a self, name: &'a str) -> TxtFuture<'a>;
}

/// A real resolver: the system's (`/etc/resolv.conf`) or one given server.
pub struct HickoryTxtResolver {
    resolver: TokioResolver,
}

impl HickoryTxtResolver {
    pub fn new(server: Option<SocketAddr>) -> Result<Self, DnsError> {
        let mut builder = match server {
            Some(addr) => {
                let mut config = ResolverConfig::new();
                config.add_name_server(NameServerConfig::new(addr, Protocol::Udp));
                TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
            }
            None => TokioResolver::builder_tokio().map_err(|e| DnsError::Setup(e.to_string()))?,
        };
        let options = builder.options_mut();
        options.timeout = Duration::from_secs(3);
        options.attempts = 2;
        // Verification must see the record the customer just published, not a cached miss.
        options.cache_size = 0;
        Ok(HickoryTxtResolver {
            resolver: builder.build(),
        })
    }
}

impl TxtResolver for HickoryTxtResolver {
    fn lookup_txt<'a>(&'a self, name: &'a str) -> TxtFuture<'a> {
        Box::pin(async move {
            match self.resolver.txt_lookup(name).await {
                Ok(lookup) => Ok(lookup
                    .iter()
                    .map(|txt| {
                        // A TXT record is a list of character-strings; publishers split
                        // long values, so join them back (RFC 7208 §3.3 does the same).
                        txt.txt_data()
                            .iter()
                            .map(|part| String::from_utf8_lossy(part).into_owned())
                            .collect::<String>()
                    })
                    .collect()),
                Err(e) if e.is_no_records_found() => Ok(Vec::new()),
                Err(e) => Err(DnsError::Lookup(e.to_string())),
            }
        })
    }
}
