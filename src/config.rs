//! The configuration file (`driftgate.toml`): the store, the signing key's source, how
//! checks run, the tenants, alert sinks, witnesses and audit pulls. Relative paths in it are
//! relative to the file; the jobs ([`crate::jobs`]) apply their flags over it.

use crate::error::{Error, Result};
use crate::evidence::store::S3Settings;
use crate::platform::Platform;
use crate::report::{formats, FailOn};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where evidence goes.
    #[serde(default)]
    pub store: StoreConfig,
    /// The signing key's source.
    #[serde(default)]
    pub signing: SigningConfig,
    /// How checks run.
    #[serde(default)]
    pub check: CheckConfig,
    /// The tenants.
    #[serde(default)]
    pub tenants: Vec<TenantConfig>,
    /// Where alerts go.
    #[serde(default)]
    pub alerts: Vec<crate::alert::AlertConfig>,
    /// Audit-log pulls.
    #[serde(default)]
    pub audit: crate::audit::AuditConfig,
    /// Where every new chain head is recorded, outside the store (`[[witness]]`).
    #[serde(default)]
    pub witness: Vec<crate::evidence::WitnessConfig>,
}

impl Config {
    /// The witnesses of the config and those of the flags (`--witness FILE`).
    pub fn witnesses(&self, files: &[PathBuf]) -> Vec<crate::evidence::WitnessConfig> {
        self.witness.iter().cloned().chain(files.iter().map(crate::evidence::WitnessConfig::file)).collect()
    }
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `local` (default) or `s3`.
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Directory of a local store.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Days to keep each object (default 400: a Type II window of a year and a margin).
    #[serde(default = "default_retention")]
    pub retention_days: u32,
    /// `[store.s3]`, for `kind = "s3"`.
    #[serde(default)]
    pub s3: Option<S3Settings>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig { kind: default_kind(), path: None, retention_days: default_retention(), s3: None }
    }
}

fn default_kind() -> String {
    "local".into()
}

fn default_retention() -> u32 {
    400
}

/// `[signing]`: a key file or an environment variable holding the key. Never the key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningConfig {
    /// Private key file.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Name of the environment variable holding the private key.
    #[serde(default)]
    pub key_env: Option<String>,
}

/// `[check]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    /// Policy bundle.
    #[serde(default = "default_policies")]
    pub policies: PathBuf,
    /// Directory of `<tenant>.json` baselines.
    #[serde(default = "default_baselines")]
    pub baselines: PathBuf,
    /// Extra gate conditions.
    #[serde(default)]
    pub fail_on: Vec<String>,
    /// Rendered formats stored with the package (report.json always is).
    #[serde(default = "default_formats")]
    pub formats: Vec<String>,
    /// Per-rule evaluation limit.
    #[serde(default = "default_timeout")]
    pub policy_timeout_secs: u64,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            policies: default_policies(),
            baselines: default_baselines(),
            fail_on: Vec::new(),
            formats: default_formats(),
            policy_timeout_secs: default_timeout(),
        }
    }
}

fn default_policies() -> PathBuf {
    "policies".into()
}
fn default_baselines() -> PathBuf {
    "baselines".into()
}
fn default_formats() -> Vec<String> {
    vec!["json".into(), "text".into()]
}
fn default_timeout() -> u64 {
    30
}

/// `[[tenants]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// Tenant name (the baseline's file name and the store's top-level directory).
    pub name: String,
    /// `genesys-cloud` or `nice-cxone`.
    pub platform: Platform,
    /// Region or domain.
    #[serde(default)]
    pub region: Option<String>,
    /// A snapshot file to use instead of collecting.
    #[serde(default)]
    pub snapshot: Option<PathBuf>,
    /// Baseline path or `git:<rev>:<path>` (default `<baselines>/<name>.json`).
    #[serde(default)]
    pub baseline: Option<String>,
    /// Names of the environment variables (or a file) holding the API credentials.
    #[serde(default)]
    pub credentials: Option<CredentialsConfig>,
    /// API base URL (default `https://api.<domain of the region>`).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Token endpoint (default the region's login host, or `<base_url>/oauth/token`).
    #[serde(default)]
    pub auth_url: Option<String>,
    /// Resource types to collect (default all).
    #[serde(default)]
    pub resources: Vec<String>,
    /// Settle window in minutes before collecting (none by default).
    #[serde(default)]
    pub settle_minutes: Option<u64>,
    /// CXone: the tenant id, for host discovery.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// CXone: the identity host (discovery and /auth/token).
    #[serde(default)]
    pub identity_url: Option<String>,
    /// CXone: the ACD admin API version (`v31.0`).
    #[serde(default)]
    pub api_version: Option<String>,
    /// CXone: items per page.
    #[serde(default)]
    pub page_size: Option<u32>,
}

impl TenantConfig {
    /// How the tenant signs in to its platform's API (the credentials its config names, or
    /// the platform's default variables).
    pub fn auth(&self) -> Result<crate::collect::api::Auth> {
        self.platform.auth(&self.credentials.clone().unwrap_or_default())
    }

