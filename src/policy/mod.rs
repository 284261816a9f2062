//! Policies: the fifth stage. Rego (v1) evaluated in-process with regorus.
//!
//! A bundle is a directory in OPA's layout: `*.rego` modules (`*_test.rego` hold tests),
//! JSON data files merged into `data` under their directory's path, a control catalog
//! (`controls.json`) and waivers (`waivers.json`). Rules named `deny`, `deny_*` or
//! `violation*` produce violations and `warn*` warnings; their OPA `# METADATA` maps them to
//! SOC 2 criteria. The driftgate data (`data.driftgate.drift`, `data.driftgate.run`) is
//! added per evaluation. Evaluation is fail-closed: an error or a timeout is an error,
//! never a pass.

mod bundle;
mod controls;
mod coverage;
pub mod doc;
mod engine;
pub mod lint;
pub mod signing;
pub mod source;
pub mod testing;
mod waivers;

pub use bundle::{Bundle, BundleFile, RegoModule};
pub use controls::{Control, ControlCatalog};
pub use engine::{input_of, CompiledPolicies, RawFinding, RuleEvaluation, DEFAULT_TIMEOUT};
pub use waivers::{Waiver, WaiverStatus};

use serde::{Deserialize, Serialize};
use source::Reads;
use std::path::PathBuf;

/// Whether a finding fails the gate or only warns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// From `deny*`/`violation*` rules.
    Violation,
    /// From `warn*` rules.
    Warning,
}

/// How bad a finding is, from `custom.severity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Critical.
    Critical,
    /// High.
    High,
    /// Medium.
    Medium,
    /// Low.
    Low,
    /// Informational.
    Info,
}

impl Severity {
    /// Parses a `custom.severity` value.
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "critical" => Severity::Critical,
            "high" => Severity::High,
            "medium" => Severity::Medium,
            "low" => Severity::Low,
            "info" => Severity::Info,
            _ => return None,
        })
    }

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

/// A finding-producing rule and what its METADATA says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleMeta {
    /// `custom.id`, or `<package>.<rule>` when the rule has none.
    pub id: String,
    /// Rego package.
    pub package: String,
    /// Rule name.
    pub rule: String,
    /// Violation or warning.
    pub level: Level,
    /// `title`.
    pub title: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `custom.severity` (medium for violations and low for warnings when absent).
    pub severity: Severity,
    /// `custom.severity` as written, when it is not a known level (lint reports it).
    pub unknown_severity: Option<String>,
    /// Whether `custom.severity` was given at all.
    pub has_severity: bool,
    /// `custom.controls`.
    pub controls: Vec<String>,
    /// `custom.remediation`.
    pub remediation: Option<String>,
    /// Module path, relative to the bundle root.
    pub file: PathBuf,
    /// 1-based line of the first definition.
    pub line: usize,
    /// Whether any METADATA applies (rule or package scope).
    pub has_metadata: bool,
    /// Whether `custom.id` was given.
    pub has_id: bool,
    /// What it reads (from `custom.reads` when given, else from the source).
    pub reads: Reads,
    /// `custom.platform` (rule or package scope): the platforms the rule is about; empty
    /// for a rule about any snapshot. A rule for another platform is not evaluated.
    pub platforms: Vec<String>,
}

impl RuleMeta {
    /// Whether the rule applies to a snapshot of `platform`.
    pub fn applies_to(&self, platform: &str) -> bool {
        self.platforms.is_empty() || self.platforms.iter().any(|p| p == platform)
    }

    /// `data.<package>.<rule>`.
    pub fn path(&self) -> String {
        format!("data.{}.{}", self.package, self.rule)
    }
}
