//! What driftgate reads from Rego source text itself: the package, the top-level rules and
//! where each is defined, OPA `# METADATA` annotations (regorus never sees comments), and
//! which resource types and driftgate data each rule reads.

use regex::Regex;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// One parsed Rego module.
#[derive(Debug, Clone)]
pub struct ModuleInfo {
    /// Package path, e.g. `soc2.genesys.cc6_1`.
    pub package: String,
    /// Package-scope annotation, if any.
    pub package_annotation: Option<Annotation>,
    /// Top-level rule definitions, in source order.
    pub rules: Vec<RuleDef>,
    /// `import data.x.y [as z]`: alias → package path (`x.y`).
    pub imports: BTreeMap<String, String>,
}

/// One top-level definition of a rule or function.
#[derive(Debug, Clone)]
pub struct RuleDef {
    /// The rule's name.
    pub name: String,
    /// 1-based line of its head.
    pub line: usize,
    /// Its text (head and body), for finding what it reads.
    pub text: String,
    /// Rule-scope annotation directly above it.
    pub annotation: Option<Annotation>,
}

/// An OPA METADATA annotation, the parts driftgate uses.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Annotation {
    /// `rule`, `document`, `package` or `subpackages`.
    #[serde(default)]
    pub scope: Option<String>,
    /// Short title.
    #[serde(default)]
    pub title: Option<String>,
    /// What the rule checks.
    #[serde(default)]
    pub description: Option<String>,
    /// `custom:` keys: `id`, `controls`, `severity`, `remediation`, `reads`, and any other.
    #[serde(default)]
    pub custom: BTreeMap<String, Value>,
    /// 1-based line of the `# METADATA` marker.
    #[serde(skip)]
    pub line: usize,
}

/// A METADATA block that is not valid YAML, or a module without a package.
#[derive(Debug, Clone)]
pub struct SourceError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

fn head_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^(?:default\s+)?([A-Za-z_][A-Za-z0-9_]*)").unwrap_or_else(|_| unreachable!()))
}

/// Parses a module's package, rules and annotations.
pub fn parse_module(text: &str) -> Result<ModuleInfo, SourceError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut package = None;
    let mut package_annotation = None;
    let mut rules: Vec<RuleDef> = Vec::new();
    let mut imports = BTreeMap::new();
    let mut pending: Option<Annotation> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if trimmed.starts_with("# METADATA") && trimmed.trim_end() == "# METADATA" {
            let start = i;
            let mut yaml = String::new();
            i += 1;
            while i < lines.len() && lines[i].trim_start().starts_with('#') {
                let l = lines[i].trim_start();
                let body = l.strip_prefix("# ").or_else(|| l.strip_prefix('#')).unwrap_or("");
                yaml.push_str(body);
                yaml.push('\n');
                i += 1;
            }
            let mut ann: Annotation = yaml_serde::from_str(&yaml).map_err(|e| SourceError {
                line: start + 1,
                message: format!("METADATA block is not valid YAML: {e}"),
            })?;
            ann.line = start + 1;
            if matches!(ann.scope.as_deref(), Some("package") | Some("subpackages")) {
                package_annotation = Some(ann);
            } else {
                pending = Some(ann);
            }
            continue;
        }
        if line.starts_with(char::is_whitespace)
            || trimmed.is_empty()
            || trimmed.starts_with('#')
            || trimmed.starts_with('}')
        {
            i += 1;
            continue;
        }
        if let Some(rest) = line.strip_prefix("package ") {
            package = Some(rest.trim().to_string());
            if let Some(a) = pending.take() {
                package_annotation = Some(a);
            }
        } else if let Some(rest) = line.strip_prefix("import ") {
            pending = None;
            let mut words = rest.split_whitespace();
            if let Some(path) = words.next().and_then(|p| p.strip_prefix("data.")) {
                let alias = match (words.next(), words.next()) {
                    (Some("as"), Some(a)) => a.to_string(),
                    _ => path.rsplit('.').next().unwrap_or(path).to_string(),
                };
                imports.insert(alias, path.to_string());
            }
        } else if let Some(m) = head_re().captures(line) {
            let name = m[1].to_string();
            let end = (i + 1..lines.len())
                .find(|&j| {
                    let l = lines[j];
                    !l.is_empty()
                        && !l.starts_with(char::is_whitespace)
                        && !l.starts_with('}')
                        && !l.starts_with(')')
                        && !l.starts_with(']')
                })
                .unwrap_or(lines.len());
            rules.push(RuleDef { name, line: i + 1, text: lines[i..end].join("\n"), annotation: pending.take() });
        }
        i += 1;
    }
    let package = package.ok_or(SourceError { line: 1, message: "no package declaration".into() })?;
    Ok(ModuleInfo { package, package_annotation, rules, imports })
}

/// Whether a rule name produces findings, and of which level.
pub fn entry_level(name: &str) -> Option<super::Level> {
    if name == "deny" || name.starts_with("deny_") || name.starts_with("violation") {
        Some(super::Level::Violation)
    } else if name.starts_with("warn") {
        Some(super::Level::Warning)
    } else {
        None
    }
}

