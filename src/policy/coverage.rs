//! Line coverage counted as OPA (v1) counts it, from regorus's evaluation.
//!
//! OPA's `opa test --coverage` counts, per module, the rows of every rule head (from its
//! first to its last row, the value included when it is written in the head), of every
//! `else` branch (from `else` to its value), of every default rule, and of every body
//! expression (every row it spans, multi-line ones whole, the bodies of comprehensions
//! and `every` included), except `some x` declarations; `some x in xs` counts only when it
//! was evaluated. A head row is covered when the rule produced a value, an expression's
//! rows when it was evaluated.
//!
//! regorus records which lines held an evaluated expression. To tell when a rule
//! produced a value, the coverage run evaluates an instrumented copy of each module in
//! which every value-less head (`allow if {`, `f(x) if {`) is written `:= true`, and every
//! bodiless `else := v` is written `else := v if { true }`: the same rules, whose added
//! expression, on the head's row, is evaluated exactly when the rule or branch produces its
//! value. The one case still inferred is an `else` with both a value and a body, taken as
//! covered when the last expression of its body was evaluated.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Where an instrumented copy of a module inserts text: (byte offset, text), in order.
pub(crate) fn instrumentation(module: &Value, text: &str) -> Vec<(usize, &'static str)> {
    let mut at = Vec::new();
    for rule in rules(module) {
        let Some(spec) = rule.get("Spec") else { continue };
        if let Some((kind, head)) = one(&spec["head"]) {
            if matches!(kind, "Compr" | "Func") && head["assign"].is_null() {
                at.push((offset(&head["span"], "end"), " := true"));
            }
        }
        for body in spec["bodies"].as_array().into_iter().flatten() {
            let bodiless = body["query"]["stmts"].as_array().is_none_or(|s| s.is_empty());
            if body["is_else"] == true && bodiless {
                if let Some(v) = body["assign"].get("value") {
                    at.push((value_end(v, text), " if { true }"));
                }
            }
        }
    }
    at.sort();
    at
}

/// Applies [`instrumentation`] to a module's text.
pub(crate) fn instrument(text: &str, inserts: &[(usize, &str)]) -> String {
    let mut out = String::with_capacity(text.len() + inserts.len() * 12);
    let mut from = 0;
    for (at, what) in inserts {
        let at = (*at).min(text.len());
        out.push_str(&text[from..at]);
        out.push_str(what);
        from = at;
    }
    out.push_str(&text[from..]);
    out
}

/// The rows OPA counts as covered and as not covered in one module, from the AST of its
/// instrumented copy and the lines regorus saw evaluated in it (`hits`).
pub(crate) fn rows(module: &Value, text: &str, hits: &BTreeSet<u32>) -> (BTreeSet<u32>, BTreeSet<u32>) {
    let lines = LineIndex::new(text);
    let mut c = Counter { lines: &lines, hits, covered: BTreeSet::new(), coverable: BTreeSet::new() };
    for rule in rules(module) {
        if let Some(d) = rule.get("Default") {
            let range = c.range(&d["span"]);
            c.count(range, c.any_hit(range));
            continue;
        }
        let Some(spec) = rule.get("Spec") else { continue };
        let bodies: Vec<&Value> = spec["bodies"].as_array().into_iter().flatten().collect();
        if let Some((_, head)) = one(&spec["head"]) {
            let range = c.range(&head["span"]);
            c.count(range, c.any_hit(range));
        }
        for body in &bodies {
            let stmts: Vec<&Value> = body["query"]["stmts"].as_array().into_iter().flatten().collect();
            if body["is_else"] == true {
                // From `else` to the end of its value (or the keyword alone).
                let start = c.lines.row(offset(&body["span"], "start"));
                let end = body["assign"].get("value").map_or(start, |v| c.lines.row(span_end_of(v)));
                let hit = if stmts.is_empty() || c.instrumented_else(body) {
                    c.any_hit((start, end))
                } else {
                    stmts.last().is_some_and(|s| c.stmt_hit(s))
                };
                c.count((start, end), hit);
            }
            c.query(&stmts);
        }
    }
    let not_covered = c.coverable.difference(&c.covered).copied().collect();
    (c.covered, not_covered)
}

struct Counter<'a> {
    lines: &'a LineIndex,
    hits: &'a BTreeSet<u32>,
    covered: BTreeSet<u32>,
    coverable: BTreeSet<u32>,
}

