//! Drift properties on generated tenants: volatile noise and reordered sets are never
//! drift; each real change is one record keyed by resource id; reordering an ordered list
//! is drift.

use driftgate::catalog::Catalog;
use driftgate::diff::{diff, ChangeKind, Exclusions};
use driftgate::normalize::{configuration_digest, normalize};
use driftgate::snapshot::Snapshot;
use serde_json::{json, Value};

/// A small deterministic PRNG, so the tenants are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

fn tenant(users: usize, rng: &mut Lcg) -> Value {
    let roles: Vec<Value> = (0..12)
        .map(|i| {
            json!({"id": format!("role-{i}"), "name": format!("Role {i}"), "version": 1, "userCount": rng.below(50),
                   "permissions": (0..1 + rng.below(6)).map(|p| format!("domain{i}:entity{p}:view")).collect::<Vec<_>>()})
        })
        .collect();
    let users: Vec<Value> = (0..users)
        .map(|i| {
            let r1 = rng.below(12);
            let r2 = (r1 + 1 + rng.below(11)) % 12;
            json!({"id": format!("user-{i:05}"), "name": format!("User {i}"), "state": "active", "version": rng.below(9),
                   "presence": {"presenceDefinition": {"systemPresence": "Available"}},
                   "authorization": {"roles": [{"id": format!("role-{r1}")}, {"id": format!("role-{r2}")}],
                                     "permissions": ["a:b:c", "d:e:f"]}})
        })
        .collect();
    let queues: Vec<Value> = (0..20)
        .map(|i| {
            json!({"id": format!("queue-{i}"), "name": format!("Q{i}"), "memberCount": rng.below(100),
                   "routingRules": [{"operator": "MEETS_THRESHOLD", "threshold": 9}, {"operator": "ANY", "threshold": 0}],
                   "bullseye": {"rings": [{"expansionCriteria": [{"threshold": 10}]}, {"expansionCriteria": [{"threshold": 20}]}]}})
        })
        .collect();
    json!({"format": "driftgate.snapshot/v1",
           "metadata": {"platform": "genesys-cloud", "tenant": "gen", "collected_at": "2026-11-22T00:00:00Z"},
           "resources": {"users": users, "roles": roles, "queues": queues}})
}

/// The same configuration re-collected: volatile fields changed, every set and item list shuffled.
fn recollect(doc: &Value, rng: &mut Lcg) -> Value {
    let mut d = doc.clone();
    d["metadata"]["collected_at"] = json!("2026-11-23T00:00:00Z");
    for items in d["resources"].as_object_mut().unwrap().values_mut() {
        let items = items.as_array_mut().unwrap();
        rng.shuffle(items);
        for it in items.iter_mut() {
            it["version"] = json!(rng.below(1000));
            it["selfUri"] = json!(format!("/api/v2/x/{}", rng.below(1000)));
            if it.get("memberCount").is_some() {
                it["memberCount"] = json!(rng.below(1000));
            }
            if let Some(p) = it.get_mut("permissions").and_then(Value::as_array_mut) {
                rng.shuffle(p);
            }
            if let Some(a) = it.get_mut("authorization") {
                rng.shuffle(a["roles"].as_array_mut().unwrap());
                rng.shuffle(a["permissions"].as_array_mut().unwrap());
            }
        }
    }
    d
}

fn normalized(doc: Value) -> Snapshot {
    let s: Snapshot = serde_json::from_value(doc).unwrap();
    normalize(s, Catalog::built_in().unwrap().platform("genesys-cloud").unwrap())
}

fn changes(a: Value, b: Value) -> Vec<driftgate::diff::Change> {
    let c = Catalog::built_in().unwrap();
    diff(&normalized(a), &normalized(b), c.platform("genesys-cloud").unwrap(), &Exclusions::new())
}

#[test]
fn recollection_with_only_noise_is_no_drift_and_the_same_digest() {
    for seed in [1, 2, 3] {
        let mut rng = Lcg(seed);
        let t = tenant(3000, &mut rng);
        let again = recollect(&t, &mut rng);
        assert!(changes(t.clone(), again.clone()).is_empty(), "seed {seed}");
        assert_eq!(configuration_digest(&normalized(t)), configuration_digest(&normalized(again)));
    }
}

#[test]
fn each_real_change_is_recorded_by_resource_id() {
    let mut rng = Lcg(7);
    let t = tenant(2000, &mut rng);
    let mut changed = recollect(&t, &mut rng);
    let users = changed["resources"]["users"].as_array_mut().unwrap();
    let u = users.iter_mut().find(|u| u["id"] == "user-00042").unwrap();
    u["authorization"]["roles"].as_array_mut().unwrap().push(json!({"id": "role-admin"}));
    let u = users.iter_mut().find(|u| u["id"] == "user-01000").unwrap();
    u["state"] = json!("inactive");
    users.retain(|u| u["id"] != "user-01500");
    let roles = changed["resources"]["roles"].as_array_mut().unwrap();
    roles.iter_mut().find(|r| r["id"] == "role-3").unwrap()["permissions"].as_array_mut().unwrap().push(json!("x:y:z"));

    let got: Vec<(String, String, ChangeKind, String)> =
        changes(t, changed).into_iter().map(|c| (c.resource_type, c.resource_id, c.change, c.path)).collect();
    assert_eq!(
        got,
        vec![
            ("roles".into(), "role-3".into(), ChangeKind::Added, "/permissions".into()),
            ("users".into(), "user-00042".into(), ChangeKind::Added, "/authorization/roles/role-admin".into()),
            ("users".into(), "user-01000".into(), ChangeKind::Modified, "/state".into()),
            ("users".into(), "user-01500".into(), ChangeKind::Removed, "".into()),
        ]
    );
}

#[test]
fn reordering_ordered_lists_is_drift_but_reordering_sets_is_not() {
    let mut rng = Lcg(11);
    let t = tenant(10, &mut rng);
    let mut rings = t.clone();
    rings["resources"]["queues"][3]["bullseye"]["rings"].as_array_mut().unwrap().reverse();
    let mut rules = t.clone();
    rules["resources"]["queues"][5]["routingRules"].as_array_mut().unwrap().reverse();
    for (changed, queue) in [(rings, "queue-3"), (rules, "queue-5")] {
        let c = changes(t.clone(), changed);
        assert!(!c.is_empty());
        assert!(c.iter().all(|c| c.resource_id == queue), "{c:?}");
    }
    let mut sets = t.clone();
    sets["resources"]["roles"][0]["permissions"].as_array_mut().unwrap().reverse();
    sets["resources"]["users"][0]["authorization"]["roles"].as_array_mut().unwrap().reverse();
    assert!(changes(t, sets).is_empty());
}
