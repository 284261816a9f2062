//! Compiling a bundle into a warmed regorus engine, and evaluating it.

use super::bundle::Bundle;
use super::source::refused_builtin;
use super::RuleMeta;
use crate::error::{span_at, Error, Result};
use miette::NamedSource;
use regex::Regex;
use serde_json::{Map, Value};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

/// How long one rule may evaluate before it is an error.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A bundle's modules and data loaded into a prepared engine, with its rules.
#[derive(Debug, Clone)]
pub struct CompiledPolicies {
    engine: regorus::Engine,
    rules: Vec<RuleMeta>,
}

/// What one rule returned.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleEvaluation {
    /// Index into [`CompiledPolicies::rules`].
    pub rule: usize,
    /// Its findings, in the engine's (deterministic) order.
    pub findings: Vec<RawFinding>,
}

/// One element a rule produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFinding {
    /// `msg`.
    pub msg: String,
    /// `resource.type`, `resource.id` and `resource.name` when given.
    pub resource: Option<(String, String, Option<String>)>,
    /// `path`: a JSON Pointer inside the resource.
    pub path: Option<String>,
    /// Every other key the rule put in the finding.
    pub details: Map<String, Value>,
}

impl CompiledPolicies {
    /// Compiles the bundle's modules (with its tests when `include_tests`) and loads its
    /// data plus `extra_data` (each merged at the root of `data`, like `opa eval -d`).
    pub fn compile(
        bundle: &Bundle,
        extra_data: &[(PathBuf, Value)],
        include_tests: bool,
        timeout: Duration,
    ) -> Result<Self> {
        let mut engine = regorus::Engine::new();
        engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
            limit: timeout,
            // The clock is read every thousand work units, not every one (it showed in profiles).
            check_interval: NonZeroU32::new(1000).unwrap_or(NonZeroU32::MIN),
        });
        for m in bundle.modules.iter().filter(|m| include_tests || !m.is_test) {
            let path = bundle.root.join(&m.path);
            if let Some((line, name, why)) = refused_builtin(&m.text) {
                return Err(Error::Policy {
                    message: format!("{name} is not allowed in driftgate policies"),
                    span: span_at(&m.text, line, 1),
                    src: NamedSource::new(path.display().to_string(), m.text.clone()),
                    path,
                    help: Some(format!(
                        "{why}; put the data the rule needs into the bundle's data files or --data instead"
                    )),
                });
            }
            engine
                .add_policy(path.display().to_string(), m.text.clone())
                .map_err(|e| compile_error(&path, &m.text, &e))?;
        }
        engine
            .add_data(regorus::Value::from(bundle.data.clone()))
            .map_err(|e| Error::invalid(&bundle.root, format!("bundle data: {e}")))?;
        for (path, v) in extra_data {
            engine
                .add_data(regorus::Value::from(v.clone()))
                .map_err(|e| Error::invalid(path, format!("cannot merge into data: {e}")))?;
        }
        let rules = bundle.rules()?;
        Ok(CompiledPolicies { engine, rules })
    }

    /// The finding-producing rules.
    pub fn rules(&self) -> &[RuleMeta] {
        &self.rules
    }

    /// A copy of the prepared engine (cheap), for callers that query it themselves.
    pub fn engine(&self) -> regorus::Engine {
        self.engine.clone()
    }

    /// The rules that apply to a snapshot of `platform` (`custom.platform`), and their
    /// evaluations against `input` (indexes point into the returned rules). Rules for
    /// other platforms are not evaluated.
    pub fn evaluate_for(
        &self,
        platform: &str,
        input: Value,
        driftgate: Value,
    ) -> Result<(Vec<RuleMeta>, Vec<RuleEvaluation>)> {
        let keep: Vec<usize> = (0..self.rules.len()).filter(|i| self.rules[*i].applies_to(platform)).collect();
        let evaluations = self.evaluate_rules(&keep, input, driftgate)?;
        Ok((keep.iter().map(|i| self.rules[*i].clone()).collect(), evaluations))
    }

    /// Evaluates every rule against `input`, with `driftgate` as `data.driftgate`.
    pub fn evaluate(&self, input: Value, driftgate: Value) -> Result<Vec<RuleEvaluation>> {
        let all: Vec<usize> = (0..self.rules.len()).collect();
        self.evaluate_rules(&all, input, driftgate)
    }

    /// Evaluates the rules at `which`; each evaluation's index is its position in `which`.
    fn evaluate_rules(&self, which: &[usize], input: Value, driftgate: Value) -> Result<Vec<RuleEvaluation>> {
        let mut engine = self.engine.clone();
        let mut data = Map::new();
        data.insert("driftgate".into(), driftgate);
        engine.add_data(regorus::Value::from(Value::Object(data))).map_err(|e| Error::Usage {
            message: format!("cannot add data.driftgate: {e}"),
            help: Some("data.driftgate is reserved for the drift records and run context: rename that key in the bundle's data".into()),
        })?;
        engine.set_input(regorus::Value::from(input));
        let mut out = Vec::with_capacity(which.len());
        for (i, rule) in which.iter().map(|w| &self.rules[*w]).enumerate() {
            let value = engine.eval_rule(rule.path()).map_err(|e| Error::PolicyEval {
                rule: format!("{} ({})", rule.id, rule.path()),
                message: e.to_string(),
            })?;
            let json = serde_json::to_value(&value).unwrap_or(Value::Null);
            let findings = if value == regorus::Value::Undefined { Vec::new() } else { to_findings(json, rule) };
            out.push(RuleEvaluation { rule: i, findings });
        }
        Ok(out)
    }
}

