//! The report document (`driftgate.report/v1`), the source of truth every format renders
//! from. Field order here is the order in the JSON; maps are sorted. The keys the design
//! lists are the contract; `gate`, `rules`, `schema_gate` and `waivers` are additions.

use crate::diff::Change;
use crate::policy::{BundleFile, Level, Severity, WaiverStatus};
use crate::schema::{QuarantineRecord, TypeGate};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The value of `format`.
pub const REPORT_FORMAT: &str = "driftgate.report/v1";

/// A check's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`REPORT_FORMAT`].
    pub format: String,
    /// The tool that wrote it.
    pub tool: Tool,
    /// This run.
    pub run: RunInfo,
    /// The snapshot checked.
    pub snapshot: SnapshotInfo,
    /// The baseline compared with; null when there was none (drift not checked).
    pub baseline: Option<BaselineInfo>,
    /// The policy bundle evaluated.
    pub policy_bundle: PolicyBundleInfo,
    /// Counts.
    pub summary: Summary,
    /// The gate's verdict and why.
    pub gate: Gate,
    /// Every criterion of the control catalog, plus any a rule names that it lacks.
    pub controls: Vec<ControlResult>,
    /// Every finding-producing rule and how it came out.
    pub rules: Vec<RuleResult>,
    /// Findings, violations first.
    pub findings: Vec<Finding>,
    /// Drift records.
    pub drift: Vec<Change>,
    /// Quarantined items.
    pub quarantine: Vec<QuarantineRecord>,
    /// Per resource type: what the schema gate did.
    pub schema_gate: BTreeMap<String, TypeGate>,
    /// Every waiver of the bundle and where it stands.
    pub waivers: Vec<WaiverResult>,
    /// What each alert sink did (empty when none was configured).
    #[serde(default)]
    pub alerts: Vec<AlertOutcome>,
    /// The audit archive the drift was attributed from (absent when none was read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<crate::audit::attribution::AttributionSummary>,
}

/// `tool`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// `driftgate`.
    pub name: String,
    /// Crate version.
    pub version: String,
}

/// `run`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Unique per run.
    pub id: String,
    /// UTC, RFC 3339.
    pub started_at: String,
    /// UTC, RFC 3339.
    pub finished_at: String,
}

/// `snapshot`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotInfo {
    /// Tenant.
    pub tenant: String,
    /// Platform.
    pub platform: String,
    /// As the snapshot says.
    pub collected_at: Option<String>,
    /// Configuration digest of the normalized snapshot (platform, tenant, resources): the
    /// same configuration re-collected gives the same value.
    pub sha256: String,
    /// SHA-256 of the snapshot file's bytes as read.
    pub file_sha256: String,
    /// Items per resource type as collected (before the gate).
    pub resources: BTreeMap<String, usize>,
}

/// `baseline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineInfo {
    /// The path, or `git:<rev>:<path>`.
    pub source: String,
    /// SHA-256 of the baseline file's bytes.
    pub sha256: String,
    /// Configuration digest of the baseline, comparable with `snapshot.sha256`.
    pub config_sha256: String,
    /// Git provenance, when the baseline is in a git work tree or was read from git.
    pub git: Option<GitInfo>,
}

/// Where a baseline stands in git.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GitInfo {
    /// The commit the content comes from: the revision given, or the last commit that
    /// changed the file.
    pub commit: Option<String>,
    /// The work-tree file differs from that commit (uncommitted edits: not approved).
    pub modified: bool,
}

/// `policy_bundle`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyBundleInfo {
    /// SHA-256 over the file list (see [`crate::policy::Bundle::sha256`]).
    pub sha256: String,
    /// Every file with its hash.
    pub files: Vec<BundleFile>,
    /// The OPA bundle's `revision`, when the bundle is a tarball whose manifest has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The bundle's verified signature, when it is a signed tarball.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<crate::policy::signing::SignatureInfo>,
}

/// `summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Any drift record.
    pub drift_detected: bool,
    /// A baseline was compared (false: drift unknown, not absent).
    pub drift_checked: bool,
    /// Drift records.
    pub changes: usize,
    /// Violations not covered by an active waiver.
    pub violations: usize,
    /// Warnings.
    pub warnings: usize,
    /// Violations covered by an active waiver.
    pub waived: usize,
    /// Quarantined items.
    pub quarantined: usize,
    /// Controls per status.
    pub controls: ControlCounts,
}

/// Controls per status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ControlCounts {
    /// PASS.
    pub pass: usize,
    /// FAIL.
    pub fail: usize,
    /// INCONCLUSIVE.
    pub inconclusive: usize,
    /// NOT_TESTED.
    pub not_tested: usize,
    /// WAIVED.
    pub waived: usize,
}

/// The gate: whether the check fails the build, and for which conditions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    /// `pass` or `fail`.
    pub result: GateResult,
    /// The conditions that fail it (`violation` always, plus what `--fail-on` added).
    pub fail_on: Vec<FailOn>,
    /// The conditions that were met.
    pub reasons: Vec<String>,
}

/// The gate's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GateResult {
    /// Exit 0.
    Pass,
    /// Exit 1.
    Fail,
}

/// A condition that fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Any unwaived violation (always on).
    Violation,
    /// Any warning.
    Warn,
    /// Any drift record.
    Drift,
    /// Any quarantined item.
    Quarantine,
}

