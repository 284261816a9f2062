//! The period report's formats besides OSCAL: `json` (the source), `markdown`, `csv` (one row
//! per criterion × day and one per exception) and `html` (self-contained, A4; an inline-SVG
//! strip per criterion and a chart of findings per day). Integrity comes first in each.

use super::{PeriodControl, PeriodReport};
use crate::report::render::{neutralize, spreadsheet_cell};
use crate::report::ControlStatus;
use std::fmt::Write;

/// The formats `evidence report --format` accepts.
pub const FORMATS: &[&str] = &["json", "html", "csv", "markdown", "oscal"];

/// The file each format is written to under `--out`.
pub fn file_name(format: &str) -> &'static str {
    match format {
        "json" => "period-report.json",
        "html" => "period-report.html",
        "csv" => "period-report.csv",
        "markdown" => "period-report.md",
        _ => "assessment-results.json",
    }
}

fn word(s: ControlStatus) -> &'static str {
    match s {
        ControlStatus::Pass => "PASS",
        ControlStatus::Fail => "FAIL",
        ControlStatus::Inconclusive => "INCONCLUSIVE",
        ControlStatus::NotTested => "NOT_TESTED",
        ControlStatus::Waived => "WAIVED",
    }
}

/// `json`.
pub fn json(r: &PeriodReport) -> String {
    crate::canonical::to_pretty(&serde_json::to_value(r).unwrap_or_default()) + "\n"
}

fn integrity_lines(r: &PeriodReport) -> Vec<String> {
    let i = &r.integrity;
    let trust = if i.key_pinned { "pinned" } else { "taken from the store, not pinned" };
    let mut out = vec![format!(
        "{}: {} package(s) of {} verified (head {}), public key sha256 {} ({trust})",
        if i.ok { "VERIFIED" } else { "INTEGRITY FAILURE" },
        i.packages_verified,
        r.tenant,
        i.head.map_or("-".into(), |h| h.to_string()),
        i.public_key.as_deref().unwrap_or("none")
    )];
    for p in &i.problems {
        out.push(format!("{} {} {}: {}", p.severity.to_uppercase(), p.code, p.subject, p.detail));
    }
    for e in &i.excluded {
        out.push(format!("EXCLUDED sequence {} ({}): {}", e.sequence, e.manifest, e.reason));
    }
    out
}

fn exception_text(e: &super::Exception) -> String {
    let statuses: Vec<String> = e.statuses.iter().map(|(k, v)| format!("{k} {v}")).collect();
    format!(
        "{} → {} ({} day(s): {}){}{}{}",
        e.start,
        e.end,
        e.days,
        statuses.join(", "),
        if e.rules.is_empty() { String::new() } else { format!("; rules {}", e.rules.join(", ")) },
        if e.resources.is_empty() { String::new() } else { format!("; resources {}", e.resources.join(", ")) },
        match &e.remediated_on {
            Some(d) => format!("; remediated {d}"),
            None => "; not remediated in the period".into(),
        }
    )
}

fn changed_by_text(c: &super::PeriodChange) -> String {
    match c.changed_by.as_ref().and_then(|l| l.first()) {
        Some(e) => format!(
            "{}{} at {} (event {})",
            e.user.name.clone().or_else(|| e.user.id.clone()).unwrap_or_else(|| "no user".into()),
            e.client_id.as_deref().map(|c| format!(" via client {c}")).unwrap_or_default(),
            e.at,
            e.event_id
        ),
        None if c.unattributed => "unattributed".into(),
        None => String::new(),
    }
}

