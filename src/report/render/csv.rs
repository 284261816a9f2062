//! `csv`: one row per control × finding (and one per control without findings), for the
//! spreadsheets auditors work in. RFC 4180 quoting.

use super::{finding_state, findings_by_control, status_word, Render};
use crate::report::Report;

/// The CSV renderer.
pub struct Csv;

const HEADER: &[&str] = &[
    "control_id",
    "control_title",
    "control_status",
    "rule_id",
    "state",
    "severity",
    "resource_type",
    "resource_id",
    "resource_name",
    "path",
    "message",
    "waiver_ticket",
    "waiver_expires",
];

/// Quotes a field when it holds a comma, quote or line break (RFC 4180), after defusing a
/// formula start (data must never run in the auditor's spreadsheet).
fn field(s: &str) -> String {
    let s = &*super::spreadsheet_cell(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn row(out: &mut String, cells: &[&str]) {
    let line: Vec<String> = cells.iter().map(|c| field(c)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

impl Render for Csv {
    fn name(&self) -> &'static str {
        "csv"
    }

    fn file_name(&self) -> &'static str {
        "report.csv"
    }

    fn render(&self, r: &Report) -> String {
        let mut o = String::new();
        row(&mut o, HEADER);
        let by_control = findings_by_control(r);
        for c in &r.controls {
            let status = status_word(c.status);
            match by_control.get(c.id.as_str()) {
                None => row(&mut o, &[&c.id, &c.title, status, "", "", "", "", "", "", "", "", "", ""]),
                Some(findings) => {
                    for f in findings {
                        let (rt, rid, rname) = f.resource.as_ref().map_or(("", "", ""), |x| {
                            (x.resource_type.as_str(), x.id.as_str(), x.name.as_deref().unwrap_or(""))
                        });
                        let (ticket, expires) =
                            f.waiver.as_ref().map_or(("", ""), |w| (w.ticket.as_str(), w.expires.as_str()));
                        row(
                            &mut o,
                            &[
                                &c.id,
                                &c.title,
                                status,
                                &f.id,
                                finding_state(f),
                                f.severity.as_str(),
                                rt,
                                rid,
                                rname,
                                f.path.as_deref().unwrap_or(""),
                                &super::message_with_attribution(r, f),
                                ticket,
                                expires,
                            ],
                        );
                    }
                }
            }
        }
        super::neutralize(&o, true)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fields_are_quoted_per_rfc4180() {
        assert_eq!(super::field("plain"), "plain");
        assert_eq!(super::field("a,b"), "\"a,b\"");
        assert_eq!(super::field("say \"hi\"\n"), "\"say \"\"hi\"\"\n\"");
    }
}
