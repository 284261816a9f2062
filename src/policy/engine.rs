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
                    src: std::sync::Arc::new(NamedSource::new(path.display().to_string(), m.text.clone())),
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
        input: regorus::Value,
        driftgate: Value,
    ) -> Result<(Vec<RuleMeta>, Vec<RuleEvaluation>)> {
        let keep: Vec<usize> = (0..self.rules.len()).filter(|i| self.rules[*i].applies_to(platform)).collect();
        let evaluations = self.evaluate_rules(&keep, input, driftgate)?;
        Ok((keep.iter().map(|i| self.rules[*i].clone()).collect(), evaluations))
    }

    /// Evaluates the rules at `which`; each evaluation's index is its position in `which`.
    fn evaluate_rules(&self, which: &[usize], input: regorus::Value, driftgate: Value) -> Result<Vec<RuleEvaluation>> {
        use rayon::prelude::*;
        let mut engine = self.engine.clone();
        let mut data = Map::new();
        data.insert("driftgate".into(), driftgate);
        engine.add_data(regorus::Value::from(Value::Object(data))).map_err(|e| Error::Usage {
            message: format!("cannot add data.driftgate: {e}"),
            help: Some("data.driftgate is reserved for the drift records and run context: rename that key in the bundle's data".into()),
        })?;
        engine.set_input(input);
        // Adding data.driftgate un-prepares the engine (regorus analyses the modules again
        // before the next evaluation): prepare it once here, so that the copies below share
        // that work instead of each repeating it.
        let _ = engine.eval_bool_query("true".into(), false);
        let debug = std::env::var("DRIFTGATE_LOG").is_ok_and(|v| v.eq_ignore_ascii_case("debug"));
        // Rules are independent of each other: every core evaluates a share of them, each
        // with its own copy of the prepared engine (values are reference-counted, so the
        // copies share the input rather than duplicate it).
        let out = which
            .par_iter()
            // One rule at a time per steal: a few rules do most of the work.
            .with_max_len(1)
            .enumerate()
            .map_init(
                || engine.clone(),
                |engine, (i, w)| {
                    let rule = &self.rules[*w];
                    let t0 = std::time::Instant::now();
                    let value = engine.eval_rule(rule.path()).map_err(|e| Error::PolicyEval {
                        rule: format!("{} ({})", rule.id, rule.path()),
                        message: e.to_string(),
                    })?;
                    if debug {
                        eprintln!("driftgate debug: rule {} took {:.1} ms", rule.id, t0.elapsed().as_secs_f64() * 1e3);
                    }
                    let findings = if value == regorus::Value::Undefined {
                        Vec::new()
                    } else {
                        to_findings(serde_json::to_value(&value).unwrap_or(Value::Null), rule)
                    };
                    Ok(RuleEvaluation { rule: i, findings })
                },
            )
            .collect();
        // The engine holds the last reference to the input: a large tree, freed off the
        // critical path.
        crate::fsutil::drop_later(engine);
        out
    }
}

/// The policy input (`input`) for a snapshot, built straight from it: the same document as
/// its JSON form, without serializing the snapshot into an intermediate JSON tree first.
pub fn input_of(snapshot: &crate::snapshot::Snapshot) -> regorus::Value {
    use rayon::prelude::*;
    use std::collections::BTreeMap;
    let mut keys = Keys::default();
    let mut top: BTreeMap<regorus::Value, regorus::Value> = BTreeMap::new();
    for (k, v) in &snapshot.extra {
        top.insert(k.as_str().into(), to_rego(v, &mut keys));
    }
    top.insert("format".into(), snapshot.format.as_str().into());
    let metadata = serde_json::to_value(&snapshot.metadata).unwrap_or(Value::Null);
    top.insert("metadata".into(), to_rego(&metadata, &mut keys));
    let resources: BTreeMap<regorus::Value, regorus::Value> = snapshot
        .resources
        .iter()
        .map(|(k, items)| {
            let items: Vec<regorus::Value> =
                items.par_iter().map_init(Keys::default, |keys, item| to_rego(item, keys)).collect();
            (k.as_str().into(), regorus::Value::from(items))
        })
        .collect();
    top.insert("resources".into(), regorus::Value::from(resources));
    regorus::Value::from(top)
}

/// Object keys already made into regorus strings: every item of a type repeats the same
/// keys, and a shared reference-counted string is cheaper than a new one per item.
#[derive(Default)]
struct Keys(std::collections::HashMap<Box<str>, regorus::Value>);

impl Keys {
    fn get(&mut self, k: &str) -> regorus::Value {
        if let Some(v) = self.0.get(k) {
            return v.clone();
        }
        let v = regorus::Value::from(k);
        self.0.insert(k.into(), v.clone());
        v
    }
}

/// A JSON value as a regorus value.
fn to_rego(v: &Value, keys: &mut Keys) -> regorus::Value {
    match v {
        Value::Null => regorus::Value::Null,
        Value::Bool(b) => regorus::Value::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => regorus::Value::from(u),
            (None, Some(i), _) => regorus::Value::from(i),
            (None, None, Some(f)) => regorus::Value::from(f),
            _ => regorus::Value::Null,
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(items) => regorus::Value::from(items.iter().map(|i| to_rego(i, keys)).collect::<Vec<_>>()),
        Value::Object(map) => regorus::Value::from(
            map.iter().map(|(k, v)| (keys.get(k), to_rego(v, keys))).collect::<std::collections::BTreeMap<_, _>>(),
        ),
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
        src: std::sync::Arc::new(NamedSource::new(path.display().to_string(), text.to_string())),
        help: Some("policies are Rego v1 (`import rego.v1` is allowed; rules need `if` and `contains`)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_built_straight_from_a_snapshot_is_its_json_form() {
        for example in ["examples/genesys/acme-corp.drifted.json", "examples/nice-cxone/globex-support.drifted.json"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(example);
            let text = std::fs::read_to_string(&path).unwrap();
            let mut s = crate::snapshot::Snapshot::from_json_text(&path, &text).unwrap();
            s.extra.insert("x-extra".into(), serde_json::json!({"n": [1, -2, 2.5, null, true]}));
            assert_eq!(input_of(&s), regorus::Value::from(s.to_value()), "{example}");
        }
    }
}
