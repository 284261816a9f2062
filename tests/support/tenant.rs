//! Deterministic Genesys-shaped tenants: the bundled example tenant grown to N users with
//! proportional groups, queues and skills, in the platform's own field names. The emulator
//! serves them and the benchmark checks them.

use serde_json::{json, Value};

/// A small deterministic PRNG: the same tenant on every run.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// A UUID-shaped id.
    pub fn uuid(&mut self) -> String {
        let a = self.next() << 31 ^ self.next();
        let b = self.next() << 31 ^ self.next();
        let h = format!("{a:016x}{b:016x}");
        format!("{}-{}-4{}-a{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
    }
}

const FIRST: &[&str] = &["Ada", "Ben", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea"];
const LAST: &[&str] = &["Abbott", "Berg", "Cole", "Diaz", "Evans", "Fox", "Gray", "Hart", "Ito", "Jones", "Kerr"];

/// The example tenant (`examples/genesys/acme-corp.approved.json`) with `users` generated users
/// added: most active, some inactive, a few deleted; ordinary roles only (employee, Agent), so
/// the policy verdicts of the example stay what they are.
pub fn genesys(users: usize, seed: u64) -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/genesys/acme-corp.approved.json");
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    grow(&mut doc, users, seed);
    doc
}

/// Adds `users` generated users (and proportional groups, queues, skills) to a Genesys snapshot.
pub fn grow(doc: &mut Value, users: usize, seed: u64) {
    let mut rng = Lcg(seed);
    let res = doc["resources"].as_object_mut().unwrap();
    let role = |name: &str, res: &serde_json::Map<String, Value>| {
        res["roles"].as_array().unwrap().iter().find(|r| r["name"] == name).cloned().unwrap()
    };
    let (employee, agent) = (role("employee", res), role("Agent", res));
    let division = res["divisions"][0].clone();
    let div = json!({"id": division["id"], "name": division["name"],
                     "selfUri": format!("/api/v2/authorization/divisions/{}", division["id"].as_str().unwrap())});
    let mut generated = Vec::with_capacity(users);
    for i in 0..users {
        let id = rng.uuid();
        let first = FIRST[rng.below(FIRST.len())];
        let last = LAST[rng.below(LAST.len())];
        let login = format!("{}.{}{i}", first.to_lowercase(), last.to_lowercase());
        let state = match rng.below(100) {
            0..=2 => "deleted",
            3..=9 => "inactive",
            _ => "active",
        };
        let mut roles = vec![json!({"id": employee["id"], "name": "employee"})];
        if state == "active" && rng.below(3) > 0 {
            roles.push(json!({"id": agent["id"], "name": "Agent"}));
        }
        let mut permissions: Vec<Value> = Vec::new();
        for r in &roles {
            let role = if r["name"] == "Agent" { &agent } else { &employee };
            permissions.extend(role["permissions"].as_array().cloned().unwrap_or_default());
        }
        permissions.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        permissions.dedup();
        let department = ["Support", "Sales", "Billing"][rng.below(3)];
        let presence = ["Available", "Away", "Offline"][rng.below(3)];
        let routing = ["IDLE", "INTERACTING", "OFF_QUEUE"][rng.below(3)];
        let mut user = json!({
            "id": id,
            "name": format!("{first} {last} {i:06}"),
            "division": div,
            "chat": {"jabberId": format!("{}@acme-corp.orgspan.com", &id[..8])},
            "department": department,
            "email": format!("{login}@acme.example"),
            "username": format!("{login}@acme.example"),
            "state": state,
            "title": "Agent",
            "primaryContactInfo": [
                {"address": format!("{login}@acme.example"), "mediaType": "EMAIL", "type": "PRIMARY"},
                {"address": format!("+1555{:07}", rng.below(10_000_000)), "mediaType": "PHONE", "type": "PRIMARY"}
            ],
            "addresses": [],
            "version": 1 + rng.below(40),
            "acdAutoAnswer": false,
            "authorization": {"roles": roles, "permissions": permissions},
            "presence": {"presenceDefinition": {"systemPresence": presence}},
            "routingStatus": {"status": routing},
            "dateLastLogin": format!("2026-11-{:02}T{:02}:00:00.000Z", 1 + rng.below(20), rng.below(24)),
            "selfUri": format!("/api/v2/users/{id}")
        });
        if state == "deleted" {
            user["authorization"] = json!({"roles": [], "permissions": []});
        }
        generated.push(user);
    }
    res.get_mut("users").unwrap().as_array_mut().unwrap().extend(generated);

    let template = |k: &str, res: &serde_json::Map<String, Value>| res[k][0].clone();
    let (queue, group, skill) = (template("queues", res), template("groups", res), template("skills", res));
    let mut more = |kind: &str, n: usize, t: &Value, path: &str| {
        let mut v = Vec::with_capacity(n);
        for i in 0..n {
            let mut item = t.clone();
            let id = rng.uuid();
            item["id"] = json!(id);
            item["name"] = json!(format!("{} {kind} {i:05}", t["name"].as_str().unwrap_or(kind)));
            item["selfUri"] = json!(format!("{path}/{id}"));
            v.push(item);
        }
        v
    };
    let queues = more("queue", users / 100, &queue, "/api/v2/routing/queues");
    let groups = more("group", users / 200, &group, "/api/v2/groups");
    let skills = more("skill", users / 150, &skill, "/api/v2/routing/skills");
    res.get_mut("queues").unwrap().as_array_mut().unwrap().extend(queues);
    res.get_mut("groups").unwrap().as_array_mut().unwrap().extend(groups);
    res.get_mut("skills").unwrap().as_array_mut().unwrap().extend(skills);
}

