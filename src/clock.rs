//! The tool's own time formats: everything driftgate writes is UTC. RFC 3339 with second
//! precision for documents (`2026-11-22T08:00:00Z`), and a compact stamp for names
//! (`20261122T080000Z`: run ids, collection ids, audit batch directories).

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// UTC RFC 3339 with second precision (`2026-11-22T08:00:00Z`).
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t).to_offset(UtcOffset::UTC);
    t.format(&Rfc3339).unwrap_or_default()
}

/// The compact UTC stamp `YYYYMMDDTHHMMSSZ` that names runs, collections and batches.
pub fn stamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Reads a [`stamp`] back.
pub fn parse_stamp(s: &str) -> Option<OffsetDateTime> {
    let f = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(s, &f).ok().map(|p| p.assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_utc_and_round_trip() {
        let t = time::macros::datetime!(2026-11-22 09:00:00.75 +01:00);
        assert_eq!(rfc3339(t), "2026-11-22T08:00:00Z");
        assert_eq!(stamp(t), "20261122T080000Z");
        assert_eq!(parse_stamp(&stamp(t)).map(|p| p.unix_timestamp()), Some(t.unix_timestamp()));
    }
}
