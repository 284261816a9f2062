//! Other renderings of a difference: an RFC 6902 JSON Patch and a unified text diff.

use crate::canonical;
use crate::snapshot::Snapshot;

/// The RFC 6902 JSON Patch that turns `old` into `new` (both normalized).
pub fn to_patch(old: &Snapshot, new: &Snapshot) -> json_patch::Patch {
    json_patch::diff(&old.to_value(), &new.to_value())
}

/// A unified diff of the pretty canonical JSON of `old` and `new`, with file labels.
pub fn to_unified_text(old: &Snapshot, new: &Snapshot, old_label: &str, new_label: &str) -> String {
    let (a, b) = (canonical::to_pretty(&old.to_value()), canonical::to_pretty(&new.to_value()));
    similar::TextDiff::from_lines(&a, &b).unified_diff().context_radius(3).header(old_label, new_label).to_string()
}