/// What a rule reads: resource types under `input.resources` and driftgate's data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reads {
    /// Resource types.
    pub resource_types: BTreeSet<String>,
    /// Whether it reads `data.driftgate.drift`.
    pub drift: bool,
    /// Keys of `data.driftgate.run` it reads (`audit`, ...).
    pub run_keys: BTreeSet<String>,
}

/// Every rule and function of a bundle, for following references: package → name → the
/// texts of its definitions; and each package's imports (alias → package).
#[derive(Debug, Default)]
pub struct SymbolTable {
    /// package → rule name → definition texts.
    pub rules: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// package → alias → imported package.
    pub imports: BTreeMap<String, BTreeMap<String, String>>,
}

impl SymbolTable {
    /// Resolves a dotted reference seen in `package` to (package, rule) when it names a rule:
    /// a local rule, `alias.rule` through an import, or `data.<package>.<rule>`.
    fn resolve(&self, package: &str, token: &str) -> Option<(String, String)> {
        let segs: Vec<&str> = token.split('.').collect();
        if let Some(local) = self.rules.get(package) {
            if local.contains_key(segs[0]) {
                return Some((package.to_string(), segs[0].to_string()));
            }
        }
        let path: Vec<&str> = if segs[0] == "data" {
            segs[1..].to_vec()
        } else if let Some(pkg) = self.imports.get(package).and_then(|i| i.get(segs[0])) {
            pkg.split('.').chain(segs[1..].iter().copied()).collect()
        } else {
            return None;
        };
        // The longest prefix that is a package, followed by a rule of it.
        (1..path.len()).rev().find_map(|n| {
            let pkg = path[..n].join(".");
            let rule = path[n];
            self.rules.get(&pkg)?.get(rule)?;
            Some((pkg, rule.to_string()))
        })
    }
}

/// Finds what `text` (in `package`) reads, following references to other rules and
/// functions of the bundle.
pub fn reads_of(package: &str, text: &str, symbols: &SymbolTable) -> Reads {
    static RES: OnceLock<Regex> = OnceLock::new();
    static RUN: OnceLock<Regex> = OnceLock::new();
    static TOKEN: OnceLock<Regex> = OnceLock::new();
    let res = RES.get_or_init(|| {
        Regex::new(r#"input\.resources(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*"([^"]+)"\s*\])"#)
            .unwrap_or_else(|_| unreachable!())
    });
    let run = RUN.get_or_init(|| {
        Regex::new(r"data\.driftgate\.run\.([A-Za-z_][A-Za-z0-9_]*)").unwrap_or_else(|_| unreachable!())
    });
    let token = TOKEN.get_or_init(|| {
        Regex::new(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*").unwrap_or_else(|_| unreachable!())
    });
    let mut reads = Reads::default();
    let mut seen = BTreeSet::new();
    let mut queue = vec![(package.to_string(), text.to_string())];
    while let Some((pkg, t)) = queue.pop() {
        let code = strip_comments(&t);
        for c in res.captures_iter(&code) {
            if let Some(m) = c.get(1).or_else(|| c.get(2)) {
                reads.resource_types.insert(m.as_str().to_string());
            }
        }
        for c in run.captures_iter(&code) {
            reads.run_keys.insert(c[1].to_string());
        }
        if code.contains("data.driftgate.drift") {
            reads.drift = true;
        }
        for m in token.find_iter(&blank_strings(&code)) {
            if let Some((p, name)) = symbols.resolve(&pkg, m.as_str()) {
                if seen.insert((p.clone(), name.clone())) {
                    for def in &symbols.rules[&p][&name] {
                        queue.push((p.clone(), def.clone()));
                    }
                }
            }
        }
    }
    reads
}

/// The text with `#` comments removed (outside strings).
pub fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut escaped = false;
        let mut end = line.len();
        for (i, c) in line.char_indices() {
            match c {
                '\\' if in_str => escaped = !escaped,
                '"' if !escaped => in_str = !in_str,
                '#' if !in_str => {
                    end = i;
                    break;
                }
                _ => escaped = false,
            }
            if c != '\\' {
                escaped = false;
            }
        }
        out.push_str(&line[..end]);
        out.push('\n');
    }
    out
}

/// The text with the contents of string literals replaced by spaces.
fn blank_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_str, mut escaped) = (false, false);
    for c in text.chars() {
        if in_str {
            match (c, escaped) {
                ('\\', false) => escaped = true,
                ('"', false) => {
                    in_str = false;
                    out.push('"');
                    continue;
                }
                _ => escaped = false,
            }
            out.push(if c == '\n' { '\n' } else { ' ' });
        } else {
            in_str = c == '"';
            out.push(c);
        }
    }
    out
}

