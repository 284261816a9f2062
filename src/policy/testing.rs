//! `policy test`: runs a bundle's `test_*` rules like `opa test` (`todo_*` are skipped),
//! with line coverage of the non-test modules counted as OPA counts it (see
//! [`super::coverage`]).

use super::bundle::Bundle;
use super::coverage;
use super::engine::CompiledPolicies;
use crate::error::Result;
use regex::Regex;
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// How one test came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TestStatus {
    /// The rule was true.
    Pass,
    /// The rule was false or undefined.
    Fail,
    /// The rule could not be evaluated.
    Error,
    /// A `todo_` rule.
    Skip,
}

/// One test.
#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    /// `data.<package>.<rule>`.
    pub name: String,
    /// Module path relative to the bundle root.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// Outcome.
    pub status: TestStatus,
    /// The error, for ERROR.
    pub message: Option<String>,
    /// Wall time in microseconds.
    pub micros: u128,
}

/// Line coverage of one module.
#[derive(Debug, Clone, Serialize)]
pub struct FileCoverage {
    /// Module path relative to the bundle root.
    pub path: String,
    /// Rows covered, as OPA counts them.
    pub covered: usize,
    /// Those rows.
    pub covered_lines: Vec<u32>,
    /// Rows OPA counts that were not covered.
    pub not_covered: Vec<u32>,
    /// False when no test evaluated anything in the module.
    pub evaluated: bool,
}

/// Line coverage of the non-test modules.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Lines evaluated.
    pub covered: usize,
    /// Lines that could be evaluated.
    pub total: usize,
    /// `covered / total` in percent (100 when there is nothing to cover).
    pub percent: f64,
    /// Per module.
    pub files: Vec<FileCoverage>,
}

impl Coverage {
    /// Whether coverage reaches `threshold` (a percentage such as `90` or `87.5`), compared
    /// exactly in integers rather than through floating point.
    pub fn meets(&self, threshold: &Threshold) -> bool {
        // covered / total >= num / (100 * den)  <=>  covered * 100 * den >= num * total
        self.total == 0 || (self.covered as u128) * 100 * threshold.den >= threshold.num * self.total as u128
    }
}

/// A coverage threshold in percent, as an exact fraction `num / den`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    num: u128,
    den: u128,
}

impl Threshold {
    /// Parses `90`, `87.5`, `99.99` (0 to 100).
    pub fn parse(s: &str) -> Option<Threshold> {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty()
            || !int.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || frac.len() > 6
        {
            return None;
        }
        let den = 10u128.pow(frac.len() as u32);
        let num = format!("{int}{frac}").parse::<u128>().ok()?;
        (num <= 100 * den).then_some(Threshold { num, den })
    }
}

/// All results.
#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    /// Every test run or skipped, in package then name order.
    pub results: Vec<TestResult>,
    /// Coverage, when asked for.
    pub coverage: Option<Coverage>,
}

impl TestReport {
    /// Count of results with `status`.
    pub fn count(&self, status: TestStatus) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }
}

/// Runs the tests of `bundle` whose full name matches `filter`; with `coverage`, counts
/// line coverage as OPA does (see [`super::coverage`]).
pub fn run_tests(bundle: &Bundle, filter: Option<&Regex>, coverage: bool, timeout: Duration) -> Result<TestReport> {
    let compiled = CompiledPolicies::compile(bundle, &[], true, timeout)?;
    let mut engine = compiled.engine();
    let results = run_all(&mut engine, bundle, filter);
    let coverage = if coverage { Some(coverage_of(bundle, &engine, filter, &results, timeout)?) } else { None };
    Ok(TestReport { results, coverage })
}