/// `markdown`.
pub fn markdown(r: &PeriodReport) -> String {
    let cell = |s: &str| neutralize(s, false).replace('|', "\\|").replace('\n', " ");
    let mut o = String::new();
    let _ = writeln!(o, "# SOC 2 Type II configuration evidence: {} ({} to {})\n", cell(&r.tenant), r.from, r.to);
    let _ = writeln!(o, "## Integrity\n");
    for l in integrity_lines(r) {
        let _ = writeln!(o, "- {}", cell(&l));
    }
    let runs: usize = r.days.iter().map(|d| d.runs).sum();
    let gaps = r.days.iter().filter(|d| d.runs == 0).count();
    let _ = writeln!(o, "\n{} day(s), {} run(s), {} day(s) without a run.\n", r.days.len(), runs, gaps);
    let _ = writeln!(o, "## Criteria over the period\n");
    let _ = writeln!(o, "| Criterion | Days tested | Pass | Waived | Fail | Inconclusive | No run | Exceptions | Population (min/median/max) |");
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|");
    let (tested, untested): (Vec<&PeriodControl>, Vec<&PeriodControl>) = r.controls.iter().partition(|c| c.tested);
    for c in &tested {
        let p = &c.population;
        let _ = writeln!(
            o,
            "| {} {} | {} | {} | {} | {} | {} | {} | {} | {}/{}/{} |",
            c.id,
            cell(&c.title),
            c.days_tested,
            c.days_pass,
            c.days_waived,
            c.days_fail,
            c.days_inconclusive,
            c.days_no_run,
            c.exceptions.len(),
            p.min.map_or("-".into(), |v| v.to_string()),
            p.median.map_or("-".into(), |v| v.to_string()),
            p.max.map_or("-".into(), |v| v.to_string())
        );
    }
    if !untested.is_empty() {
        let ids: Vec<&str> = untested.iter().map(|c| c.id.as_str()).collect();
        let _ = writeln!(o, "\nNOT_TESTED over the whole period ({}): {}", ids.len(), ids.join(" "));
    }
    let _ = writeln!(o, "\n## Exceptions\n");
    let mut any = false;
    for c in &tested {
        for e in &c.exceptions {
            any = true;
            let _ = writeln!(o, "- **{}**: {}", c.id, cell(&exception_text(e)));
        }
        for w in c.waivers.iter().filter(|w| w.days_expired > 0) {
            any = true;
            let _ = writeln!(
                o,
                "- **{}**: waiver {} for {} {} expired {} and was relied on by a failing finding on {} day(s)",
                c.id,
                cell(&w.ticket),
                cell(&w.rule),
                cell(&w.resource),
                cell(&w.expires),
                w.days_expired
            );
        }
    }
    if !any {
        let _ = writeln!(o, "None.");
    }
    let _ = writeln!(o, "\n## Waivers relied on\n");
    let mut waivers = 0;
    for c in &tested {
        for w in &c.waivers {
            waivers += 1;
            let _ = writeln!(
                o,
                "- {}: {} on {} — owner {}, approved by {}, ticket {}, expires {}; active {} day(s), expired {} day(s) ({} → {})",
                c.id,
                cell(&w.rule),
                cell(&w.resource),
                cell(&w.owner),
                cell(&w.approved_by),
                cell(&w.ticket),
                cell(&w.expires),
                w.days_active,
                w.days_expired,
                w.first_day,
                w.last_day
            );
        }
    }
    if waivers == 0 {
        let _ = writeln!(o, "None.");
    }
    let _ = writeln!(o, "\n## Changes over the period\n");
    if r.changes.is_empty() {
        let _ = writeln!(o, "None.");
    } else {
        let _ = writeln!(o, "| Resource | Change | Path | First seen | Last seen | Status | Changed by |");
        let _ = writeln!(o, "|---|---|---|---|---|---|---|");
        for c in &r.changes {
            let status = match (&c.resolved_on, &c.baseline_commit) {
                (Some(d), Some(commit)) => format!("{} {d} (baseline commit {commit})", c.status),
                (Some(d), None) => format!("{} {d}", c.status),
                _ => c.status.clone(),
            };
            let _ = writeln!(
                o,
                "| {}/{}{} | {:?} | `{}` | {} | {} | {} | {} |",
                cell(&c.resource_type),
                cell(&c.resource_id),
                c.resource_name.as_deref().map(|n| format!(" \"{}\"", cell(n))).unwrap_or_default(),
                c.change,
                cell(if c.path.is_empty() { "(item)" } else { &c.path }),
                c.first_seen,
                c.last_seen,
                cell(&status),
                cell(&changed_by_text(c))
            );
        }
    }
    let a = &r.audit_coverage;
    let _ = writeln!(o, "\n## Audit-log coverage\n\n{}: {} batch(es), {} event(s).", a.stream, a.batches, a.events);
    for [f, t] in &a.covered {
        let _ = writeln!(o, "- collected {f} → {t}");
    }
    for [f, t] in &a.gaps {
        let _ = writeln!(o, "- **gap** {f} → {t}");
    }
    for p in &a.problems {
        let _ = writeln!(o, "- **batch not used** {} sequence {}: {}", p.code, p.sequence, cell(&p.detail));
    }
    o
}