impl FailOn {
    /// Parses a `--fail-on` value.
    pub fn parse(s: &str) -> Option<FailOn> {
        Some(match s {
            "violation" => FailOn::Violation,
            "warn" => FailOn::Warn,
            "drift" => FailOn::Drift,
            "quarantine" => FailOn::Quarantine,
            _ => return None,
        })
    }
}

/// Control status (contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ControlStatus {
    /// Mapped rules evaluated, none failed, nothing they read was quarantined or missing.
    Pass,
    /// A mapped rule found an unwaived violation.
    Fail,
    /// A mapped rule read quarantined or uncollected data, or drift without a baseline.
    Inconclusive,
    /// No rule maps to it.
    NotTested,
    /// Every violation is covered by an active waiver.
    Waived,
}

/// One control (criterion).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlResult {
    /// Criterion id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Category.
    pub category: Option<String>,
    /// Status.
    pub status: ControlStatus,
    /// Ids of the rules mapped to it.
    pub rules: Vec<String>,
    /// Findings of those rules (violations and warnings, waived included).
    pub findings: usize,
    /// Items of each resource type those rules read (accepted by the gate), and `drift`
    /// records when they read drift.
    pub population: BTreeMap<String, usize>,
    /// Why it is INCONCLUSIVE or NOT_TESTED.
    pub reason: Option<String>,
}

/// How one rule came out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleResult {
    /// `custom.id`.
    pub id: String,
    /// `data.<package>.<rule>`.
    pub rule: String,
    /// Title.
    pub title: Option<String>,
    /// What the rule checks (METADATA `description`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How to fix what it finds (`custom.remediation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// Violation or warning rule.
    pub level: Level,
    /// Severity.
    pub severity: Severity,
    /// Criteria.
    pub controls: Vec<String>,
    /// Same vocabulary as controls (NOT_TESTED is not used).
    pub status: ControlStatus,
    /// What it read, as for controls.
    pub population: BTreeMap<String, usize>,
    /// Its findings.
    pub findings: usize,
    /// Why it is INCONCLUSIVE.
    pub reason: Option<String>,
    /// Where it is defined.
    pub source: String,
}

/// One finding (contract: rule, id, level, severity, controls, msg, resource, path, waiver).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// `data.<package>.<rule>`.
    pub rule: String,
    /// The rule's `custom.id`.
    pub id: String,
    /// Violation or warning.
    pub level: Level,
    /// Severity.
    pub severity: Severity,
    /// Criteria.
    pub controls: Vec<String>,
    /// The rule's message.
    pub msg: String,
    /// The resource it is about.
    pub resource: Option<ResourceRef>,
    /// JSON Pointer inside the resource.
    pub path: Option<String>,
    /// The waiver that covers it.
    pub waiver: Option<WaiverRef>,
    /// The rule's title.
    pub title: Option<String>,
    /// The rule's remediation.
    pub remediation: Option<String>,
    /// Stable across runs: rule id, resource and path (and message when there is no resource).
    pub fingerprint: String,
    /// Where the resource (or the field at `path`) is in the stored normalized snapshot.
    pub location: Option<Location>,
    /// Where it is in the file the check was given (the snapshot, or the baseline for a
    /// resource only the baseline has), the file named relative to its repository's root:
    /// what SARIF and GitHub annotations point at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Location>,
    /// Other keys the rule put in the finding.
    pub details: Map<String, Value>,
}

impl Finding {
    /// Where to show the finding: in the file the check was given when it was located there
    /// ([`Finding::source`]), else in the normalized snapshot ([`Finding::location`]).
    pub fn shown_location(&self) -> Option<&Location> {
        self.source.as_ref().or(self.location.as_ref())
    }
}

/// The file name of the normalized snapshot in an evidence package, which locations refer to.
pub use crate::evidence::NORMALIZED_SNAPSHOT_FILE;

/// A place in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// File name (`snapshot.normalized.json`: canonical, pretty-printed; for `source`, the
    /// file as given, relative to its repository's root).
    pub file: String,
    /// 1-based line.
    pub line: usize,
}

/// What one alert sink did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertOutcome {
    /// Sink kind (`webhook`, `slack`, `splunk`).
    pub sink: String,
    /// Where it went (the URL without credentials or query string).
    pub target: String,
    /// `sent`, `failed` or `skipped` (nothing to alert on).
    pub status: String,
    /// HTTP attempts made.
    pub attempts: u32,
    /// Why it failed.
    pub error: Option<String>,
}

/// A resource reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceRef {
    /// Resource type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Identity.
    pub id: String,
    /// Name, looked up in the snapshot when the rule did not give it.
    pub name: Option<String>,
}

/// The waiver on a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverRef {
    /// Active (the finding does not fail) or expired (it fails again).
    pub status: WaiverStatus,
    /// Ticket.
    pub ticket: String,
    /// Owner.
    pub owner: String,
    /// Approver.
    pub approved_by: String,
    /// Expiry.
    pub expires: String,
    /// Reason.
    pub reason: String,
}

/// A waiver of the bundle and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaiverResult {
    /// The waiver.
    #[serde(flatten)]
    pub waiver: crate::policy::Waiver,
    /// Active, expired, or stale (matched nothing).
    pub status: WaiverStatus,
    /// Findings it covers.
    pub matched: usize,
}
