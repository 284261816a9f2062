use super::*;
use crate::catalog::Catalog;
use crate::normalize::normalize;
use serde_json::json;

fn snap(resources: Value) -> Snapshot {
    let s: Snapshot = serde_json::from_value(json!({
        "format": "driftgate.snapshot/v1",
        "metadata": {"platform": "genesys-cloud", "tenant": "t"},
        "resources": resources
    }))
    .unwrap();
    let c = Catalog::built_in().unwrap();
    normalize(s, c.platform("genesys-cloud").unwrap())
}

fn changes(a: Value, b: Value) -> Vec<Change> {
    let c = Catalog::built_in().unwrap();
    diff(&snap(a), &snap(b), c.platform("genesys-cloud").unwrap(), &Exclusions::new())
}

#[test]
fn volatile_noise_and_reordered_sets_are_not_drift() {
    let a = json!({"roles": [
        {"id": "r1", "name": "A", "permissions": ["x", "y"], "version": 1, "userCount": 3},
        {"id": "r2", "name": "B", "permissions": []}
    ]});
    let b = json!({"roles": [
        {"id": "r2", "name": "B", "permissions": [], "selfUri": "/r2"},
        {"id": "r1", "name": "A", "permissions": ["y", "x"], "version": 7, "userCount": 9}
    ]});
    assert!(changes(a, b).is_empty());
}

#[test]
fn whole_items_added_and_removed_are_one_record_each() {
    let c = changes(json!({"users": [{"id": "u1", "name": "Old"}]}), json!({"users": [{"id": "u2", "name": "New"}]}));
    assert_eq!(c.len(), 2);
    assert_eq!((c[0].resource_id.as_str(), c[0].change, c[0].path.as_str()), ("u1", ChangeKind::Removed, ""));
    assert_eq!(c[0].resource_name.as_deref(), Some("Old"));
    assert_eq!((c[1].resource_id.as_str(), c[1].change), ("u2", ChangeKind::Added));
}

#[test]
fn field_changes_are_one_record_per_leaf() {
    let c = changes(
        json!({"authentication_settings": [{"multifactorAuthenticationRequired": true, "passwordRequirements": {"minimumLength": 12, "expirationDays": 90}}]}),
        json!({"authentication_settings": [{"multifactorAuthenticationRequired": false, "passwordRequirements": {"minimumLength": 8, "expirationDays": 90}}]}),
    );
    let paths: Vec<_> = c.iter().map(|c| (c.path.as_str(), c.change)).collect();
    assert_eq!(
        paths,
        vec![
            ("/multifactorAuthenticationRequired", ChangeKind::Modified),
            ("/passwordRequirements/minimumLength", ChangeKind::Modified)
        ]
    );
    assert_eq!(c[0].resource_id, "authentication_settings");
    assert_eq!((c[1].before.clone(), c[1].after.clone()), (Some(json!(12)), Some(json!(8))));
}

#[test]
fn map_members_are_matched_by_key_not_position() {
    let c = changes(
        json!({"users": [{"id": "u1", "authorization": {"roles": [{"id": "r1", "name": "A"}, {"id": "r2", "name": "B"}]}}]}),
        json!({"users": [{"id": "u1", "authorization": {"roles": [{"id": "r3", "name": "Admin"}, {"id": "r2", "name": "B"}, {"id": "r1", "name": "A"}]}}]}),
    );
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].path.as_str(), c[0].change), ("/authorization/roles/r3", ChangeKind::Added));
}

#[test]
fn set_members_are_records_on_the_list() {
    let c = changes(
        json!({"roles": [{"id": "r1", "permissions": ["a", "b"]}]}),
        json!({"roles": [{"id": "r1", "permissions": ["c", "a"]}]}),
    );
    let got: Vec<_> = c.iter().map(|c| (c.path.as_str(), c.change, c.before.clone(), c.after.clone())).collect();
    assert_eq!(
        got,
        vec![
            ("/permissions", ChangeKind::Removed, Some(json!("b")), None),
            ("/permissions", ChangeKind::Added, None, Some(json!("c"))),
        ]
    );
}

