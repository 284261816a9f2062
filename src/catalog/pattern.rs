//! Field and path patterns of the catalog.
//!
//! A pattern that starts with '/' is anchored at the item's root: its segments are object
//! keys, and `*` stands for any key or array position. Any other pattern is a field name
//! that matches at every depth, where `*` inside it matches any run of characters.

use std::collections::HashSet;

/// An anchored path pattern such as `/bullseye/rings` or `/properties/*/value`.
#[derive(Debug, Clone)]
pub(crate) struct PathPattern(Vec<String>);

impl PathPattern {
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        let Some(rest) = s.strip_prefix('/') else {
            return Err(format!("path pattern {s:?} must start with '/'"));
        };
        if rest.is_empty() {
            return Err("path pattern '/' names the item itself".into());
        }
        Ok(PathPattern(rest.split('/').map(|seg| seg.replace("~1", "/").replace("~0", "~")).collect()))
    }

    pub(crate) fn matches<S: AsRef<str>>(&self, path: &[S]) -> bool {
        self.0.len() == path.len() && self.0.iter().zip(path).all(|(p, s)| p == "*" || p == s.as_ref())
    }
}

/// Decides whether a field (by its name and where it sits) is volatile, or secret.
#[derive(Debug, Clone, Default)]
pub struct FieldMatcher {
    names: HashSet<String>,
    globs: Vec<String>,
    paths: Vec<PathPattern>,
}

impl FieldMatcher {
    pub(crate) fn new<'a>(patterns: impl IntoIterator<Item = &'a String>) -> Result<Self, String> {
        let mut m = FieldMatcher::default();
        for p in patterns {
            if p.starts_with('/') {
                m.paths.push(PathPattern::parse(p)?);
            } else if p.contains('*') {
                m.globs.push(p.clone());
            } else if p.is_empty() {
                return Err("empty field pattern".into());
            } else {
                m.names.insert(p.clone());
            }
        }
        Ok(m)
    }

    /// Whether nothing can match (lets the normalizer skip work).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.globs.is_empty() && self.paths.is_empty()
    }

    /// Whether field `key` of the object at `parent` (a generic path) matches.
    pub fn matches<S: AsRef<str>>(&self, parent: &[S], key: &str) -> bool {
        if self.names.contains(key) || self.globs.iter().any(|g| glob_match(g, key)) {
            return true;
        }
        self.paths.iter().any(|p| {
            p.0.len() == parent.len() + 1
                && p.0.last().is_some_and(|last| last == "*" || last == key)
                && p.0.iter().zip(parent).all(|(a, b)| a == "*" || a == b.as_ref())
        })
    }
}

/// `*` matches any run of characters (including none); everything else is literal.
fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return pattern == text;
    }
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_shell_stars() {
        assert!(glob_match("*Uri", "selfUri"));
        assert!(!glob_match("*Uri", "selfUrl"));
        assert!(glob_match("a*b*c", "aXXbYc"));
        assert!(!glob_match("a*b*c", "acb"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn anchored_patterns_match_only_at_their_depth() {
        let m = FieldMatcher::new(&["/authorization/unusedRoles".to_string(), "version".to_string()]).unwrap();
        assert!(m.matches(&["authorization"], "unusedRoles"));
        assert!(!m.matches::<&str>(&[], "unusedRoles"));
        assert!(m.matches(&["deep", "*", "x"], "version"));
    }
}