/// Builtins regorus only stubs or that reach outside the process: a policy calling one is
/// refused at load time, because a stub returns undefined and would turn a check into a
/// silent pass.
pub const REFUSED_BUILTINS: &[(&str, &str)] = &[
    ("http.send", "regorus stubs http.send (it always returns undefined), so a rule using it could never fail"),
    ("net.lookup_ip_addr", "a policy must not depend on DNS: evaluation has to be reproducible from the evidence"),
];

/// The first refused builtin `text` calls, with its 1-based line.
pub fn refused_builtin(text: &str) -> Option<(usize, &'static str, &'static str)> {
    let code = blank_strings(&strip_comments(text));
    for (n, line) in code.lines().enumerate() {
        for (name, why) in REFUSED_BUILTINS {
            if let Some(i) = line.find(name) {
                let before = line[..i].chars().last();
                let after = line[i + name.len()..].trim_start().chars().next();
                if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') && after == Some('(') {
                    return Some((n + 1, name, why));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE: &str = r#"# METADATA
# title: Genesys access controls
# custom:
#   controls: [CC6.1]
package soc2.genesys.access

import rego.v1

# METADATA
# title: MFA is required
# custom:
#   id: GC-CC6.1-01
#   severity: high
deny_mfa contains finding if {
	some s in input.resources.authentication_settings
	not s.multifactorAuthenticationRequired
	finding := {"msg": "MFA off"}
}

admin_roles contains r.id if {
	some r in input.resources["roles"]
	"*" in r.permissions
}

warn_admins contains {"msg": "admin"} if {
	some u in input.resources.users # comment: input.resources.queues
	some r in u.authorization.roles
	r.id in admin_roles
}
"#;

    #[test]
    fn parses_package_rules_and_annotations() {
        let m = parse_module(MODULE).unwrap();
        assert_eq!(m.package, "soc2.genesys.access");
        let pkg = m.package_annotation.unwrap();
        assert_eq!(pkg.custom["controls"], serde_json::json!(["CC6.1"]));
        let names: Vec<_> = m.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, vec!["deny_mfa", "admin_roles", "warn_admins"]);
        let a = m.rules[0].annotation.as_ref().unwrap();
        assert_eq!(a.title.as_deref(), Some("MFA is required"));
        assert_eq!(a.custom["id"], "GC-CC6.1-01");
        assert_eq!(m.rules[0].line, 14);
        assert!(m.rules[1].annotation.is_none());
    }

    fn symbols(modules: &[&ModuleInfo]) -> SymbolTable {
        let mut t = SymbolTable::default();
        for m in modules {
            for r in &m.rules {
                t.rules.entry(m.package.clone()).or_default().entry(r.name.clone()).or_default().push(r.text.clone());
            }
            t.imports.insert(m.package.clone(), m.imports.clone());
        }
        t
    }

    #[test]
    fn reads_follow_helpers_and_ignore_comments() {
        let m = parse_module(MODULE).unwrap();
        let r = reads_of(&m.package, &m.rules[2].text, &symbols(&[&m]));
        assert_eq!(r.resource_types.into_iter().collect::<Vec<_>>(), vec!["roles", "users"]);
    }

    #[test]
    fn reads_follow_imports_and_data_paths_across_packages() {
        let lib = parse_module("package soc2.lib\n\nperms(u) := {p | some r in input.resources.roles; p := r.permissions[_]}\n\nlag := data.driftgate.run.audit.lag\n").unwrap();
        let a = parse_module("package a\n\nimport data.soc2.lib\n\ndeny contains 1 if {\n\tlib.perms(1)\n}\n").unwrap();
        let b = parse_module("package b\n\ndeny contains 1 if {\n\tdata.soc2.lib.lag > 3\n}\n").unwrap();
        let t = symbols(&[&lib, &a, &b]);
        assert_eq!(reads_of("a", &a.rules[0].text, &t).resource_types.into_iter().collect::<Vec<_>>(), vec!["roles"]);
        let rb = reads_of("b", &b.rules[0].text, &t);
        assert!(rb.resource_types.is_empty());
        assert_eq!(rb.run_keys.into_iter().collect::<Vec<_>>(), vec!["audit"]);
    }

    #[test]
    fn http_send_is_refused_but_not_in_comments_or_strings() {
        assert!(refused_builtin("x := http.send({\"url\": \"u\"})").is_some());
        assert!(refused_builtin("# http.send(x)").is_none());
        assert!(refused_builtin("x := \"http.send(\"").is_none());
    }

    #[test]
    fn bad_yaml_in_metadata_is_located() {
        let e = parse_module("package p\n\n# METADATA\n# title: [unclosed\ndeny contains 1 if true\n").unwrap_err();
        assert_eq!(e.line, 3);
    }

    #[test]
    fn entry_levels() {
        assert_eq!(entry_level("deny"), Some(super::super::Level::Violation));
        assert_eq!(entry_level("deny_x"), Some(super::super::Level::Violation));
        assert_eq!(entry_level("violation_y"), Some(super::super::Level::Violation));
        assert_eq!(entry_level("warn_z"), Some(super::super::Level::Warning));
        assert_eq!(entry_level("denylist"), None);
        assert_eq!(entry_level("allow"), None);
    }
}