fn run_all(engine: &mut regorus::Engine, bundle: &Bundle, filter: Option<&Regex>) -> Vec<TestResult> {
    let mut results = Vec::new();
    for m in bundle.modules.iter().filter(|m| m.is_test) {
        let mut seen = BTreeSet::new();
        for def in &m.info.rules {
            let is_test = def.name.starts_with("test_");
            if !(is_test || def.name.starts_with("todo_")) || !seen.insert(def.name.clone()) {
                continue;
            }
            let name = format!("data.{}.{}", m.info.package, def.name);
            if filter.is_some_and(|f| !f.is_match(&name)) {
                continue;
            }
            let started = Instant::now();
            let (status, message) = if !is_test {
                (TestStatus::Skip, None)
            } else {
                match engine.eval_rule(name.clone()) {
                    Ok(regorus::Value::Bool(true)) => (TestStatus::Pass, None),
                    Ok(_) => (TestStatus::Fail, None),
                    Err(e) => (TestStatus::Error, Some(e.to_string())),
                }
            };
            results.push(TestResult {
                name,
                file: m.path.clone(),
                line: def.line,
                status,
                message,
                micros: started.elapsed().as_micros(),
            });
        }
    }
    results.sort_by(|a, b| a.name.cmp(&b.name));
    results
}

/// Runs the tests again on the instrumented modules with regorus's coverage on, and counts
/// the rows of the non-test modules as OPA does. The instrumented run must give every test
/// the status the plain run gave, or the count is refused.
fn coverage_of(
    bundle: &Bundle,
    engine: &regorus::Engine,
    filter: Option<&Regex>,
    results: &[TestResult],
    timeout: Duration,
) -> Result<Coverage> {
    let originals = coverage::modules_of(engine)?;
    let root = bundle.root.display().to_string();
    let rel = |file: &str| file.strip_prefix(&root).unwrap_or(file).trim_start_matches('/').to_string();
    let mut instrumented = bundle.clone();
    for m in instrumented.modules.iter_mut().filter(|m| !m.is_test) {
        let file = bundle.root.join(&m.path).display().to_string();
        if let Some((ast, text)) = originals.get(&file) {
            m.text = coverage::instrument(text, &coverage::instrumentation(ast, text));
        }
    }
    let compiled = CompiledPolicies::compile(&instrumented, &[], true, timeout)?;
    let mut engine = compiled.engine();
    engine.set_enable_coverage(true);
    let again = run_all(&mut engine, &instrumented, filter);
    for (a, b) in results.iter().zip(&again) {
        if a.status != b.status || a.name != b.name {
            return Err(crate::Error::Usage {
                message: format!(
                    "coverage: {} is {:?} without the coverage instrumentation and {:?} with it, so no count is given",
                    a.name, a.status, b.status
                ),
                help: Some("this is a driftgate bug; run policy test without --coverage".into()),
            });
        }
    }
    let report = engine
        .get_coverage_report()
        .map_err(|e| crate::Error::Usage { message: format!("coverage report: {e}"), help: None })?;
    let hits: std::collections::BTreeMap<String, BTreeSet<u32>> =
        report.files.into_iter().map(|f| (rel(&f.path), f.covered)).collect();
    let asts = coverage::modules_of(&engine)?;
    let mut files = Vec::new();
    for (file, (ast, text)) in &asts {
        let path = rel(file);
        if path.ends_with("_test.rego") {
            continue;
        }
        let none = BTreeSet::new();
        let (covered, not_covered) = coverage::rows(ast, text, hits.get(&path).unwrap_or(&none));
        files.push(FileCoverage {
            path: path.clone(),
            covered: covered.len(),
            covered_lines: covered.into_iter().collect(),
            not_covered: not_covered.into_iter().collect(),
            evaluated: hits.contains_key(&path),
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let covered: usize = files.iter().map(|f| f.covered).sum();
    let total = covered + files.iter().map(|f| f.not_covered.len()).sum::<usize>();
    let percent = if total == 0 { 100.0 } else { covered as f64 * 100.0 / total as f64 };
    Ok(Coverage { covered, total, percent, files })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_compare_exactly() {
        let cov = |covered, total| Coverage { covered, total, percent: 0.0, files: vec![] };
        let t = Threshold::parse("90").unwrap();
        assert!(cov(9, 10).meets(&t));
        assert!(!cov(899, 1000).meets(&t));
        let third = Threshold::parse("33.334").unwrap();
        assert!(!cov(1, 3).meets(&third));
        assert!(cov(1, 3).meets(&Threshold::parse("33.333").unwrap()));
        assert!(Threshold::parse("100.1").is_none());
        assert!(Threshold::parse("abc").is_none());
    }
}
