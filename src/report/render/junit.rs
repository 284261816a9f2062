//! `junit`: JUnit XML for CI dashboards. A suite per tested control, a case per rule and
//! resource: failures carry the message; INCONCLUSIVE rules are skipped cases with the reason.

use super::Render;
use crate::policy::{Level, WaiverStatus};
use crate::report::{ControlStatus, Report};
use std::fmt::Write;

/// The JUnit renderer.
pub struct Junit;

fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

enum Case {
    Pass(String),
    Fail(String, String),
    Skip(String, String),
}

impl Render for Junit {
    fn name(&self) -> &'static str {
        "junit"
    }

    fn file_name(&self) -> &'static str {
        "report.junit.xml"
    }

    fn render(&self, r: &Report) -> String {
        let mut suites = String::new();
        let (mut total, mut failed, mut skipped) = (0usize, 0usize, 0usize);
        for ctl in r.controls.iter().filter(|c| c.status != ControlStatus::NotTested) {
            let mut cases = Vec::new();
            for rule in r.rules.iter().filter(|x| ctl.rules.contains(&x.id)) {
                let mine: Vec<_> =
                    r.findings.iter().filter(|f| f.id == rule.id && f.level == Level::Violation).collect();
                if rule.status == ControlStatus::Inconclusive {
                    cases.push(Case::Skip(
                        format!("{} ({})", rule.id, rule.title.as_deref().unwrap_or("")),
                        rule.reason.clone().unwrap_or_default(),
                    ));
                    continue;
                }
                for f in &mine {
                    let res = f.resource.as_ref().map_or("-".to_string(), |x| format!("{}/{}", x.resource_type, x.id));
                    let name = format!("{} {res}", rule.id);
                    if f.waiver.as_ref().is_some_and(|w| w.status == WaiverStatus::Active) {
                        let w = f
                            .waiver
                            .as_ref()
                            .map(|w| format!("waived: {} ({})", w.ticket, w.reason))
                            .unwrap_or_default();
                        cases.push(Case::Skip(name, w));
                    } else {
                        cases.push(Case::Fail(name, super::message_with_attribution(r, f)));
                    }
                }
                if mine.is_empty() {
                    let pop: Vec<String> = rule.population.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    cases.push(Case::Pass(format!("{} ({})", rule.id, pop.join(" "))));
                }
            }
            let f = cases.iter().filter(|c| matches!(c, Case::Fail(..))).count();
            let s = cases.iter().filter(|c| matches!(c, Case::Skip(..))).count();
            total += cases.len();
            failed += f;
            skipped += s;
            let _ = writeln!(
                suites,
                "  <testsuite name=\"{} {}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" skipped=\"{s}\">",
                xml(&ctl.id),
                xml(&ctl.title),
                cases.len()
            );
            for c in cases {
                let class = xml(&format!("soc2.{}", ctl.id));
                match c {
                    Case::Pass(n) => {
                        let _ = writeln!(suites, "    <testcase classname=\"{class}\" name=\"{}\"/>", xml(&n));
                    }
                    Case::Fail(n, msg) => {
                        let _ = writeln!(
                            suites,
                            "    <testcase classname=\"{class}\" name=\"{}\">\n      <failure message=\"{}\" type=\"violation\">{}</failure>\n    </testcase>",
                            xml(&n),
                            xml(&msg),
                            xml(&msg)
                        );
                    }
                    Case::Skip(n, why) => {
                        let _ = writeln!(suites, "    <testcase classname=\"{class}\" name=\"{}\">\n      <skipped message=\"{}\"/>\n    </testcase>", xml(&n), xml(&why));
                    }
                }
            }
            suites.push_str("  </testsuite>\n");
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"driftgate {}\" tests=\"{total}\" failures=\"{failed}\" errors=\"0\" skipped=\"{skipped}\">\n{suites}</testsuites>\n",
            xml(&r.snapshot.tenant)
        )
    }
}
