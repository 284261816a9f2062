//! Waivers: approved, time-boxed exceptions for one rule on one resource (or all of a type).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// One waiver from `waivers.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// The rule's `custom.id`.
    pub rule: String,
    /// What it covers.
    pub resource: WaiverScope,
    /// Why the exception is acceptable.
    pub reason: String,
    /// Who owns the exception.
    pub owner: String,
    /// Who approved it.
    pub approved_by: String,
    /// The ticket that records the approval.
    pub ticket: String,
    /// Last day (`YYYY-MM-DD`, through 23:59:59 UTC) or instant (RFC 3339) it holds.
    pub expires: String,
}

/// The resources a waiver covers: one id, or every item of the type with `"*"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverScope {
    /// Resource type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Resource id, or `*`.
    pub id: String,
}

/// Where a waiver stands at evaluation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WaiverStatus {
    /// In force: the findings it covers do not fail the gate.
    Active,
    /// Past its expiry: the findings it covers fail again.
    Expired,
    /// Matched no finding: probably no longer needed.
    Stale,
}

#[derive(Deserialize)]
struct File {
    waivers: Vec<Waiver>,
}

/// Parses a waivers document, checking every field and every expiry date.
pub fn parse(path: &Path, v: &Value) -> Result<Vec<Waiver>> {
    let f: File = serde_json::from_value(v.clone()).map_err(|e| Error::Invalid {
        path: path.to_path_buf(),
        message: format!("not a waivers file: {e}"),
        help: Some(
            "each waiver needs rule, resource {type, id}, reason, owner, approved_by, ticket and expires".into(),
        ),
    })?;
    for (i, w) in f.waivers.iter().enumerate() {
        if expiry(&w.expires).is_none() {
            return Err(Error::Invalid {
                path: path.to_path_buf(),
                message: format!("waivers[{i}].expires {:?} is not a date", w.expires),
                help: Some("use YYYY-MM-DD (valid through that day, UTC) or an RFC 3339 instant".into()),
            });
        }
        for (field, value) in
            [("reason", &w.reason), ("owner", &w.owner), ("approved_by", &w.approved_by), ("ticket", &w.ticket)]
        {
            if value.trim().is_empty() {
                return Err(Error::invalid(path, format!("waivers[{i}].{field} is empty")));
            }
        }
    }
    Ok(f.waivers)
}

/// The instant a waiver stops holding.
pub fn expiry(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let d = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(d.with_hms(23, 59, 59).ok()?.assume_utc())
}

impl Waiver {
    /// Whether it covers a finding of `rule` on `(resource_type, id)`.
    pub fn covers(&self, rule: &str, resource: Option<(&str, &str)>) -> bool {
        self.rule == rule
            && resource.is_some_and(|(t, id)| {
                t == self.resource.resource_type && (self.resource.id == "*" || self.resource.id == id)
            })
    }

    /// Active or expired at `now`.
    pub fn status_at(&self, now: OffsetDateTime) -> WaiverStatus {
        match expiry(&self.expires) {
            Some(t) if now <= t => WaiverStatus::Active,
            _ => WaiverStatus::Expired,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn w(expires: &str) -> Value {
        json!({"waivers": [{"rule": "R1", "resource": {"type": "users", "id": "u1"}, "reason": "r", "owner": "o",
            "approved_by": "a", "ticket": "T-1", "expires": expires}]})
    }

    #[test]
    fn date_expiry_holds_through_the_day() {
        let ws = parse(Path::new("w.json"), &w("2026-11-22")).unwrap();
        let late = OffsetDateTime::parse("2026-11-22T23:00:00Z", &Rfc3339).unwrap();
        let next = OffsetDateTime::parse("2026-11-23T00:00:00Z", &Rfc3339).unwrap();
        assert_eq!(ws[0].status_at(late), WaiverStatus::Active);
        assert_eq!(ws[0].status_at(next), WaiverStatus::Expired);
        assert!(ws[0].covers("R1", Some(("users", "u1"))));
        assert!(!ws[0].covers("R1", Some(("users", "u2"))));
    }

    #[test]
    fn bad_dates_and_missing_fields_are_refused() {
        assert!(parse(Path::new("w.json"), &w("next tuesday")).is_err());
        assert!(parse(Path::new("w.json"), &json!({"waivers": [{"rule": "R1"}]})).is_err());
    }
}