fn csv_field(s: &str) -> String {
    let s = spreadsheet_cell(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

/// `csv`: `row` is `day` (one per criterion × day) or `exception` (one per exception).
pub fn csv(r: &PeriodReport) -> String {
    let header = [
        "row",
        "criterion",
        "title",
        "date",
        "status",
        "runs",
        "start",
        "end",
        "days",
        "statuses",
        "rules",
        "resources",
        "remediated_on",
    ];
    let mut o = header.join(",") + "\r\n";
    let mut row = |cells: &[&str]| {
        let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        o.push_str(&line.join(","));
        o.push_str("\r\n");
    };
    for c in &r.controls {
        for d in &r.days {
            let status = d.controls.get(&c.id).map_or("no run", |s| word(*s));
            row(&["day", &c.id, &c.title, &d.date, status, &d.runs.to_string(), "", "", "", "", "", "", ""]);
        }
    }
    for c in &r.controls {
        for e in &c.exceptions {
            let statuses: Vec<String> = e.statuses.iter().map(|(k, v)| format!("{k}={v}")).collect();
            row(&[
                "exception",
                &c.id,
                &c.title,
                "",
                "",
                "",
                &e.start,
                &e.end,
                &e.days.to_string(),
                &statuses.join(" "),
                &e.rules.join(" "),
                &e.resources.join(" "),
                e.remediated_on.as_deref().unwrap_or(""),
            ]);
        }
    }
    o
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() && c != '\n' => o.push('\u{FFFD}'),
            _ => o.push(c),
        }
    }
    o
}

