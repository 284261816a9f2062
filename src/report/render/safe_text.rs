//! Untrusted text on its way to a terminal, a CI log or a spreadsheet. Configuration data
//! comes from the platform and anyone with admin rights there can put anything in a user
//! name: an ESC sequence that rewrites the terminal, a line that GitHub Actions runs as a
//! workflow command (`::error …::`, legacy `##[…]`), a bidi override that reorders what a
//! reviewer reads. The text renderers pass their whole output through [`neutralize`]; the
//! CSV renderer also defuses formulas per cell ([`spreadsheet_cell`]).

use std::fmt::Write;

/// Whether `c` must not reach a terminal or log as itself.
fn is_dangerous(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character but the line feed (and, with `keep_crlf`, a CR
/// directly before one) written as a visible `\u{..}` escape, every line that would start
/// (after blanks) with `::` prefixed with `\`, and every `##[` written `##\[`, so that no
/// workflow command, terminal sequence or reordering survives. The renderers themselves
/// write no such thing, so only data is changed.
pub fn neutralize(text: &str, keep_crlf: bool) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        let (body, crlf) = match body.strip_suffix('\r') {
            Some(b) if keep_crlf && line.ends_with('\n') => (b, true),
            _ => (body, false),
        };
        let blanks = body.len() - body.trim_start_matches([' ', '\u{00A0}']).len();
        let mut rest = &body[blanks..];
        out.push_str(&body[..blanks]);
        if rest.starts_with("::") {
            out.push('\\');
        }
        while let Some(i) = rest.find(|c: char| is_dangerous(c) || c == '#') {
            out.push_str(&rest[..i]);
            let c = rest[i..].chars().next().unwrap_or('#');
            if c == '#' {
                if rest[i..].starts_with("##[") {
                    out.push_str("##\\[");
                    rest = &rest[i + 3..];
                } else {
                    out.push('#');
                    rest = &rest[i + 1..];
                }
                continue;
            }
            match c {
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                _ => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
            }
            rest = &rest[i + c.len_utf8()..];
        }
        out.push_str(rest);
        if crlf {
            out.push('\r');
        }
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// A CSV cell that a spreadsheet will not evaluate: one starting with `=`, `+`, `-`, `@`, a
/// tab or a CR is prefixed with `'` (the OWASP recommendation), so it is shown as text.
pub fn spreadsheet_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newline_in_data_cannot_start_a_workflow_command() {
        let out = neutralize("  user alice\n::error file=x::owned\n   ::set-output name=a::b\n", false);
        assert_eq!(out, "  user alice\n\\::error file=x::owned\n   \\::set-output name=a::b\n");
        for line in out.lines() {
            assert!(!line.trim_start().starts_with("::"), "{line}");
        }
    }

    #[test]
    fn legacy_commands_and_terminal_sequences_are_written_visibly() {
        let out = neutralize("name ##[error]x \u{1b}]0;pwned\u{7} \u{202e}txt\tend\r\n", false);
        assert_eq!(out, "name ##\\[error]x \\u{1b}]0;pwned\\u{7} \\u{202e}txt\\tend\\r\n");
        assert_eq!(neutralize("a,b\r\nc\rd\r\n", true), "a,b\r\nc\\rd\r\n");
    }

    #[test]
    fn text_without_danger_is_unchanged() {
        let s = "Controls: 3 PASS\n  FAIL   CC6.1 Logical access — é 😀 ## Findings # 1\n";
        assert_eq!(neutralize(s, false), s);
    }

    #[test]
    fn formula_starts_are_defused() {
        for s in ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(spreadsheet_cell(s).starts_with('\''), "{s}");
        }
        assert_eq!(spreadsheet_cell("plain"), "plain");
    }
}
