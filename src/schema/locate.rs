//! Finding where a JSON Pointer's target sits in a JSON text, for diagnostics.

use miette::SourceSpan;

/// The span of the key named by the last segment of `pointer`, found by walking the
/// pointer's object keys in order through the text. Approximate (it does not parse), but
/// it lands on the right key for the schemas people write; the whole text otherwise.
pub(crate) fn pointer_span(text: &str, pointer: &str) -> SourceSpan {
    let mut at = 0usize;
    let mut found = None;
    for seg in pointer.split('/').skip(1) {
        if seg.parse::<usize>().is_ok() {
            continue;
        }
        let needle = format!("\"{}\"", seg.replace("~1", "/").replace("~0", "~"));
        match text[at..].find(&needle) {
            Some(i) => {
                found = Some((at + i, needle.len()));
                at += i + needle.len();
            }
            None => break,
        }
    }
    match found {
        Some((start, len)) => SourceSpan::new(start.into(), len),
        None => SourceSpan::new(0.into(), text.len().min(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_key() {
        let text = r#"{"properties": {"state": {"type": "strin"}}}"#;
        let span = pointer_span(text, "/properties/state/type");
        assert_eq!(&text[span.offset()..span.offset() + span.len()], "\"type\"");
    }
}
