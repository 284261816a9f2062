//! The byte-for-byte baseline comparison against the whole-baseline diff, on random tenants
//! and random changes: the same drift records and the same configuration digest, always. The
//! baseline is given twice, as `baseline update` writes it (compared item by item) and with its
//! items in another order (parsed and normalized whole).

use driftgate::baseline::{read, BaselineSource, Comparison};
use driftgate::catalog::Catalog;
use driftgate::normalize::{configuration_digest_with_items, normalize};
use driftgate::snapshot::Snapshot;
use proptest::prelude::*;
use serde_json::{json, Value};

/// A small Genesys tenant: users with roles, groups and queues, from a seed.
fn tenant(users: usize, seed: u64) -> Value {
    let mut x = seed;
    let mut next = move |n: u64| {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) % n.max(1)
    };
    let roles: Vec<Value> = (0..6)
        .map(|i| {
            json!({"id": format!("role-{i}"), "name": format!("Role {i}"), "version": next(9),
                        "permissions": (0..1 + next(4)).map(|p| format!("d{i}:e{p}:view")).collect::<Vec<_>>()})
        })
        .collect();
    let users: Vec<Value> = (0..users)
        .map(|i| {
            let state = ["active", "inactive"][next(2) as usize];
            let title = if next(3) == 0 { json!("Agent \"senior\"\ttier") } else { json!(null) };
            json!({"id": format!("u-{i:04}"), "name": format!("User {i}"), "state": state,
                   "version": next(20), "presence": {"presenceDefinition": {"systemPresence": "Available"}},
                   "authorization": {"roles": [{"id": format!("role-{}", next(6))}], "permissions": ["a:b:c"]},
                   "title": title})
        })
        .collect();
    let queues: Vec<Value> = (0..4)
        .map(|i| {
            json!({"id": format!("q-{i}"), "name": format!("Q{i}"), "memberCount": next(50),
                        "routingRules": [{"operator": "MEETS_THRESHOLD", "threshold": next(20)}]})
        })
        .collect();
    json!({"format": "driftgate.snapshot/v1",
           "metadata": {"platform": "genesys-cloud", "tenant": "t", "collected_at": "2026-11-22T00:00:00Z"},
           "resources": {"users": users, "roles": roles, "queues": queues}})
}

/// One change to a tenant.
#[derive(Debug, Clone)]
enum Change {
    Rename(usize),
    Grant(usize),
    Remove(usize),
    Add(usize),
    Noise(usize),
    RemoveType,
    Duplicate(usize),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        any::<usize>().prop_map(Change::Rename),
        any::<usize>().prop_map(Change::Grant),
        any::<usize>().prop_map(Change::Remove),
        any::<usize>().prop_map(Change::Add),
        any::<usize>().prop_map(Change::Noise),
        Just(Change::RemoveType),
        any::<usize>().prop_map(Change::Duplicate),
    ]
}

fn apply(doc: &mut Value, changes: &[Change]) {
    let res = doc["resources"].as_object_mut().unwrap();
    for c in changes {
        let users = res.get_mut("users").and_then(Value::as_array_mut);
        match (c, users) {
            (Change::Rename(i), Some(u)) if !u.is_empty() => {
                let n = u.len();
                u[i % n]["name"] = json!(format!("Renamed {i}"));
            }
            (Change::Grant(i), Some(u)) if !u.is_empty() => {
                let n = u.len();
                if let Some(roles) = u[i % n]["authorization"]["roles"].as_array_mut() {
                    roles.push(json!({"id": "role-9"}));
                }
            }
            (Change::Remove(i), Some(u)) if !u.is_empty() => {
                let n = u.len();
                u.remove(i % n);
            }
            (Change::Add(i), Some(u)) => u.push(json!({"id": format!("new-{i}"), "name": "New", "state": "active",
                                                       "authorization": {"roles": []}})),
            (Change::Noise(i), Some(u)) if !u.is_empty() => {
                let n = u.len();
                u[i % n]["version"] = json!(i % 1000);
                u.reverse();
            }
            (Change::Duplicate(i), Some(u)) if !u.is_empty() => {
                let n = u.len();
                let copy = u[i % n].clone();
                u.push(copy);
            }
            (Change::RemoveType, _) => {
                res.remove("queues");
            }
            _ => {}
        }
    }
}

fn compare(base_text: &str, current: &Value) -> (Vec<driftgate::diff::Change>, String, Comparison) {
    let catalog = Catalog::built_in().unwrap();
    let rules = catalog.platform("genesys-cloud").unwrap();
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("b.json");
    std::fs::write(&p, base_text).unwrap();
    let read = read(&BaselineSource::Path(p)).unwrap();
    let normalized = normalize(serde_json::from_value::<Snapshot>(current.clone()).unwrap(), rules);
    let (_, bytes) = configuration_digest_with_items(&normalized);
    let c = read.compare(&normalized, &normalized, &bytes, rules, &Default::default()).unwrap();
    (c.drift, c.info.config_sha256, c.how)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok())
            .unwrap_or(if std::env::var_os("CI").is_some() { 64 } else { 32 }),
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_byte_comparison_is_the_whole_diff(users in 0usize..40, seed in any::<u64>(),
                                             base_changes in prop::collection::vec(change(), 0..3),
                                             changes in prop::collection::vec(change(), 0..8)) {
        let catalog = Catalog::built_in().unwrap();
        let rules = catalog.platform("genesys-cloud").unwrap();
        let mut base = tenant(users, seed);
        // Baselines hold only what the gate accepts: no identity twice.
        apply(&mut base, &base_changes.iter().filter(|c| !matches!(c, Change::Duplicate(_))).cloned().collect::<Vec<_>>());
        let written = driftgate::baseline::render(&normalize(serde_json::from_value(base.clone()).unwrap(), rules));
        let mut reordered = base.clone();
        for items in reordered["resources"].as_object_mut().unwrap().values_mut() {
            let items = items.as_array_mut().unwrap();
            items.reverse();
            if !items.is_empty() {
                items.rotate_left(1);
            }
        }
        let spelled = serde_json::to_string_pretty(&reordered).unwrap();
        let mut current = base.clone();
        apply(&mut current, &changes);

        let (drift, digest, how) = compare(&written, &current);
        let (drift2, digest2, how2) = compare(&spelled, &current);
        prop_assert_eq!(&drift, &drift2);
        prop_assert_eq!(&digest, &digest2);
        // The whole path is taken for the reordered one whenever its order differs.
        let ids: Vec<&Value> = current["resources"]["users"].as_array().map(|u| u.iter().map(|u| &u["id"]).collect()).unwrap_or_default();
        let duplicated = ids.iter().enumerate().any(|(i, a)| ids[..i].contains(a));
        prop_assert!(duplicated || matches!(how, Comparison::ByBytes { .. }), "{:?}", how);
        if users > 2 {
            prop_assert!(matches!(how2, Comparison::Whole { .. }), "{:?}", how2);
        }
    }
}