#[test]
fn reordering_an_ordered_list_is_drift() {
    let rules =
        |a: &str, b: &str| json!({"queues": [{"id": "q1", "routingRules": [{"operator": a}, {"operator": b}]}]});
    let c = changes(rules("MEETS_THRESHOLD", "ANY"), rules("ANY", "MEETS_THRESHOLD"));
    assert!(!c.is_empty());
    assert!(c.iter().all(|c| c.path.starts_with("/routingRules/")));
}

#[test]
fn modified_member_of_ordered_list_recurses_by_position() {
    let c = changes(
        json!({"queues": [{"id": "q1", "bullseye": {"rings": [{"expansionCriteria": [{"threshold": 10}]}, {"x": 1}]}}]}),
        json!({"queues": [{"id": "q1", "bullseye": {"rings": [{"expansionCriteria": [{"threshold": 30}]}, {"x": 1}]}}]}),
    );
    // The ring is matched by position; its expansionCriteria list is undeclared, so a set:
    // the changed member is one removal and one addition on that list.
    let got: Vec<_> = c.iter().map(|c| (c.path.as_str(), c.change)).collect();
    assert_eq!(
        got,
        vec![
            ("/bullseye/rings/0/expansionCriteria", ChangeKind::Removed),
            ("/bullseye/rings/0/expansionCriteria", ChangeKind::Added)
        ]
    );
}

#[test]
fn excluded_identities_are_not_reported_as_removed() {
    let c = Catalog::built_in().unwrap();
    let mut ex = Exclusions::new();
    ex.entry("users").or_default().insert("u1");
    let got = diff(
        &snap(json!({"users": [{"id": "u1"}]})),
        &snap(json!({"users": []})),
        c.platform("genesys-cloud").unwrap(),
        &ex,
    );
    assert!(got.is_empty());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn arb_role() -> impl Strategy<Value = Value> {
        (0u8..20, proptest::collection::vec("[a-c]:[a-c]:(view|edit)", 0..5), any::<bool>(), 0u32..9).prop_map(
            |(id, perms, default, version)| json!({"id": format!("r{id}"), "name": format!("Role {id}"), "permissions": perms, "default": default, "version": version}),
        )
    }

    fn arb_roles() -> impl Strategy<Value = Vec<Value>> {
        proptest::collection::vec(arb_role(), 0..8).prop_map(|mut v| {
            let mut seen = std::collections::HashSet::new();
            v.retain(|r| seen.insert(r["id"].as_str().unwrap().to_string()));
            v
        })
    }

    proptest! {
        #[test]
        fn diff_of_a_snapshot_with_itself_is_empty(roles in arb_roles()) {
            let c = changes(json!({"roles": roles}), json!({"roles": roles}));
            prop_assert!(c.is_empty(), "unexpected drift: {:?}", c);
        }

        #[test]
        fn normalization_is_idempotent_and_ignores_set_order(roles in arb_roles(), seed in any::<u64>()) {
            let once = snap(json!({"roles": roles}));
            let c = Catalog::built_in().unwrap();
            let twice = normalize(once.clone(), c.platform("genesys-cloud").unwrap());
            prop_assert_eq!(crate::canonical::to_vec(&once.to_value()), crate::canonical::to_vec(&twice.to_value()));
            let mut shuffled = roles.clone();
            let n = shuffled.len();
            if n > 1 { shuffled.rotate_left((seed as usize) % n); }
            for r in shuffled.iter_mut() {
                if let Some(p) = r["permissions"].as_array_mut() { p.reverse(); }
            }
            let other = snap(json!({"roles": shuffled}));
            prop_assert_eq!(crate::canonical::to_vec(&once.to_value()), crate::canonical::to_vec(&other.to_value()));
        }

        #[test]
        fn patch_of_a_diff_turns_old_into_new(a in arb_roles(), b in arb_roles()) {
            let (sa, sb) = (snap(json!({"roles": a})), snap(json!({"roles": b})));
            let patch = to_patch(&sa, &sb);
            let mut doc = sa.to_value();
            json_patch::patch(&mut doc, &patch).unwrap();
            prop_assert_eq!(doc, sb.to_value());
        }
    }
}