const STYLE: &str = r#"
:root { --pass:#1a7f37; --fail:#cf222e; --inc:#9a6700; --waived:#6639ba; --nt:#8c959f; --none:#ffffff; --line:#d0d7de; }
* { box-sizing: border-box; }
body { font: 13px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color:#1f2328; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
.integrity { padding: 8px 12px; border-radius: 6px; margin: 12px 0; }
.integrity.ok { background: #dafbe1; } .integrity.bad { background: #ffebe9; }
.integrity.bad strong { color: var(--fail); }
svg.strip { display: block; width: 100%; height: 14px; }
svg.chart { display: block; width: 100%; height: 90px; }
.legend span { display: inline-block; width: 10px; height: 10px; margin: 0 3px 0 10px; border: 1px solid #999; vertical-align: middle; }
.muted { color: #57606a; }
@page { size: A4; margin: 14mm; }
@media print { body { margin: 0; max-width: none; font-size: 10.5px; } h2 { break-after: avoid; } tr { break-inside: avoid; } thead { display: table-header-group; } }
"#;

fn colour(s: Option<ControlStatus>) -> &'static str {
    match s {
        Some(ControlStatus::Pass) => "var(--pass)",
        Some(ControlStatus::Fail) => "var(--fail)",
        Some(ControlStatus::Inconclusive) => "var(--inc)",
        Some(ControlStatus::Waived) => "var(--waived)",
        Some(ControlStatus::NotTested) => "var(--nt)",
        None => "var(--none)",
    }
}

/// One cell a day, coloured by the day's status; a day without a run is white with a border.
fn strip(r: &PeriodReport, c: &PeriodControl) -> String {
    let n = r.days.len().max(1);
    let mut o = format!("<svg class=\"strip\" viewBox=\"0 0 {n} 1\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{} by day\">", esc(&c.id));
    for (i, d) in r.days.iter().enumerate() {
        let s = d.controls.get(&c.id).copied();
        let label = s.map_or("no run", word);
        let _ = write!(
            o,
            "<rect x=\"{i}\" y=\"0\" width=\"1\" height=\"1\" fill=\"{}\" stroke=\"#999\" stroke-width=\"0.02\"><title>{} {label}</title></rect>",
            colour(s),
            d.date
        );
    }
    o.push_str("</svg>");
    o
}

fn chart(r: &PeriodReport) -> String {
    let n = r.days.len().max(1);
    let max = r.days.iter().map(|d| d.findings).max().unwrap_or(0).max(1);
    let mut o = format!("<svg class=\"chart\" viewBox=\"0 0 {n} {max}\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"findings per day\">");
    for (i, d) in r.days.iter().enumerate() {
        if d.runs == 0 {
            let _ = write!(
                o,
                "<rect x=\"{i}\" y=\"0\" width=\"1\" height=\"{max}\" fill=\"#f6f8fa\"><title>{} no run</title></rect>",
                d.date
            );
            continue;
        }
        let h = d.findings;
        let _ = write!(
            o,
            "<rect x=\"{}\" y=\"{}\" width=\"0.8\" height=\"{h}\" fill=\"var(--fail)\"><title>{} {h} finding(s)</title></rect>",
            i as f64 + 0.1,
            max - h,
            d.date
        );
    }
    o.push_str("</svg>");
    o
}

/// `html`.
pub fn html(r: &PeriodReport) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>SOC 2 Type II configuration evidence: {} ({} to {})</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&r.tenant),
        r.from,
        r.to
    );
    let _ = writeln!(
        o,
        "<header><h1>SOC 2 Type II configuration evidence: {}</h1><div class=\"muted\">{} · {} to {} · generated {} by driftgate {}</div></header>",
        esc(&r.tenant),
        esc(r.platform.as_deref().unwrap_or("")),
        r.from,
        r.to,
        r.generated_at,
        env!("CARGO_PKG_VERSION")
    );
    let lines = integrity_lines(r);
    let _ = write!(
        o,
        "<section id=\"integrity\"><h2>Integrity</h2><div class=\"integrity {}\">",
        if r.integrity.ok { "ok" } else { "bad" }
    );
    for (i, l) in lines.iter().enumerate() {
        if i == 0 {
            let _ = write!(o, "<strong>{}</strong>", esc(l));
        } else {
            let _ = write!(o, "<div class=\"mono\">{}</div>", esc(l));
        }
    }
    o.push_str("</div></section>\n");
    let runs: usize = r.days.iter().map(|d| d.runs).sum();
    let _ = writeln!(
        o,
        "<section id=\"period\"><h2>The period</h2><p>{} day(s), {} run(s), {} day(s) without a run.</p><h3>Findings per day</h3>{}",
        r.days.len(),
        runs,
        r.days.iter().filter(|d| d.runs == 0).count(),
        chart(r)
    );
    o.push_str("<p class=\"legend muted\">Each strip below is one cell a day:<span style=\"background:var(--pass)\"></span>PASS<span style=\"background:var(--waived)\"></span>WAIVED<span style=\"background:var(--fail)\"></span>FAIL<span style=\"background:var(--inc)\"></span>INCONCLUSIVE<span style=\"background:var(--nt)\"></span>NOT_TESTED<span style=\"background:#fff\"></span>no run</p></section>\n");
    o.push_str("<section id=\"controls\"><h2>Criteria over the period</h2>\n<table>\n<thead><tr><th>Criterion</th><th>By day</th><th>Tested</th><th>Pass</th><th>Waived</th><th>Fail</th><th>Inconclusive</th><th>No run</th><th>Exceptions</th><th>Population</th></tr></thead>\n<tbody>\n");
    let (tested, untested): (Vec<&PeriodControl>, Vec<&PeriodControl>) = r.controls.iter().partition(|c| c.tested);
    for c in &tested {
        let p = &c.population;
        let _ = writeln!(
            o,
            "<tr id=\"control-{}\"><td><strong>{}</strong> {}</td><td style=\"min-width:220px\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}/{}/{}</td></tr>",
            esc(&c.id),
            esc(&c.id),
            esc(&c.title),
            strip(r, c),
            c.days_tested,
            c.days_pass,
            c.days_waived,
            c.days_fail,
            c.days_inconclusive,
            c.days_no_run,
            c.exceptions.len(),
            p.min.map_or("-".into(), |v| v.to_string()),
            p.median.map_or("-".into(), |v| v.to_string()),
            p.max.map_or("-".into(), |v| v.to_string())
        );
    }
    if !untested.is_empty() {
        let ids: Vec<String> = untested.iter().map(|c| esc(&c.id)).collect();
        let _ = writeln!(
            o,
            "<tr class=\"untested\"><td colspan=\"10\" class=\"muted\">NOT_TESTED over the whole period ({}): {}</td></tr>",
            ids.len(),
            ids.join(" ")
        );
    }
    o.push_str("</tbody>\n</table>\n</section>\n");
    o.push_str("<section id=\"exceptions\"><h2>Exceptions</h2>\n");
    let mut rows = String::new();
    for c in &tested {
        for e in &c.exceptions {
            let _ = writeln!(rows, "<tr><td>{}</td><td>{}</td></tr>", esc(&c.id), esc(&exception_text(e)));
        }
        for w in c.waivers.iter().filter(|w| w.days_expired > 0) {
            let _ = writeln!(
                rows,
                "<tr><td>{}</td><td>waiver {} for {} {} expired {}; relied on by a failing finding on {} day(s)</td></tr>",
                esc(&c.id),
                esc(&w.ticket),
                esc(&w.rule),
                esc(&w.resource),
                esc(&w.expires),
                w.days_expired
            );
        }
    }
    if rows.is_empty() {
        o.push_str("<p>None.</p>\n");
    } else {
        let _ = write!(
            o,
            "<table><thead><tr><th>Criterion</th><th>Episode</th></tr></thead><tbody>\n{rows}</tbody></table>\n"
        );
    }
    o.push_str("</section>\n<section id=\"waivers\"><h2>Waivers relied on</h2>\n");
    let mut rows = String::new();
    for c in &tested {
        for w in &c.waivers {
            let _ = writeln!(
                rows,
                "<tr><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} / {}</td></tr>",
                esc(&c.id),
                esc(&w.rule),
                esc(&w.resource),
                esc(&w.owner),
                esc(&w.approved_by),
                esc(&w.ticket),
                esc(&w.expires),
                w.days_active,
                w.days_expired
            );
        }
    }
    if rows.is_empty() {
        o.push_str("<p>None.</p>\n");
    } else {
        let _ = write!(o, "<table><thead><tr><th>Criterion</th><th>Rule</th><th>Resource</th><th>Owner</th><th>Approved by</th><th>Ticket</th><th>Expires</th><th>Days active / expired</th></tr></thead><tbody>\n{rows}</tbody></table>\n");
    }
    o.push_str("</section>\n<section id=\"changes\"><h2>Changes over the period</h2>\n");
    if r.changes.is_empty() {
        o.push_str("<p>None.</p>\n");
    } else {
        o.push_str("<table><thead><tr><th>Resource</th><th>Change</th><th>Path</th><th>First seen</th><th>Last seen</th><th>Status</th><th>Changed by</th></tr></thead><tbody>\n");
        for c in &r.changes {
            let status = match (&c.resolved_on, &c.baseline_commit) {
                (Some(d), Some(commit)) => format!("{} {d} (baseline commit {commit})", c.status),
                (Some(d), None) => format!("{} {d}", c.status),
                _ => c.status.clone(),
            };
            let _ = writeln!(
                o,
                "<tr><td>{}/<span class=\"mono\">{}</span>{}</td><td>{:?}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.resource_type),
                esc(&c.resource_id),
                c.resource_name.as_deref().map(|n| format!(" \"{}\"", esc(n))).unwrap_or_default(),
                c.change,
                esc(if c.path.is_empty() { "(item)" } else { &c.path }),
                c.first_seen,
                c.last_seen,
                esc(&status),
                esc(&changed_by_text(c))
            );
        }
        o.push_str("</tbody></table>\n");
    }
    let a = &r.audit_coverage;
    let _ = writeln!(
        o,
        "</section>\n<section id=\"audit\"><h2>Audit-log coverage</h2><p>{}: {} batch(es), {} event(s).</p><ul>",
        esc(&a.stream),
        a.batches,
        a.events
    );
    for [f, t] in &a.covered {
        let _ = writeln!(o, "<li>collected {f} → {t}</li>");
    }
    for [f, t] in &a.gaps {
        let _ = writeln!(o, "<li><strong>gap</strong> {f} → {t}</li>");
    }
    for p in &a.problems {
        let _ = writeln!(
            o,
            "<li><strong>batch not used</strong> {} sequence {}: {}</li>",
            p.code,
            p.sequence,
            esc(&p.detail)
        );
    }
    o.push_str("</ul></section>\n</body>\n</html>\n");
    o
}
