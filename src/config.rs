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
    #[serde(default)]
    pub kind: StoreKind,
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
        StoreConfig { kind: StoreKind::Local, path: None, retention_days: default_retention(), s3: None }
    }
}

/// Where evidence is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// A directory (`path`).
    #[default]
    Local,
    /// An S3 bucket with Object Lock (`[store.s3]`).
    S3,
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
    pub fail_on: Vec<FailOn>,
    /// Rendered formats stored with the package (report.json always is).
    #[serde(default = "default_formats")]
    pub formats: Vec<String>,
    /// Per-rule evaluation limit.
    #[serde(default = "default_timeout")]
    pub policy_timeout_secs: u64,
    /// The key a signed policy bundle tarball must verify with (`--bundle-public-key`).
    #[serde(default)]
    pub bundle_public_key: Option<PathBuf>,
    /// Its JWS algorithm (default RS256).
    #[serde(default)]
    pub bundle_signing_alg: Option<String>,
    /// The scope its signature must carry.
    #[serde(default)]
    pub bundle_scope: Option<String>,
}

impl CheckConfig {
    /// The verification `bundle_public_key` asks for, if any.
    pub fn bundle_verification(&self) -> crate::Result<Option<crate::policy::signing::Verification>> {
        let Some(key) = &self.bundle_public_key else {
            return Ok(None);
        };
        let alg = self.bundle_signing_alg.as_deref().unwrap_or(crate::policy::signing::DEFAULT_ALGORITHM);
        crate::policy::signing::Verification::read(key, alg, self.bundle_scope.as_deref()).map(Some).map_err(
            |message| crate::Error::Usage { message: format!("[check] bundle_public_key: {message}"), help: None },
        )
    }
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            policies: default_policies(),
            baselines: default_baselines(),
            fail_on: Vec::new(),
            formats: default_formats(),
            policy_timeout_secs: default_timeout(),
            bundle_public_key: None,
            bundle_signing_alg: None,
            bundle_scope: None,
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
    /// What collecting the tenant takes: everything its config says, four resource types at
    /// a time, with a progress bar on a terminal.
    pub fn collect_options(&self) -> Result<crate::collect::CollectOptions> {
        Ok(crate::collect::CollectOptions {
            platform: self.platform,
            region: self.region.clone(),
            tenant: self.name.clone(),
            base_url: self.base_url.clone(),
            auth_url: self.auth_url.clone(),
            resources: self.resources.clone(),
            settle_minutes: self.settle_minutes,
            concurrency: 4,
            auth: self.auth()?,
            tenant_id: self.tenant_id.clone(),
            identity_url: self.identity_url.clone(),
            api_version: self.api_version.clone(),
            page_size: self.page_size,
            progress: true,
        })
    }

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
        c.validate(path, &text)?;
        c.resolve(dir);
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
        for w in &mut self.witness {
            if let Some(p) = w.path.as_mut() {
                abs(p);
            }
        }
        abs(&mut self.check.policies);
        if let Some(k) = self.check.bundle_public_key.as_mut() {
            abs(k);
        }
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

    /// Every problem of a parsed config that its types cannot express, each with the key it is
    /// about (a path of table keys and array indexes) and what is wrong.
    fn problems(&self) -> Vec<(Vec<Key>, String)> {
        let mut out = Vec::new();
        let mut problem = |at: Vec<Key>, message: String| out.push((at, message));
        for (i, f) in self.check.formats.iter().enumerate() {
            if !formats().contains(&f.as_str()) {
                problem(
                    key(&["check", "formats"]).idx(i),
                    format!("format {f:?} is unknown (formats: {})", formats().join(", ")),
                );
            }
        }
        for (i, w) in self.witness.iter().enumerate() {
            if let Err(e) = w.validate() {
                problem(key(&["witness"]).idx(i), e.to_string());
            }
        }
        for (i, a) in self.alerts.iter().enumerate() {
            if let Err(e) = a.validate() {
                problem(key(&["alerts"]).idx(i), e.to_string());
            }
        }
        if let Err(e) = self.audit.validate() {
            problem(key(&["audit"]), e.to_string());
        }
        if self.store.kind == StoreKind::S3 && self.store.s3.is_none() {
            problem(key(&["store", "kind"]), "store kind s3 needs a [store.s3] section (bucket, prefix, ...)".into());
        }
        let mut seen = std::collections::HashSet::new();
        for (i, t) in self.tenants.iter().enumerate() {
            let at = || key(&["tenants"]).idx(i).key("name");
            if let Err(why) = crate::snapshot::validate_tenant_name(&t.name) {
                problem(at(), format!("tenant name {:?} {why}", t.name));
            }
            if !seen.insert(&t.name) {
                problem(at(), format!("tenant {} is listed twice (one [[tenants]] entry per tenant)", t.name));
            }
        }
        out
    }