impl Counter<'_> {
    fn range(&self, span: &Value) -> (u32, u32) {
        (
            self.lines.row(offset(span, "start")),
            self.lines.row(offset(span, "end").saturating_sub(1).max(offset(span, "start"))),
        )
    }

    fn any_hit(&self, (a, b): (u32, u32)) -> bool {
        self.hits.range(a..=b).next().is_some()
    }

    fn count(&mut self, (a, b): (u32, u32), hit: bool) {
        let set = if hit { &mut self.covered } else { &mut self.coverable };
        set.extend(a..=b);
    }

    /// Whether the instrumentation added `if { true }` to this else (bodiless, with a
    /// value): its body then holds only that `true`, on the value's last row.
    fn instrumented_else(&self, body: &Value) -> bool {
        let stmts = body["query"]["stmts"].as_array();
        let value_end = body["assign"].get("value").map(|v| self.lines.row(span_end_of(v)));
        matches!(stmts.map(Vec::as_slice), Some([s]) if Some(self.range(&s["span"]).0) == value_end
            && s["literal"]["Expr"]["expr"].get("Bool").is_some())
    }

    fn stmt_hit(&self, stmt: &Value) -> bool {
        self.any_hit(self.range(&stmt["span"]))
    }

    fn query(&mut self, stmts: &[&Value]) {
        for stmt in stmts {
            let literal = &stmt["literal"];
            let range = self.range(&stmt["span"]);
            let hit = self.any_hit(range);
            match one(literal).map(|(k, _)| k) {
                Some("SomeVars") => {}
                // OPA leaves `some x in xs` out of what is not covered, and counts it
                // covered once evaluated.
                Some("SomeIn") => {
                    if hit {
                        self.count(range, true);
                    }
                }
                _ => self.count(range, hit),
            }
            // Nested bodies: `every` and comprehensions anywhere in the expression.
            let mut nested = Vec::new();
            collect_queries(literal, &mut nested);
            for q in nested {
                let inner: Vec<&Value> = q["stmts"].as_array().into_iter().flatten().collect();
                self.query(&inner);
            }
        }
    }
}

/// The queries directly nested in `v` (comprehension and `every` bodies), not deeper.
fn collect_queries<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            for (k, inner) in m {
                if matches!(k.as_str(), "ArrayCompr" | "SetCompr" | "ObjectCompr" | "Every") {
                    if let Some(q) = inner.get("query") {
                        out.push(q);
                    }
                    // Terms of the comprehension outside its body (its head, the domain).
                    for (kk, vv) in inner.as_object().into_iter().flatten() {
                        if kk != "query" {
                            collect_queries(vv, out);
                        }
                    }
                } else {
                    collect_queries(inner, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_queries(i, out)),
        _ => {}
    }
}

fn rules(module: &Value) -> impl Iterator<Item = &Value> {
    module["rules"].as_array().into_iter().flatten()
}

/// The one variant of an externally tagged enum: (tag, content).
fn one(v: &Value) -> Option<(&str, &Value)> {
    v.as_object().filter(|m| m.len() == 1).and_then(|m| m.iter().next()).map(|(k, v)| (k.as_str(), v))
}

fn offset(span: &Value, key: &str) -> usize {
    span[key].as_u64().unwrap_or(0) as usize
}

/// Where an expression's text ends: the largest span end inside it, past the closing quote
/// when it ends in a string (whose span is its contents).
fn value_end(v: &Value, text: &str) -> usize {
    let end = span_end_of(v);
    match text.as_bytes().get(end) {
        Some(b'"' | b'`') => end + 1,
        _ => end,
    }
}

/// The end offset of an expression: the largest span end anywhere inside it.
fn span_end_of(v: &Value) -> usize {
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, inner)| if k == "span" { offset(inner, "end") } else { span_end_of(inner) })
            .max()
            .unwrap_or(0),
        Value::Array(items) => items.iter().map(span_end_of).max().unwrap_or(0),
        _ => 0,
    }
}

/// Byte offset to 1-based row.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn row(&self, offset: usize) -> u32 {
        (self.starts.partition_point(|&s| s <= offset)) as u32
    }
}

/// The module ASTs of an engine (`get_ast_as_json`), by source file name, with their text.
pub(crate) fn modules_of(engine: &regorus::Engine) -> crate::Result<BTreeMap<String, (Value, String)>> {
    let json = engine.get_ast_as_json().map_err(|e| crate::Error::Usage {
        message: format!("coverage: the modules' syntax trees: {e}"),
        help: None,
    })?;
    let list: Vec<Value> = serde_json::from_str(&json).map_err(|e| crate::Error::Usage {
        message: format!("coverage: the modules' syntax trees: {e}"),
        help: None,
    })?;
    Ok(list
        .into_iter()
        .filter_map(|mut p| {
            let file = p["source"]["file"].as_str()?.to_string();
            let text = p["source"]["contents"].as_str()?.to_string();
            Some((file, (p["ast"].take(), text)))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_map_offsets() {
        let li = LineIndex::new("a\nbc\n\nd");
        assert_eq!([li.row(0), li.row(1), li.row(2), li.row(4), li.row(5), li.row(6)], [1, 1, 2, 2, 3, 4]);
    }

    #[test]
    fn instrumentation_keeps_rows_and_meaning() {
        let mut e = regorus::Engine::new();
        let text = "package t\n\nallow if {\n\tinput.a == 1\n}\n\nf(x) := 1 if {\n\tx > 0\n} else := \"two\"\n";
        e.add_policy("t.rego".into(), text.into()).unwrap();
        let mods = modules_of(&e).unwrap();
        let (ast, _) = &mods["t.rego"];
        let inserts = instrumentation(ast, text);
        let out = instrument(text, &inserts);
        assert_eq!(out, "package t\n\nallow := true if {\n\tinput.a == 1\n}\n\nf(x) := 1 if {\n\tx > 0\n} else := \"two\" if { true }\n");
        let mut e2 = regorus::Engine::new();
        e2.add_policy("t.rego".into(), out).unwrap();
        assert_eq!(e2.eval_rule("data.t.allow".into()).unwrap(), regorus::Value::Undefined);
    }
}