/// People whose details appear in generated audit events (and must not reach the store).
pub const AUDIT_PII: &[&str] = &[
    "dana.ortiz@acme.example",
    "jonas.berg@acme.example",
    "(555) 123-4567",
    "555-987-6543",
    "555.222.3333",
    "+44 20 7946 0958",
    "+15554657799",
    "Mozilla/5.0",
    "Dana Ortiz",
];

/// `per_hour` Genesys audit events (`AuditLogMessage`) an hour for `hours` hours from `from`,
/// full of the details minimization and masking must remove.
pub fn audit_events(from: time::OffsetDateTime, hours: i64, per_hour: usize, seed: u64) -> Vec<Value> {
    let mut rng = Lcg(seed);
    let services = ["Directory", "PeoplePermissions", "Routing", "Telephony", "Integrations"];
    let phones = ["(555) 123-4567", "555-987-6543", "555.222.3333", "+44 20 7946 0958", "+15554657799"];
    let mut out = Vec::new();
    for h in 0..hours {
        for _ in 0..per_hour {
            let at = from + time::Duration::hours(h) + time::Duration::seconds(rng.below(3600) as i64);
            let date = at.format(&time::format_description::well_known::Rfc3339).unwrap();
            let id = rng.uuid();
            let service = services[rng.below(services.len())];
            let phone = phones[rng.below(phones.len())];
            let other = phones[rng.below(phones.len())];
            let action = ["Create", "Update", "Delete"][rng.below(3)];
            out.push(json!({
                "id": id,
                "userHomeOrgId": "ee8ec2aa-e8e7-4c56-a210-31ef15b75f1d",
                "user": {"id": "8df08078-a22e-4180-85c2-c2af3977a654", "name": "Dana Ortiz", "selfUri": "/api/v2/users/8df08078-a22e-4180-85c2-c2af3977a654"},
                "client": {"id": "00c20d93-475b-4b38-840a-d72b8af9825d", "selfUri": "/api/v2/oauth/clients/00c20d93-475b-4b38-840a-d72b8af9825d"},
                "remoteIp": [format!("203.0.113.{}", 1 + rng.below(250))],
                "serviceName": service,
                "level": "USER",
                "eventDate": date,
                "message": {"localizableMessageCode": "USER_UPDATED", "message": format!("dana.ortiz@acme.example changed the phone of jonas.berg@acme.example to {phone}"),
                            "messageWithParams": "{user} changed {entity}", "messageParams": {"user": "dana.ortiz@acme.example", "phone": phone}},
                "action": action,
                "entity": {"id": rng.uuid(), "name": "jonas.berg@acme.example", "selfUri": "/api/v2/users/x"},
                "entityType": "User",
                "status": "SUCCESS",
                "application": "Mozilla/5.0 (X11; Linux x86_64)",
                "initiatingAction": {"transactionId": rng.uuid(), "actionContext": "UI"},
                "transactionInitiator": true,
                "propertyChanges": [{"property": "primaryContactInfo", "oldValues": [other], "newValues": [phone]},
                                     {"property": "version", "oldValues": ["1.2.3"], "newValues": ["1.2.4"]}],
                "context": {"userAgent": "Mozilla/5.0", "phone": phone},
                "entityChanges": [{"entityId": "x", "entityName": "Dana Ortiz", "entityType": "User", "oldValues": [other], "newValues": [phone]}]
            }));
        }
    }
    out
}

