//! `run`: the daily job — check → evidence package → store → verify — for one tenant or
//! every tenant of a `driftgate.toml`. Relative paths in the config are relative to the
//! config file; every value a one-off run needs has a flag that overrides it.

use crate::baseline::BaselineSource;
use crate::check::{run_check, BaselineChoice, CheckOptions, CheckRun};
use crate::error::{Error, Result};
use crate::evidence::store::{LocalStore, S3Settings, S3Store, Store};
use crate::evidence::{verify_store, write_package, PackageInput, Signer25519, VerifyOptions, Written};
use crate::report::{renderer, FailOn, GateResult, FORMATS};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    pub platform: String,
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
    /// A tenant with nothing but its name and platform set.
    pub fn named(name: &str, platform: &str) -> TenantConfig {
        TenantConfig {
            name: name.to_string(),
            platform: platform.to_string(),
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
                src: miette::NamedSource::new(path.display().to_string(), shown),
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
            if !FORMATS.contains(&f.as_str()) {
                return Err(bad(
                    format!("check.formats {f:?} is unknown"),
                    &format!("formats: {}", FORMATS.join(", ")),
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

/// What one invocation overrides.
#[derive(Debug, Clone, Default)]
pub struct RunOverrides {
    /// `--snapshot`.
    pub snapshot: Option<PathBuf>,
    /// `--store`: a local directory or `s3://bucket/prefix`.
    pub store: Option<String>,
    /// S3 settings given as flags, applied over the config's `[store.s3]`.
    pub s3: S3Overrides,
    /// `--policies`.
    pub policies: Option<PathBuf>,
    /// `--baseline`.
    pub baseline: Option<String>,
    /// `--signing-key`.
    pub signing_key: Option<PathBuf>,
    /// `--tenant`.
    pub tenant: Option<String>,
    /// `--retention-days`.
    pub retention_days: Option<u32>,
    /// `--alert KIND=URL`, added to the config's sinks.
    pub alerts: Vec<crate::alert::AlertConfig>,
    /// `--witness FILE`, added to the config's witnesses.
    pub witness: Vec<PathBuf>,
}

/// S3 settings from flags.
#[derive(Debug, Clone, Default)]
pub struct S3Overrides {
    /// `--s3-endpoint-url`.
    pub endpoint_url: Option<String>,
    /// `--s3-region`.
    pub region: Option<String>,
    /// `--s3-path-style`.
    pub path_style: bool,
    /// `--s3-lock-mode`.
    pub lock_mode: Option<String>,
    /// `--s3-legal-hold`.
    pub legal_hold: bool,
    /// `--s3-kms-key-id`.
    pub kms_key_id: Option<String>,
}

impl S3Overrides {
    /// Applies the flags to `s`.
    pub fn apply(&self, mut s: S3Settings) -> S3Settings {
        if let Some(u) = &self.endpoint_url {
            s.endpoint_url = Some(u.clone());
        }
        if let Some(r) = &self.region {
            s.region = Some(r.clone());
        }
        s.force_path_style |= self.path_style;
        if let Some(m) = &self.lock_mode {
            s.lock_mode = m.clone();
        }
        s.legal_hold |= self.legal_hold;
        if let Some(k) = &self.kms_key_id {
            s.kms_key_id = Some(k.clone());
        }
        s
    }
}

/// Opens the store a `--store` value or a config names.
pub fn open_store_url(url: &str, base: Option<&S3Settings>, flags: &S3Overrides) -> Result<Box<dyn Store>> {
    if url.starts_with("s3://") {
        let from_url = S3Settings::from_url(url)
            .ok_or_else(|| Error::Usage { message: format!("{url:?} is not s3://bucket/prefix"), help: None })?;
        let settings = match base {
            Some(b) => S3Settings { bucket: from_url.bucket, prefix: from_url.prefix, ..b.clone() },
            None => from_url,
        };
        return Ok(Box::new(S3Store::open(flags.apply(settings))?));
    }
    Ok(Box::new(LocalStore::new(url)))
}

/// One tenant's outcome.
#[derive(Debug)]
pub struct TenantRun {
    /// Tenant.
    pub tenant: String,
    /// The check.
    pub check: CheckRun,
    /// The rendered text report, when `text` is among the formats.
    pub text: Option<String>,
    /// The package.
    pub written: Written,
    /// The store's verdict on the tenant's chain after the write.
    pub verified: crate::evidence::VerifyReport,
}

/// Sends the alerts of a run whose evidence is already stored, records the outcomes in the
/// report, and keeps an operational log of them in the store (`<tenant>/alerts/<run>.json`,
/// outside the evidence chain: the package was sealed before the alerts went out).
fn alert(
    config: &Config,
    o: &RunOverrides,
    store: &dyn Store,
    signer: &Signer25519,
    run: &mut TenantRun,
    retain: &str,
) -> Result<()> {
    let sinks: Vec<_> = config.alerts.iter().chain(&o.alerts).cloned().collect();
    if sinks.is_empty() {
        return Ok(());
    }
    let report = &mut run.check.report;
    report.alerts = crate::alert::send_alerts(report, &sinks);
    let log = json!({
        "run_id": report.run.id,
        "manifest": run.written.manifest_key,
        "sent_at": crate::check::rfc3339(time::OffsetDateTime::now_utc()),
        "alerts": report.alerts,
    });
    let key = format!("{}/alerts/{}.json", run.tenant, report.run.id);
    store.create(&key, &crate::evidence::manifest::signed_record(signer, log), retain)?;
    Ok(())
}

/// Runs the daily job for every selected tenant. A tenant whose job cannot be done stops
/// the run with its error (evidence already written for earlier tenants stays).
pub fn run(config: &Config, o: &RunOverrides) -> Result<Vec<TenantRun>> {
    let store = open_store(config, o)?;
    let key = signing_key(config, o)?;
    let tenants = select_tenants(config, o)?;
    let mut out = Vec::new();
    for t in tenants {
        let mut r = run_tenant(config, o, &t, store.as_ref(), &key)?;
        let retain = crate::check::rfc3339(
            time::OffsetDateTime::now_utc()
                + time::Duration::days(i64::from(o.retention_days.unwrap_or(config.store.retention_days))),
        );
        alert(config, o, store.as_ref(), &key, &mut r, &retain)?;
        out.push(r);
    }
    Ok(out)
}

/// The overall exit code: 2 when a chain failed verification, 1 when a gate failed.
pub fn exit_code(runs: &[TenantRun]) -> u8 {
    if runs.iter().any(|r| !r.verified.ok()) {
        2
    } else if runs.iter().any(|r| r.check.report.gate.result == GateResult::Fail) {
        1
    } else {
        0
    }
}

pub(crate) fn open_store(config: &Config, o: &RunOverrides) -> Result<Box<dyn Store>> {
    if let Some(url) = &o.store {
        return open_store_url(url, config.store.s3.as_ref(), &o.s3);
    }
    match (config.store.kind.as_str(), &config.store.path) {
        ("local", Some(p)) => Ok(Box::new(LocalStore::new(p))),
        ("s3", _) => match &config.store.s3 {
            Some(s3) => Ok(Box::new(S3Store::open(o.s3.apply(s3.clone()))?)),
            None => Err(Error::Usage {
                message: "store.kind is s3 but there is no [store.s3] section".into(),
                help: Some("give bucket (and prefix, lock_mode, ...) under [store.s3]".into()),
            }),
        },
        _ => Err(Error::Usage {
            message: "no evidence store: give --store DIR|s3://bucket/prefix or store.path in the config".into(),
            help: None,
        }),
    }
}

pub(crate) fn signing_key(config: &Config, o: &RunOverrides) -> Result<Signer25519> {
    if let Some(p) = &o.signing_key {
        return Signer25519::from_file(p);
    }
    if let Some(p) = &config.signing.key_file {
        return Signer25519::from_file(p);
    }
    let var = config.signing.key_env.clone().unwrap_or_else(|| "DRIFTGATE_SIGNING_KEY".into());
    if std::env::var_os(&var).is_some() {
        return Signer25519::from_env(&var);
    }
    Err(Error::Usage {
        message: "no signing key: evidence is always signed".into(),
        help: Some(format!(
            "create one with `driftgate evidence keygen --out DIR`, then pass --signing-key DIR/driftgate.key, set signing.key_file, or put the key in ${var}"
        )),
    })
}

fn select_tenants(config: &Config, o: &RunOverrides) -> Result<Vec<TenantConfig>> {
    let mut tenants = config.tenants.clone();
    if let Some(want) = &o.tenant {
        tenants.retain(|t| &t.name == want);
        if tenants.is_empty() && o.snapshot.is_none() {
            return Err(Error::Usage { message: format!("tenant {want} is not in the config"), help: None });
        }
    }
    if let Some(snap) = &o.snapshot {
        // A one-off run of one snapshot: the tenant comes from the snapshot itself.
        let s = crate::snapshot::Snapshot::from_file(snap)?;
        let from_config = tenants.iter().find(|t| t.name == s.metadata.tenant).cloned();
        if tenants.len() > 1 && o.tenant.is_none() {
            return Err(Error::Usage {
                message: "--snapshot with a config of several tenants needs --tenant".into(),
                help: None,
            });
        }
        let mut t = from_config.unwrap_or_else(|| TenantConfig {
            region: s.metadata.region.clone(),
            ..TenantConfig::named(&s.metadata.tenant, &s.metadata.platform)
        });
        t.snapshot = Some(snap.clone());
        return Ok(vec![t]);
    }
    if tenants.is_empty() {
        return Err(Error::Usage {
            message: "no tenants: give --snapshot FILE or [[tenants]] in the config".into(),
            help: None,
        });
    }
    Ok(tenants)
}

/// The API credentials a tenant's config names (default `GENESYS_CLIENT_ID` /
/// `GENESYS_CLIENT_SECRET`).
pub fn tenant_credentials(t: &TenantConfig) -> Result<crate::collect::api::Credentials> {
    use crate::collect::api::Credentials;
    let c = t.credentials.clone().unwrap_or_default();
    match &c.secret_file {
        Some(f) => Credentials::from_file(f),
        None => Credentials::from_env(
            c.client_id_env.as_deref().unwrap_or("GENESYS_CLIENT_ID"),
            c.client_secret_env.as_deref().unwrap_or("GENESYS_CLIENT_SECRET"),
        ),
    }
}

/// How a tenant signs in: Genesys client credentials, or a CXone access key (with the
/// registered application when its variables are named or set).
pub fn tenant_auth(t: &TenantConfig) -> Result<crate::collect::api::Auth> {
    use crate::collect::api::Auth;
    if t.platform != "nice-cxone" {
        return Ok(Auth::ClientCredentials(tenant_credentials(t)?));
    }
    let c = t.credentials.clone().unwrap_or_default();
    if let Some(f) = &c.secret_file {
        return crate::collect::cxone::auth_from_file(f);
    }
    use crate::collect::cxone::{auth_from_env_vars, ACCESS_KEY_VARS, APP_VARS};
    let key_vars = (
        c.access_key_id_env.as_deref().unwrap_or(ACCESS_KEY_VARS.0),
        c.access_key_secret_env.as_deref().unwrap_or(ACCESS_KEY_VARS.1),
    );
    let app_vars =
        (c.client_id_env.as_deref().unwrap_or(APP_VARS.0), c.client_secret_env.as_deref().unwrap_or(APP_VARS.1));
    // Variables the config names for an application must be set; the defaults may be unset.
    auth_from_env_vars(key_vars, app_vars, c.client_id_env.is_some() || c.client_secret_env.is_some())
}

/// Collects a tenant's snapshot from its platform's API, with the credentials its config names.
fn collect_tenant(t: &TenantConfig) -> Result<crate::snapshot::Snapshot> {
    let auth = tenant_auth(t)?;
    eprintln!("driftgate: collecting tenant {} from {}", t.name, t.platform);
    crate::collect::collect(&crate::collect::CollectOptions {
        platform: t.platform.clone(),
        region: t.region.clone(),
        tenant: t.name.clone(),
        base_url: t.base_url.clone(),
        auth_url: t.auth_url.clone(),
        resources: t.resources.clone(),
        settle_minutes: t.settle_minutes,
        concurrency: 4,
        auth,
        tenant_id: t.tenant_id.clone(),
        identity_url: t.identity_url.clone(),
        api_version: t.api_version.clone(),
        page_size: t.page_size,
        progress: true,
    })
}

fn run_tenant(
    config: &Config,
    o: &RunOverrides,
    t: &TenantConfig,
    store: &dyn Store,
    key: &Signer25519,
) -> Result<TenantRun> {
    let (mut opts, source) = match &t.snapshot {
        Some(p) => (CheckOptions::new(p), p.display().to_string()),
        None => {
            let collected = collect_tenant(t)?;
            let source = collected.metadata.extra.get("api_base_url").and_then(Value::as_str).unwrap_or("").to_string();
            let mut opts = CheckOptions::new(format!("<collected from {source}>"));
            opts.collected = Some(collected);
            (opts, source)
        }
    };
    opts.policies = o.policies.clone().unwrap_or_else(|| config.check.policies.clone());
    opts.baseline = match o.baseline.as_ref().or(t.baseline.as_ref()) {
        Some(b) => BaselineChoice::Given(BaselineSource::parse(b)?),
        None => BaselineChoice::Auto(config.check.baselines.clone()),
    };
    opts.fail_on = config.check.fail_on.iter().filter_map(|f| FailOn::parse(f)).collect();
    // The audit stream's checkpoint, for the audit-lag rule (CC7.2).
    if let Some(cp) = crate::audit::read_checkpoint(store, &t.name)? {
        opts.run_context.insert(
            "audit".into(),
            json!({"checkpoint": cp.checkpoint, "last_success": cp.written_at, "stream": crate::audit::stream(&t.name)}),
        );
    }
    opts.policy_timeout = Duration::from_secs(config.check.policy_timeout_secs.max(1));
    let check = run_check(&opts)?;
    let report = &check.report;

    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let raw = check.raw.as_ref().ok_or_else(|| Error::Usage {
        message: "the check kept no raw snapshot for the evidence package".into(),
        help: None,
    })?;
    files.insert("snapshot.raw.json".into(), crate::canonical::to_pretty(&raw.to_value()).into_bytes());
    files.insert(
        "snapshot.normalized.json".into(),
        crate::canonical::to_pretty(&check.normalized.to_value()).into_bytes(),
    );
    let mut text = None;
    let mut formats = vec!["json".to_string()];
    formats.extend(config.check.formats.iter().filter(|f| *f != "json").cloned());
    for f in &formats {
        if let Some(r) = renderer(f) {
            let rendered = r.render(report);
            if f == "text" {
                text = Some(rendered.clone());
            }
            files.insert(r.file_name().to_string(), rendered.into_bytes());
        }
    }
    let mut by_type: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for q in &check.gated.quarantine {
        by_type.entry(&q.resource_type).or_default().push(json!({
            "resource_type": q.resource_type, "resource_id": q.resource_id, "schema": q.schema,
            "errors": q.errors, "item": q.item,
        }));
    }
    for (rtype, records) in by_type {
        files.insert(
            format!("quarantine/{rtype}.json"),
            crate::canonical::to_pretty(&Value::Array(records)).into_bytes(),
        );
    }
    let meta = &check.normalized.metadata;
    let input = PackageInput {
        tenant: report.snapshot.tenant.clone(),
        platform: report.snapshot.platform.clone(),
        run_id: report.run.id.clone(),
        collection_id: meta.collection_id.clone().unwrap_or_else(|| report.run.id.clone()),
        files,
        collector: json!({
            "name": meta.extra.get("collector").and_then(|c| c.get("name")).cloned().unwrap_or(json!("snapshot-file")),
            "version": meta.extra.get("collector").and_then(|c| c.get("version")).cloned().unwrap_or(Value::Null),
            "snapshot": source,
            "collected_at": meta.collected_at,
            "service_account_id": meta.service_account_id,
        }),
        endpoints: meta.extra.get("endpoints").cloned().unwrap_or(json!([])),
        record_counts: report.snapshot.resources.clone(),
        snapshot_sha256: report.snapshot.sha256.clone(),
        policy_bundle_sha256: report.policy_bundle.sha256.clone(),
        baseline_sha256: report.baseline.as_ref().map(|b| b.sha256.clone()),
        retention_days: o.retention_days.unwrap_or(config.store.retention_days),
        object: Default::default(),
        forensic: None,
    };
    let written = write_package(store, key, input, time::OffsetDateTime::now_utc())?;
    crate::evidence::witness::record(&config.witnesses(&o.witness), key, &t.name, &written)?;
    let verified = verify_store(
        store,
        &VerifyOptions { tenant: Some(t.name.clone()), public_key: Some(key.public()), ..Default::default() },
    )?;
    Ok(TenantRun { tenant: t.name.clone(), check, text, written, verified })
}

/// Flags of `driftgate audit pull|status` over the config.
#[derive(Debug, Clone, Default)]
pub struct AuditOverrides {
    /// `--tenant`.
    pub tenant: Option<String>,
    /// `--platform` (a tenant given by flags alone).
    pub platform: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--base-url`.
    pub base_url: Option<String>,
    /// `--auth-url`.
    pub auth_url: Option<String>,
    /// `--credentials-file`.
    pub credentials_file: Option<PathBuf>,
    /// `--store` and the S3 flags.
    pub store: Option<String>,
    /// S3 flags.
    pub s3: S3Overrides,
    /// `--signing-key`.
    pub signing_key: Option<PathBuf>,
    /// `--since`.
    pub since: Option<time::OffsetDateTime>,
    /// `--until`.
    pub until: Option<time::OffsetDateTime>,
    /// `--backfill`.
    pub backfill: bool,
    /// `--witness FILE`, added to the config's witnesses.
    pub witness: Vec<PathBuf>,
}

impl AuditOverrides {
    fn run_overrides(&self) -> RunOverrides {
        RunOverrides {
            store: self.store.clone(),
            s3: self.s3.clone(),
            signing_key: self.signing_key.clone(),
            tenant: self.tenant.clone(),
            ..Default::default()
        }
    }

    /// The tenants to work on: the config's (or the one `--tenant` names), with the flags
    /// applied; or the one the flags describe.
    fn tenants(&self, config: &Config) -> Result<Vec<TenantConfig>> {
        let mut tenants = config.tenants.clone();
        if let Some(want) = &self.tenant {
            tenants.retain(|t| &t.name == want);
            if tenants.is_empty() {
                let platform = self.platform.clone().ok_or_else(|| Error::Usage {
                    message: format!("tenant {want} is not in the config"),
                    help: Some("add it to the config, or describe it with --platform and --region/--base-url".into()),
                })?;
                crate::snapshot::validate_tenant_name(want)
                    .map_err(|why| Error::Usage { message: format!("tenant {want:?} {why}"), help: None })?;
                tenants.push(TenantConfig::named(want, &platform));
            }
        }
        if tenants.is_empty() {
            return Err(Error::Usage {
                message: "no tenant: give --tenant (with --platform) or [[tenants]] in the config".into(),
                help: None,
            });
        }
        for t in &mut tenants {
            if let Some(p) = &self.platform {
                t.platform = p.clone();
            }
            if self.region.is_some() {
                t.region = self.region.clone();
            }
            if self.base_url.is_some() {
                t.base_url = self.base_url.clone();
            }
            if self.auth_url.is_some() {
                t.auth_url = self.auth_url.clone();
            }
            if let Some(f) = &self.credentials_file {
                t.credentials = Some(CredentialsConfig { secret_file: Some(f.clone()), ..Default::default() });
            }
        }
        Ok(tenants)
    }
}

/// Audit pull and forensics read the Genesys audit query API; CXone has no equivalent (its
/// audit trail is per entity or in BI reports, see the API notes).
fn no_audit_api(t: &TenantConfig) -> Error {
    Error::Usage {
        message: format!("tenant {} is on {}, which has no audit query API", t.name, t.platform),
        help: Some("audit pull and forensics collect are available for genesys-cloud tenants".into()),
    }
}

/// `driftgate audit pull`: the audit delta of every selected tenant into the store.
pub fn audit_pull(config: &Config, o: &AuditOverrides) -> Result<Vec<crate::audit::PullOutcome>> {
    let tenants = o.tenants(config)?;
    if let (Some(t), Some(_)) = (tenants.iter().find(|t| t.platform != "genesys-cloud"), &o.tenant) {
        return Err(no_audit_api(t));
    }
    let ro = o.run_overrides();
    let store = open_store(config, &ro)?;
    let key = signing_key(config, &ro)?;
    let masker = config.audit.masker()?;
    let mut out = Vec::new();
    for t in tenants {
        if t.platform != "genesys-cloud" {
            eprintln!("driftgate: skipping tenant {} ({}): it has no audit query API", t.name, t.platform);
            continue;
        }
        let api = crate::collect::connect(
            t.region.as_deref(),
            t.base_url.as_deref(),
            t.auth_url.as_deref(),
            tenant_credentials(&t)?,
        )?;
        let opts = crate::audit::PullOptions {
            tenant: t.name.clone(),
            platform: t.platform.clone(),
            since: o.since,
            until: o.until,
            backfill: o.backfill,
            config: config.audit.clone(),
            retention_days: config.store.retention_days,
            polling: Default::default(),
            alerts: config.alerts.clone(),
            witness: config.witnesses(&o.witness),
        };
        out.push(crate::audit::pull(&api, store.as_ref(), &key, &masker, &opts, time::OffsetDateTime::now_utc())?);
    }
    Ok(out)
}

/// `driftgate audit status`: every selected tenant's audit stream, or every stream in the
/// store when the config names no tenant.
pub fn audit_status(config: &Config, o: &AuditOverrides) -> Result<Vec<crate::audit::StreamStatus>> {
    let store = open_store(config, &o.run_overrides())?;
    let names: Vec<String> = match (&o.tenant, config.tenants.is_empty()) {
        (Some(t), _) => {
            if let Some(c) = config.tenants.iter().find(|c| &c.name == t && c.platform != "genesys-cloud") {
                return Err(no_audit_api(c));
            }
            vec![t.clone()]
        }
        // Tenants on a platform without an audit query API have no audit stream to report on.
        (None, false) => {
            config.tenants.iter().filter(|t| t.platform == "genesys-cloud").map(|t| t.name.clone()).collect()
        }
        (None, true) => {
            let mut n: Vec<String> = store
                .list("")?
                .iter()
                .filter_map(|k| k.split_once('/').map(|(t, _)| t.to_string()))
                .filter_map(|t| t.strip_suffix(".audit").map(str::to_string))
                .collect();
            n.dedup();
            n
        }
    };
    let now = time::OffsetDateTime::now_utc();
    names.iter().map(|t| crate::audit::status(store.as_ref(), t, &config.audit, now)).collect()
}

/// What `driftgate forensics collect` asks for, beyond the tenant and the store.
#[derive(Debug, Clone)]
pub struct IncidentRequest {
    /// Incident id.
    pub incident: String,
    /// The subject's user id.
    pub subject: String,
    /// An OAuth client involved.
    pub client: Option<String>,
    /// An address involved.
    pub ip: Option<String>,
    /// Window start.
    pub from: time::OffsetDateTime,
    /// Window end.
    pub to: time::OffsetDateTime,
    /// `age` recipients.
    pub recipients: Vec<String>,
    /// Apply the audit masking to the audit artifacts.
    pub mask: bool,
    /// Who collects.
    pub collected_by: String,
}

/// `driftgate forensics collect`: one incident package for one tenant.
pub fn forensics_collect(
    config: &Config,
    o: &AuditOverrides,
    req: &IncidentRequest,
) -> Result<crate::forensics::ForensicOutcome> {
    let tenants = o.tenants(config)?;
    let [t] = tenants.as_slice() else {
        return Err(Error::Usage {
            message: "forensic collection is for one tenant: give --tenant".into(),
            help: None,
        });
    };
    if t.platform != "genesys-cloud" {
        return Err(no_audit_api(t));
    }
    crate::forensics::parse_recipients(&req.recipients)?;
    let ro = o.run_overrides();
    let store = open_store(config, &ro)?;
    let key = signing_key(config, &ro)?;
    let masker = if req.mask { Some(config.audit.masker()?) } else { None };
    let credentials = tenant_credentials(t)?;
    let api = crate::collect::connect(
        t.region.as_deref(),
        t.base_url.as_deref(),
        t.auth_url.as_deref(),
        credentials.clone(),
    )?;
    let snapshot_from = crate::collect::CollectOptions {
        platform: t.platform.clone(),
        region: t.region.clone(),
        tenant: t.name.clone(),
        base_url: t.base_url.clone(),
        auth_url: t.auth_url.clone(),
        resources: Vec::new(),
        settle_minutes: None,
        concurrency: 4,
        auth: crate::collect::api::Auth::ClientCredentials(credentials),
        tenant_id: None,
        identity_url: None,
        api_version: None,
        page_size: None,
        progress: false,
    };
    let opts = crate::forensics::ForensicOptions {
        tenant: t.name.clone(),
        platform: t.platform.clone(),
        incident: req.incident.clone(),
        subject: req.subject.clone(),
        client: req.client.clone(),
        ip: req.ip.clone(),
        from: req.from,
        to: req.to,
        recipients: req.recipients.clone(),
        collected_by: req.collected_by.clone(),
        retention_days: config.store.retention_days,
        interval_hours: config.audit.interval_hours,
        polling: Default::default(),
        witness: config.witnesses(&o.witness),
    };
    crate::forensics::collect_incident(
        &api,
        &snapshot_from,
        store.as_ref(),
        &key,
        masker.as_ref(),
        &opts,
        time::OffsetDateTime::now_utc(),
    )
}