    /// A tenant with nothing but its name and platform set.
    pub fn named(name: &str, platform: Platform) -> TenantConfig {
        TenantConfig {
            name: name.to_string(),
            platform,
            region: None,
            snapshot: None,
            baseline: None,
            credentials: None,
            base_url: None,
            auth_url: None,
            resources: Vec::new(),
            settle_minutes: None,
            tenant_id: None,
            identity_url: None,
            api_version: None,
            page_size: None,
        }
    }
}

/// Where credentials come from: environment variable names or a file, never the secrets.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsConfig {
    /// Variable holding the client id.
    #[serde(default)]
    pub client_id_env: Option<String>,
    /// Variable holding the client secret.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// CXone: variable holding the access key id.
    #[serde(default)]
    pub access_key_id_env: Option<String>,
    /// CXone: variable holding the access key secret.
    #[serde(default)]
    pub access_key_secret_env: Option<String>,
    /// A JSON file holding the credentials (Genesys: `client_id`, `client_secret`; CXone:
    /// `access_key_id`, `access_key_secret`, and `client_id`, `client_secret` of a
    /// registered application if any).
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
}

impl Config {
    /// Reads and checks a config file; relative paths become relative to its directory.
    pub fn load(path: &Path) -> Result<Config> {
        let text = crate::input::read_text(path)?;
        let mut c: Config = toml::from_str(&text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            // The excerpt shows the file with secret values blanked, and a message about a
            // secret value does not quote it.
            let (shown, secret) = crate::input::redact_config_text(&text);
            let on_secret = secret.iter().any(|r| r.start < span.end.max(span.start + 1) && span.start < r.end);
            let message = if on_secret {
                "this value is not valid here (not shown: it is a secret)".to_string()
            } else {
                e.message().to_string()
            };
            Error::Json {
                path: path.to_path_buf(),
                what: "a valid driftgate configuration",
                message,
                src: std::sync::Arc::new(miette::NamedSource::new(path.display().to_string(), shown)),
                span: (span.start, span.end - span.start).into(),
                help: Some("see the README's configuration section for every key".into()),
            }
        })?;
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        c.resolve(dir);
        c.validate(path)?;
        Ok(c)
    }

    fn resolve(&mut self, dir: &Path) {
        let abs = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        };
        if let Some(p) = self.store.path.as_mut() {
            abs(p);
        }
        if let Some(p) = self.signing.key_file.as_mut() {
            abs(p);
        }
        if let Some(p) = self.audit.mask_key_file.as_mut() {
            abs(p);
        }
        abs(&mut self.check.policies);
        abs(&mut self.check.baselines);
        for t in &mut self.tenants {
            if let Some(p) = t.snapshot.as_mut() {
                abs(p);
            }
            if let Some(p) = t.credentials.as_mut().and_then(|c| c.secret_file.as_mut()) {
                abs(p);
            }
            if let Some(b) = t.baseline.as_mut() {
                if !b.starts_with("git:") && Path::new(b.as_str()).is_relative() {
                    *b = dir.join(&*b).display().to_string();
                }
            }
        }
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let bad =
            |message: String, help: &str| Error::Invalid { path: path.to_path_buf(), message, help: Some(help.into()) };
        if !matches!(self.store.kind.as_str(), "local" | "s3") {
            return Err(bad(format!("store.kind {:?} is not local or s3", self.store.kind), "use local or s3"));
        }
        for f in &self.check.fail_on {
            if FailOn::parse(f).is_none() {
                return Err(bad(format!("check.fail_on {f:?} is unknown"), "use violation, warn, drift or quarantine"));
            }
        }
        for f in &self.check.formats {
            if !formats().contains(&f.as_str()) {
                return Err(bad(
                    format!("check.formats {f:?} is unknown"),
                    &format!("formats: {}", formats().join(", ")),
                ));
            }
        }
        for w in &self.witness {
            w.validate().map_err(|e| {
                bad(e.to_string(), "[[witness]] is kind = \"file\" with a path, or a sink kind with a url")
            })?;
        }
        for a in &self.alerts {
            a.validate().map_err(|e| bad(e.to_string(), "[[alerts]] needs kind (webhook, slack, splunk) and url"))?;
        }
        self.audit.validate().map_err(|e| bad(e.to_string(), "see [audit] in the README"))?;
        let mut seen = std::collections::HashSet::new();
        for t in &self.tenants {
            crate::snapshot::validate_tenant_name(&t.name).map_err(|why| {
                bad(format!("tenant name {:?} {why}", t.name), "use letters, digits, '.', '_' and '-'")
            })?;
            if t.name.ends_with(".audit") {
                return Err(bad(
                    format!("tenant name {} ends with .audit", t.name),
                    "<tenant>.audit names the tenant's audit stream in the store",
                ));
            }
            if !seen.insert(&t.name) {
                return Err(bad(format!("tenant {} is listed twice", t.name), "one [[tenants]] entry per tenant"));
            }
        }
        Ok(())
    }
}