/// The CXone example tenant (`examples/nice-cxone/globex-support.approved.json`) with `agents`
/// generated agents added, each with its User Hub user (mapped to the agent), on the ordinary
/// Agent profile and role; every fifth with an access key used recently. The policy verdicts
/// of the example stay what they are.
pub fn cxone(agents: usize, seed: u64) -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nice-cxone/globex-support.approved.json");
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut rng = Lcg(seed);
    let res = doc["resources"].as_object_mut().unwrap();
    let agent_role = res["roles"].as_array().unwrap().iter().find(|r| r["roleName"] == "Agent").cloned().unwrap();
    let tenant_id = res["business_unit"][0]["tenantId"].clone();
    let template = res["agents"].as_array().unwrap().iter().find(|a| a["profileName"] == "Agent").cloned().unwrap();
    let (mut new_agents, mut new_users, mut new_keys) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..agents {
        let agent_id = 100_000 + i as u64;
        let user_id = rng.uuid();
        let first = FIRST[rng.below(FIRST.len())];
        let last = LAST[rng.below(LAST.len())];
        let login = format!("{}.{}{i}@globex.example", first.to_lowercase(), last.to_lowercase());
        let active = rng.below(100) >= 8;
        let mut a = template.clone();
        for (k, v) in [
            ("agentId", json!(agent_id)),
            ("userName", json!(login)),
            ("firstName", json!(first)),
            ("lastName", json!(last)),
            ("userID", json!(user_id)),
            ("emailAddress", json!(login)),
            ("federatedId", json!(login)),
            ("internalId", json!(format!("G{agent_id}"))),
            ("isActive", json!(active)),
            ("teamId", json!(201 + rng.below(2))),
            ("inactiveDate", if active { Value::Null } else { json!("2026-06-30T17:00:00Z") }),
        ] {
            a[k] = v;
        }
        new_agents.push(a);
        new_users.push(json!({
            "id": user_id, "userName": login, "firstName": first, "lastName": last, "emailAddress": login,
            "role": "Agent", "roleUUID": agent_role["roleId"], "secondaryRoleIds": [],
            "status": if active { "ACTIVE" } else { "BLOCKED" }, "teamId": "201",
            "acdUserMappings": [{"acdUserId": agent_id.to_string(), "businessUnitId": 4600123}],
            "icBUId": 4600123, "externalIdentity": login, "creationDate": "2025-06-01T09:00:00Z",
            "deletedDate": null, "impersonated": false, "billable": true, "idmType": "INTERNAL",
        }));
        if active && i % 5 == 0 {
            new_keys.push(json!({
                "accessKeyId": format!("AKGEN{agent_id:015}"), "userId": user_id, "tenantId": tenant_id,
                "agentId": agent_id, "isActive": true, "lastUsedDate": "2026-11-14T06:00:00Z",
            }));
        }
    }
    res.get_mut("agents").unwrap().as_array_mut().unwrap().extend(new_agents);
    res.get_mut("users").unwrap().as_array_mut().unwrap().extend(new_users);
    res.get_mut("access_keys").unwrap().as_array_mut().unwrap().extend(new_keys);
    doc
}

/// The same configuration collected again a day later: every volatile field moved, items and
/// sets in another order; and ten real changes (a role granted, an MFA setting, a queue rule).
pub fn recollect(doc: &Value) -> Value {
    let mut d = doc.clone();
    let mut rng = Lcg(99);
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
    d
}