fn to_findings(v: Value, rule: &RuleMeta) -> Vec<RawFinding> {
    let fallback = || rule.title.clone().unwrap_or_else(|| format!("{} fired", rule.path()));
    match v {
        Value::Bool(true) => vec![RawFinding { msg: fallback(), resource: None, path: None, details: Map::new() }],
        Value::Array(items) => items.into_iter().map(|e| element(e, &fallback)).collect(),
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| match v {
                Value::Object(_) => element(v, &fallback),
                _ => element(Value::String(k), &fallback),
            })
            .collect(),
        Value::String(s) => vec![element(Value::String(s), &fallback)],
        _ => Vec::new(),
    }
}

fn element(e: Value, fallback: &dyn Fn() -> String) -> RawFinding {
    match e {
        Value::String(msg) => RawFinding { msg, resource: None, path: None, details: Map::new() },
        Value::Object(mut map) => {
            let msg = match map.remove("msg") {
                Some(Value::String(s)) => s,
                Some(other) => other.to_string(),
                None => fallback(),
            };
            let resource = match map.remove("resource") {
                Some(Value::Object(r)) => {
                    let text = |k: &str| r.get(k).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
                    match (text("type"), text("id")) {
                        (Some(t), Some(id)) => Some((t, id, text("name"))),
                        _ => {
                            map.insert("resource".into(), Value::Object(r));
                            None
                        }
                    }
                }
                Some(other) => {
                    map.insert("resource".into(), other);
                    None
                }
                None => None,
            };
            let path = match map.remove("path") {
                Some(Value::String(p)) => Some(p),
                Some(other) => {
                    map.insert("path".into(), other);
                    None
                }
                None => None,
            };
            RawFinding { msg, resource, path, details: map }
        }
        other => RawFinding { msg: other.to_string(), resource: None, path: None, details: Map::new() },
    }
}

/// Turns a regorus compile error (which embeds `--> file:line:col`) into a located diagnostic.
fn compile_error(path: &std::path::Path, text: &str, e: &dyn std::fmt::Display) -> Error {
    static LOC: OnceLock<Regex> = OnceLock::new();
    let loc = LOC.get_or_init(|| Regex::new(r"--> .*:(\d+):(\d+)").unwrap_or_else(|_| unreachable!()));
    let full = e.to_string();
    let (line, col) =
        loc.captures(&full).and_then(|c| Some((c[1].parse().ok()?, c[2].parse().ok()?))).unwrap_or((1, 1));
    let message = full.lines().last().unwrap_or("").trim().trim_start_matches("error: ").to_string();
    Error::Policy {
        path: path.to_path_buf(),
        message,
        span: span_at(text, line, col),
        src: NamedSource::new(path.display().to_string(), text.to_string()),
        help: Some("policies are Rego v1 (`import rego.v1` is allowed; rules need `if` and `contains`)".into()),
    }
}