    /// Checks the parsed config and reports every problem at once, each pointing at its key
    /// in the file (secret values blanked).
    fn validate(&self, path: &Path, text: &str) -> Result<()> {
        let problems = self.problems();
        if problems.is_empty() {
            return Ok(());
        }
        let doc = toml::de::DeTable::parse(text).ok();
        let labels = problems
            .iter()
            .map(|(at, message)| {
                let span = doc.as_ref().and_then(|d| span_of(d, at)).unwrap_or(0..0);
                miette::LabeledSpan::new(Some(message.clone()), span.start, span.end - span.start)
            })
            .collect();
        let (shown, _) = crate::input::redact_config_text(text);
        Err(Error::Config {
            path: path.to_path_buf(),
            count: problems.len(),
            summary: problems.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("; "),
            src: std::sync::Arc::new(miette::NamedSource::new(path.display().to_string(), shown)),
            labels,
        })
    }
}

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Name(&'static str),
    Index(usize),
}

fn key(names: &[&'static str]) -> Vec<Key> {
    names.iter().map(|n| Key::Name(n)).collect()
}

trait KeyPath {
    fn idx(self, i: usize) -> Self;
    fn key(self, name: &'static str) -> Self;
}

impl KeyPath for Vec<Key> {
    fn idx(mut self, i: usize) -> Self {
        self.push(Key::Index(i));
        self
    }

    fn key(mut self, name: &'static str) -> Self {
        self.push(Key::Name(name));
        self
    }
}

/// The byte span of the value at `path` in the parsed document (the nearest enclosing one
/// that exists).
fn span_of(doc: &toml::Spanned<toml::de::DeTable<'_>>, path: &[Key]) -> Option<std::ops::Range<usize>> {
    let mut span = doc.span();
    let mut value: Option<&toml::de::DeValue<'_>> = None;
    let mut table = Some(doc.get_ref());
    for step in path {
        let next = match (step, table, value) {
            (Key::Name(n), Some(t), _) => t.get(*n),
            (Key::Index(i), _, Some(toml::de::DeValue::Array(a))) => a.get(*i),
            _ => None,
        };
        let Some(next) = next else { break };
        span = next.span();
        value = Some(next.get_ref());
        table = match next.get_ref() {
            toml::de::DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    Some(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Config> {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("driftgate.toml");
        std::fs::write(&p, text).unwrap();
        Config::load(&p)
    }

    #[test]
    fn every_problem_is_reported_at_once_at_its_key() {
        let text = "[check]\nformats = [\"text\", \"pdf\"]\n\n[[tenants]]\nname = \"acme\"\nplatform = \"genesys-cloud\"\n\n\
                    [[tenants]]\nname = \"acme\"\nplatform = \"nice-cxone\"\n\n[[tenants]]\nname = \"x.audit\"\nplatform = \"nice-cxone\"\n";
        let Err(Error::Config { count, labels, .. }) = load_text(text) else { panic!("not a config error") };
        assert_eq!(count, 3);
        let at = |l: &miette::LabeledSpan| &text[l.offset()..l.offset() + l.len()];
        let spots: Vec<&str> = labels.iter().map(at).collect();
        assert_eq!(spots, ["\"pdf\"", "\"acme\"", "\"x.audit\""]);
    }

    #[test]
    fn kinds_platforms_and_conditions_are_typed() {
        let c = load_text("[store]\nkind = \"s3\"\n[store.s3]\nbucket = \"b\"\n[check]\nfail_on = [\"drift\"]\n[[tenants]]\nname = \"t\"\nplatform = \"nice-cxone\"\n").unwrap();
        assert_eq!(
            (c.store.kind, c.check.fail_on.as_slice(), c.tenants[0].platform),
            (StoreKind::S3, &[FailOn::Drift][..], Platform::NiceCxone)
        );
        for bad in [
            "[store]\nkind = \"ftp\"\n",
            "[check]\nfail_on = [\"never\"]\n",
            "[[tenants]]\nname = \"t\"\nplatform = \"avaya\"\n",
        ] {
            assert!(matches!(load_text(bad), Err(Error::Json { .. })), "{bad}");
        }
    }
}
