//! Generates Genesys-shaped tenants for the benchmark: `N` users (with proportional groups,
//! queues and skills) grown from the example tenant, and a re-collected copy of the same
//! configuration with volatile noise (versions, presence, last logins, counts, item and set
//! order) plus a known set of real changes.
//!
//! cargo run --release --example gen_tenant -- USERS OUT_DIR
//! writes OUT_DIR/tenant-USERS.json and OUT_DIR/tenant-USERS.recollected.json

#[path = "../tests/support/tenant.rs"]
#[allow(dead_code)]
mod tenant;

use serde_json::{json, Value};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(users), Some(out)) = (args.get(1).and_then(|n| n.parse::<usize>().ok()), args.get(2)) else {
        eprintln!("usage: gen_tenant USERS OUT_DIR");
        std::process::exit(2);
    };
    let out = std::path::Path::new(out);
    std::fs::create_dir_all(out).expect("output directory");
    let doc = tenant::genesys(users, 20261122);
    let again = recollect(&doc, users);
    let write = |name: String, v: &Value| {
        let p = out.join(name);
        std::fs::write(&p, serde_json::to_vec(v).unwrap()).expect("write");
        eprintln!("{} ({} MB)", p.display(), std::fs::metadata(&p).unwrap().len() / 1_000_000);
    };
    write(format!("tenant-{users}.json"), &doc);
    write(format!("tenant-{users}.recollected.json"), &again);
}

/// The same configuration collected again a day later: every volatile field moved, items and
/// sets in another order; and ten real changes (a role granted, an MFA setting, a queue rule).
fn recollect(doc: &Value, users: usize) -> Value {
    let mut d = doc.clone();
    let mut rng = tenant::Lcg(99);
    d["metadata"]["collected_at"] = json!("2026-11-23T06:00:00Z");
    d["metadata"]["collection_id"] = json!("acme-corp-20261123T060000Z");
    let res = d["resources"].as_object_mut().unwrap();
    for items in res.values_mut() {
        let items = items.as_array_mut().unwrap();
        for item in items.iter_mut() {
            if let Some(o) = item.as_object_mut() {
                if let Some(v) = o.get_mut("version") {
                    if let Some(n) = v.as_u64() {
                        *v = json!(n + 1);
                    }
                }
                if o.contains_key("dateLastLogin") {
                    o.insert("dateLastLogin".into(), json!("2026-11-23T05:00:00.000Z"));
                }
                if o.contains_key("presence") {
                    o.insert("presence".into(), json!({"presenceDefinition": {"systemPresence": "Offline"}}));
                }
                if o.contains_key("memberCount") {
                    o.insert("memberCount".into(), json!(rng.below(200)));
                }
            }
        }
        // Another item order.
        for i in (1..items.len()).rev() {
            items.swap(i, rng.below(i + 1));
        }
    }
    // Real changes.
    let users_list = res.get_mut("users").unwrap().as_array_mut().unwrap();
    let n = users_list.len();
    for k in 0..8.min(n) {
        let u = &mut users_list[(k * 7919) % n];
        if let Some(roles) = u["authorization"]["roles"].as_array_mut() {
            roles.push(json!({"id": "42f2dc05-873f-4bd0-a608-0f174c96d8e2", "name": "Queue Supervisor"}));
        }
    }
    res.get_mut("authentication_settings").unwrap()[0]["multifactorAuthenticationRequired"] = json!(false);
    if let Some(q) = res.get_mut("queues").unwrap().as_array_mut().unwrap().first_mut() {
        q["acwSettings"] = json!({"wrapupPrompt": "OPTIONAL", "timeoutMs": 30000});
    }
    let _ = users;
    d
}
