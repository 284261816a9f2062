//! The platforms driftgate collects from, and what each can do. Everything that differs by
//! platform outside its collector (`collect/genesys.rs`, `collect/cxone.rs`), its catalog, its
//! schemas and its policy pack is asked of [`Platform`]: the CLI, the daily job, audit pulls
//! and forensics never compare platform names.

use crate::collect::api::{Auth, Credentials};
use crate::config::CredentialsConfig;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A contact-center platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Platform {
    /// Genesys Cloud CX.
    #[serde(rename = "genesys-cloud")]
    GenesysCloud,
    /// NICE CXone.
    #[serde(rename = "nice-cxone")]
    NiceCxone,
}

impl Platform {
    /// Every platform.
    pub const ALL: [Platform; 2] = [Platform::GenesysCloud, Platform::NiceCxone];

    /// Its name in snapshots, catalogs, configs and flags.
    pub fn name(self) -> &'static str {
        match self {
            Platform::GenesysCloud => "genesys-cloud",
            Platform::NiceCxone => "nice-cxone",
        }
    }

    /// The platform of a name.
    pub fn from_name(name: &str) -> Result<Platform> {
        Self::ALL.into_iter().find(|p| p.name() == name).ok_or_else(|| Error::Usage {
            message: format!("no collector for platform {name:?}"),
            help: Some(format!("platforms: {}; or pass a snapshot file (--snapshot)", Self::names().join(", "))),
        })
    }

    /// Every platform's name.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|p| p.name()).collect()
    }

    /// Whether the platform has an audit query API (`audit pull`, `forensics collect`, the
    /// settle window). CXone's audit trail is per entity or in BI reports, not queryable.
    pub fn has_audit_api(self) -> bool {
        matches!(self, Platform::GenesysCloud)
    }

    /// The error for a tenant on a platform without an audit query API.
    pub fn no_audit_api(self, tenant: &str) -> Error {
        let with: Vec<&str> = Self::ALL.iter().filter(|p| p.has_audit_api()).map(|p| p.name()).collect();
        Error::Usage {
            message: format!("tenant {tenant} is on {}, which has no audit query API", self.name()),
            help: Some(format!("audit pull and forensics collect are available for {} tenants", with.join(", "))),
        }
    }

    /// The resource types its collector reads (one endpoint each).
    pub fn resource_types(self) -> Vec<&'static str> {
        match self {
            Platform::GenesysCloud => crate::collect::genesys::ENDPOINTS.iter().map(|e| e.rtype).collect(),
            Platform::NiceCxone => crate::collect::cxone::ENDPOINTS.iter().map(|e| e.rtype).collect(),
        }
    }

    /// How a tenant signs in, from what its config names: a credentials file, or the
    /// environment variables it names (each platform has its defaults: `GENESYS_CLIENT_ID`
    /// / `GENESYS_CLIENT_SECRET`; `CXONE_ACCESS_KEY_ID` / `CXONE_ACCESS_KEY_SECRET`, with a
    /// registered application's `CXONE_CLIENT_ID` / `CXONE_CLIENT_SECRET` when set).
    pub fn auth(self, c: &CredentialsConfig) -> Result<Auth> {
        if let Some(f) = &c.secret_file {
            return self.auth_from_file(f);
        }
        match self {
            Platform::GenesysCloud => Ok(Auth::ClientCredentials(Credentials::from_env(
                c.client_id_env.as_deref().unwrap_or(GENESYS_VARS.0),
                c.client_secret_env.as_deref().unwrap_or(GENESYS_VARS.1),
            )?)),
            Platform::NiceCxone => {
                use crate::collect::cxone::{auth_from_env_vars, ACCESS_KEY_VARS, APP_VARS};
                let key_vars = (
                    c.access_key_id_env.as_deref().unwrap_or(ACCESS_KEY_VARS.0),
                    c.access_key_secret_env.as_deref().unwrap_or(ACCESS_KEY_VARS.1),
                );
                let app_vars = (
                    c.client_id_env.as_deref().unwrap_or(APP_VARS.0),
                    c.client_secret_env.as_deref().unwrap_or(APP_VARS.1),
                );
                // Variables the config names for an application must be set; the defaults may be unset.
                auth_from_env_vars(key_vars, app_vars, c.client_id_env.is_some() || c.client_secret_env.is_some())
            }
        }
    }

    /// How a tenant signs in with a credentials file of this platform's shape.
    pub fn auth_from_file(self, path: &Path) -> Result<Auth> {
        match self {
            Platform::GenesysCloud => Ok(Auth::ClientCredentials(Credentials::from_file(path)?)),
            Platform::NiceCxone => crate::collect::cxone::auth_from_file(path),
        }
    }
}

/// Genesys Cloud's default credential variables.
pub const GENESYS_VARS: (&str, &str) = ("GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET");

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Platform {
    type Err = Error;

    fn from_str(s: &str) -> Result<Platform> {
        Platform::from_name(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn collectors_read_exactly_the_catalog_types() {
        let catalog = crate::catalog::Catalog::built_in().unwrap();
        for p in Platform::ALL {
            let collected: BTreeSet<&str> = p.resource_types().into_iter().collect();
            let rules = catalog.platform(p.name()).unwrap();
            let declared: BTreeSet<&str> = rules.declared_types().map(|t| t.name.as_str()).collect();
            assert_eq!(collected, declared, "{p}: the collector's endpoints and the catalog's types differ");
        }
    }

    #[test]
    fn names_round_trip_and_unknown_ones_are_refused() {
        for p in Platform::ALL {
            assert_eq!(Platform::from_name(p.name()).unwrap(), p);
            assert_eq!(serde_json::to_value(p).unwrap(), p.name());
        }
        assert!(Platform::from_name("avaya").is_err());
        assert!(Platform::GenesysCloud.has_audit_api() && !Platform::NiceCxone.has_audit_api());
    }
}
