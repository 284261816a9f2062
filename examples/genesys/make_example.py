#!/usr/bin/env python3
"""Writes the bundled Genesys Cloud example: an approved collection of the fictional tenant
`acme-corp` and a later re-collection of it with volatile noise, reordered sets and a few
real changes. Deterministic (fixed seed); field names are Genesys Cloud's own (API v2).

    python3 examples/genesys/make_example.py   # rewrites the two snapshot files
"""
import copy, json, random, uuid, os

rng = random.Random(20261122)
HERE = os.path.dirname(os.path.abspath(__file__))

def uid(tag):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))

def self_uri(kind, i):
    return f"/api/v2/{kind}/{i}"

home = {"id": uid("div"), "name": "Home"}
divisions = [
    {"id": home["id"], "name": "Home", "description": "Home division", "homeDivision": True,
     "objectCounts": {"USER": 18, "QUEUE": 3}, "selfUri": self_uri("authorization/divisions", home["id"])},
]
for n in ["Support", "Sales"]:
    i = uid("div")
    divisions.append({"id": i, "name": n, "description": f"{n} operations", "homeDivision": False,
                      "objectCounts": {"USER": 3}, "selfUri": self_uri("authorization/divisions", i)})

def role(name, perms, policies, default=False, drid=None, desc=""):
    i = uid("role")
    r = {"id": i, "name": name, "description": desc, "default": default, "base": False,
         "permissions": perms, "permissionPolicies": policies, "unusedPermissions": [],
         "userCount": rng.randint(1, 30), "roleNeedsUpdate": False,
         "selfUri": self_uri("authorization/roles", i)}
    if drid:
        r["defaultRoleId"] = drid
    return r

def pol(domain, entity, actions):
    return {"domain": domain, "entityName": entity, "policyName": f"{domain} {entity}", "actionSet": actions, "allowConditions": False}

roles = [
    role("admin", ["*:*:*"], [pol("*", "*", ["*"])], default=True, drid="admin", desc="Built-in administrator"),
    role("employee", ["directory:user:view"], [pol("directory", "user", ["view"])], default=True, drid="employee", desc="Every user"),
    role("Queue Supervisor", ["routing:queue:view", "routing:queue:edit"], [pol("routing", "queue", ["view", "edit"])], desc="Manage queues"),
    role("Telephony Admin", ["telephony:plugin:all", "telephony:trunk:view"], [pol("telephony", "plugin", ["all"])], desc="Trunks and sites"),
    role("User Admin", ["directory:user:add", "directory:user:edit", "authorization:grant:add"],
         [pol("directory", "user", ["add", "edit"]), pol("authorization", "grant", ["add"])], desc="Provision users and grants"),
    role("Reporting Viewer", ["analytics:conversationDetail:view"], [pol("analytics", "conversationDetail", ["view"])]),
    role("Agent", ["routing:conversation:view", "conversation:call:accept"], [pol("conversation", "call", ["accept"])]),
]
R = {r["name"]: r for r in roles}

first = ["Dana", "Ravi", "Mei", "Jonas", "Amara", "Luis", "Priya", "Tom", "Sofia", "Kwame", "Elena", "Hiro",
         "Nadia", "Omar", "Grace", "Ivan", "Leah", "Marco", "Zoe", "Aziz", "Chloe", "Ben", "Ines", "Yusuf"]
last = ["Ortiz", "Shah", "Chen", "Berg", "Okafor", "Garcia", "Nair", "Reed", "Rossi", "Mensah", "Petrov", "Sato",
        "Haddad", "Farouk", "Kim", "Novak", "Levi", "Conti", "Adams", "Karimov", "Martin", "Cole", "Silva", "Demir"]
users = []
for k, (f, l) in enumerate(zip(first, last)):
    i = uid("user")
    email = f"{f.lower()}.{l.lower()}@acme.example"
    rs = [R["employee"]]
    if k < 2:
        rs.append(R["admin"])
    elif k == 2:
        rs.append(R["Telephony Admin"])
    elif k == 3:
        rs.append(R["User Admin"])
    elif k < 7:
        rs.append(R["Queue Supervisor"])
    elif k < 20:
        rs.append(R["Agent"])
    state = "active"
    if k == 21:
        state = "inactive"
        rs.append(R["Queue Supervisor"])
    if k == 22:
        state = "deleted"
    div = home if k < 18 else rng.choice(divisions[1:])
    users.append({
        "id": i, "name": f"{f} {l}", "division": {"id": div["id"], "name": div["name"], "selfUri": self_uri("authorization/divisions", div["id"])},
        "chat": {"jabberId": f"{i[:8]}@acme-corp.orgspan.com"}, "department": "Customer Care" if k >= 4 else "IT",
        "email": email, "username": email, "state": state, "title": "Agent" if k >= 7 else "Lead",
        "primaryContactInfo": [{"address": email, "mediaType": "EMAIL", "type": "PRIMARY"},
                               {"address": f"+1555{rng.randint(1000000, 9999999)}", "mediaType": "PHONE", "type": "PRIMARY"}],
        "addresses": [], "version": rng.randint(1, 40), "acdAutoAnswer": False,
        "authorization": {"roles": [{"id": r["id"], "name": r["name"]} for r in rs],
                          "permissions": sorted({p for r in rs for p in r["permissions"]})},
        "presence": {"presenceDefinition": {"systemPresence": rng.choice(["Available", "Offline", "Busy"])}},
        "routingStatus": {"status": rng.choice(["IDLE", "OFF_QUEUE", "INTERACTING"])},
        "dateLastLogin": f"2026-11-{rng.randint(10, 21):02d}T{rng.randint(0, 23):02d}:00:00.000Z",
        "selfUri": self_uri("users", i),
    })

groups = []
for n, owners in [("Support Leads", users[4:6]), ("Sales Team", users[18:20]), ("Telephony On-Call", users[2:3]), ("All Agents", users[7:9])]:
    i = uid("group")
    groups.append({"id": i, "name": n, "description": f"{n} group", "type": "official", "visibility": "public",
                   "rolesEnabled": n == "Support Leads", "state": "active", "memberCount": rng.randint(2, 20),
                   "owners": [{"id": u["id"], "name": u["name"]} for u in owners],
                   "version": rng.randint(1, 9), "dateModified": "2026-10-01T10:00:00.000Z",
                   "selfUri": self_uri("groups", i)})

skills = []
for n in ["English", "Spanish", "German", "Billing", "Technical", "Retention", "VIP", "Outbound"]:
    i = uid("skill")
    skills.append({"id": i, "name": n, "division": {"id": home["id"], "name": "Home"}, "state": "active",
                   "version": str(rng.randint(1, 5)), "dateModified": "2026-09-01T00:00:00.000Z", "selfUri": self_uri("routing/skills", i)})

queues = []
for n in ["Support_EN", "Support_ES", "Billing", "Sales_Inbound", "VIP_Care"]:
    i = uid("queue")
    queues.append({
        "id": i, "name": n, "division": {"id": home["id"], "name": "Home"}, "description": f"{n} queue",
        "dateCreated": "2024-03-02T10:00:00.000Z", "dateModified": "2026-06-11T08:15:22.031Z",
        "modifiedBy": users[4]["id"], "createdBy": users[0]["id"],
        "memberCount": rng.randint(5, 40), "userMemberCount": rng.randint(5, 40), "joinedMemberCount": rng.randint(0, 20),
        "mediaSettings": {"call": {"alertingTimeoutSeconds": 8, "serviceLevel": {"percentage": 0.8, "durationMs": 20000}, "enableAutoAnswer": False},
                          "email": {"alertingTimeoutSeconds": 300, "serviceLevel": {"percentage": 0.8, "durationMs": 86400000}}},
        "routingRules": [{"operator": "MEETS_THRESHOLD", "threshold": 9, "waitSeconds": 2},
                         {"operator": "ANY", "threshold": 0, "waitSeconds": 5}],
        "bullseye": {"rings": [{"expansionCriteria": [{"type": "TIMEOUT_SECONDS", "threshold": 15}], "actions": {"skillsToRemove": []}},
                               {"expansionCriteria": [{"type": "TIMEOUT_SECONDS", "threshold": 30}]}]},
        "acwSettings": {"wrapupPrompt": "MANDATORY_TIMEOUT", "timeoutMs": 30000},
        "skillEvaluationMethod": "BEST", "scoringMethod": "TimestampAndPriority",
        "memberGroups": [{"id": groups[0]["id"], "type": "GROUP"}, {"id": groups[3]["id"], "type": "GROUP"}],
        "enableTranscription": True, "enableAudioMonitoring": False, "suppressInQueueCallRecording": n != "VIP_Care",
        "callingPartyNumber": "+15555550100", "selfUri": self_uri("routing/queues", i),
    })

sites, tbs, trunks = [], [], []
for n, model in [("HQ-Premises", "Premises"), ("Cloud-EU", "Cloud")]:
    i = uid("site")
    sites.append({"id": i, "name": n, "state": "active", "version": 4, "mediaModel": model, "managed": model == "Cloud",
                  "coreSite": False, "primarySites": [], "secondarySites": [], "mediaRegions": ["eu-west-1", "eu-central-1"],
                  "edgeAutoUpdateConfig": {"timeZone": "Etc/UTC", "rrule": "FREQ=WEEKLY;BYDAY=SU"},
                  "dateModified": "2026-05-01T00:00:00.000Z", "selfUri": self_uri("telephony/providers/edges/sites", i)})
for n, proto, acl in [("BYOC-Carrier-A", "TLS", ["198.51.100.0/28", "198.51.100.16/28"]), ("BYOC-Carrier-B", "TLS", ["192.0.2.0/27"])]:
    i = uid("tbs")
    tbs.append({"id": i, "name": n, "state": "active", "trunkType": "EXTERNAL", "managed": False,
                "trunkMetabase": {"id": "external_sip_pcv_byoc_carrier.json", "name": "Generic BYOC Carrier"},
                "site": {"id": sites[0]["id"], "name": sites[0]["name"]},
                "properties": {"trunk_transport_serverProxyList": {"type": "array", "value": {"default": [], "instance": [f"sip.{n.lower()}.example:5061", f"sip2.{n.lower()}.example:5061"]}},
                               "trunk_access_acl_allowList": {"type": "array", "value": {"default": [], "instance": acl}},
                               "trunk_transport_protocol": {"type": "string", "value": {"default": "UDP", "instance": proto}},
                               "trunk_media_srtp": {"type": "boolean", "value": {"default": False, "instance": True}}},
                "version": 6, "dateModified": "2026-04-20T00:00:00.000Z", "selfUri": self_uri("telephony/providers/edges/trunkbasesettings", i)})
    ti = uid("trunk")
    trunks.append({"id": ti, "name": f"{n} - Edge1", "state": "active", "version": 3, "trunkType": "EXTERNAL",
                   "dateCreated": "2024-01-15T12:00:00.000Z", "dateModified": "2025-05-20T09:30:00.000Z", "createdBy": "system", "modifiedByApp": "telephony",
                   "trunkBase": {"id": i, "name": n, "selfUri": self_uri("telephony/providers/edges/trunkbasesettings", i)},
                   "edge": {"id": "e-5678", "name": "Edge1"}, "inService": True, "enabled": True, "family": 4,
                   "connectedStatus": {"connected": True, "connectedStateTime": "2026-11-20T00:00:00.000Z"},
                   "optionsStatus": [{"connected": True}], "registersStatus": [],
                   "proxyAddressList": ["198.51.100.10:5061", "198.51.100.11:5061"],
                   "selfUri": self_uri("telephony/providers/edges/trunks", ti)})

oauth = []
for n, grant, secs, scope, rdivs in [
    ("driftgate evidence collector", "CLIENT-CREDENTIALS", 3600, [], [("Reporting Viewer", home)]),
    ("CRM integration", "CODE", 86400, ["users:readonly", "conversations"], []),
    ("WFM sync", "CLIENT-CREDENTIALS", 7200, [], [("Queue Supervisor", home)]),
]:
    i = uid("oauth")
    oauth.append({"id": i, "name": n, "description": n, "authorizedGrantType": grant, "accessTokenValiditySeconds": secs,
                  "registeredRedirectUri": ["https://crm.acme.example/callback"] if grant == "CODE" else [],
                  "scope": scope, "roleDivisions": [{"roleId": R[r]["id"], "divisionId": d["id"]} for r, d in rdivs],
                  "state": "active", "secret": "s3cr3t-" + i[:12], "dateCreated": "2025-01-10T00:00:00.000Z",
                  "createdBy": {"id": users[0]["id"]}, "selfUri": self_uri("oauth/clients", i)})

idp_id = uid("idp")
identity_providers = [{"id": idp_id, "name": "Okta", "disabled": False, "issuerURI": "http://www.okta.com/exk1acme",
                       "ssoTargetURI": "https://acme.okta.example/app/genesys/sso/saml", "providerName": "Okta",
                       "certificates": ["MIIC...acme"], "signAuthnRequests": True, "selfUri": self_uri("identityproviders", idp_id)}]
integrations = []
for n, t, st in [("Salesforce", "salesforce", "ENABLED"), ("Zendesk", "zendesk", "DISABLED"), ("Web Services Data Actions", "custom-rest-actions", "ENABLED")]:
    i = uid("integ")
    integrations.append({"id": i, "name": n, "integrationType": {"id": t, "name": n}, "intendedState": st,
                         "reportedState": {"code": "ACTIVE" if st == "ENABLED" else "DEACTIVATED", "effective": "now"},
                         "notes": "", "selfUri": self_uri("integrations", i)})
bu = uid("bu")
wfm_bus = [{"id": bu, "name": "Acme Contact Center", "division": {"id": home["id"], "name": "Home"}, "selfUri": self_uri("workforcemanagement/businessunits", bu)}]
wfm_mus = []
for n in ["Support MU", "Sales MU"]:
    i = uid("mu")
    wfm_mus.append({"id": i, "name": n, "businessUnit": {"id": bu}, "division": {"id": home["id"], "name": "Home"},
                    "version": 2, "selfUri": self_uri("workforcemanagement/managementunits", i)})

org_id = uid("org")
approved = {
    "format": "driftgate.snapshot/v1",
    "metadata": {"platform": "genesys-cloud", "tenant": "acme-corp", "region": "mypurecloud.ie", "api_version": "v2",
                 "collected_at": "2026-11-15T08:00:00Z", "collection_id": "acme-corp-20261115T080000Z",
                 "service_account_id": oauth[0]["id"]},
    "resources": {
        "organization": [{"id": org_id, "name": "Acme Corp", "domain": "acme-corp", "defaultLanguage": "en-us", "defaultCountryCode": "IE",
                          "state": "active", "version": 31, "voicemailEnabled": True, "productPlatform": "PureCloud",
                          "features": {"purecloud": True, "realtimeCIC": False, "chat": True}, "selfUri": "/api/v2/organizations/me"}],
        "authentication_settings": [{"multifactorAuthenticationRequired": True, "domainAllowlistEnabled": True,
                                     "domainAllowlist": ["acme.example"], "ipAddressAllowlist": ["203.0.113.0/24", "198.51.100.0/24"],
                                     "passwordRequirements": {"minimumLength": 12, "minimumDigits": 1, "minimumLetters": 1, "minimumUpper": 1,
                                                              "minimumLower": 1, "minimumSpecials": 1, "minimumAgeSeconds": 0, "expirationDays": 90},
                                     "universalLogout": True, "tokenStorageLocation": "session", "inactivityTimeoutExclusions": []}],
        "divisions": divisions, "users": users, "roles": roles, "groups": groups, "queues": queues, "skills": skills,
        "trunks": trunks, "trunk_base_settings": tbs, "sites": sites, "oauth_clients": oauth,
        "identity_providers": identity_providers, "integrations": integrations,
        "wfm_business_units": wfm_bus, "wfm_management_units": wfm_mus,
    },
}

# The re-collection a week later.
d = copy.deepcopy(approved)
d["metadata"]["collected_at"] = "2026-11-22T08:00:00Z"
d["metadata"]["collection_id"] = "acme-corp-20261122T080000Z"
res = d["resources"]
# Volatile noise and reordering that must not be drift.
for t, items in res.items():
    rng.shuffle(items)
    for it in items:
        if "version" in it and isinstance(it["version"], int):
            it["version"] += rng.randint(1, 3)
        if "dateModified" in it:
            it["dateModified"] = "2026-11-21T17:45:00.000Z"
for u in res["users"]:
    u["presence"] = {"presenceDefinition": {"systemPresence": rng.choice(["Available", "Offline", "Away"])}}
    u["dateLastLogin"] = "2026-11-21T09:00:00.000Z"
    u["authorization"]["permissions"].reverse()
    u["primaryContactInfo"].reverse()
for r in res["roles"]:
    r["userCount"] += rng.randint(0, 3)
    r["permissions"].reverse()
for q in res["queues"]:
    q["memberCount"] += 1
    q["memberGroups"].reverse()
for t in res["trunks"]:
    t["connectedStatus"]["connectedStateTime"] = "2026-11-21T23:59:00.000Z"
res["authentication_settings"][0]["ipAddressAllowlist"].reverse()
# Real changes.
res["authentication_settings"][0]["passwordRequirements"]["minimumLength"] = 8        # weaker password policy
tom = next(u for u in res["users"] if u["name"] == "Tom Reed")
tom["authorization"]["roles"].append({"id": R["admin"]["id"], "name": "admin"})        # new admin grant
sq = next(q for q in res["queues"] if q["name"] == "Support_EN")
sq["routingRules"].reverse()                                                           # ordered list reorder
qs = next(r for r in res["roles"] if r["name"] == "Queue Supervisor")
qs["permissions"].append("routing:queue:delete")                                       # role gains a permission
res["skills"] = [s for s in res["skills"] if s["name"] != "Retention"]                 # a skill deleted
nid = uid("oauth")
res["oauth_clients"].append({"id": nid, "name": "Legacy reporting script", "description": "password grant for a script",
                             "authorizedGrantType": "PASSWORD", "accessTokenValiditySeconds": 172800, "registeredRedirectUri": [],
                             "scope": [], "roleDivisions": [], "state": "active", "secret": "hunter2-" + nid[:8],
                             "dateCreated": "2026-11-20T00:00:00.000Z", "selfUri": self_uri("oauth/clients", nid)})
ct = next(t for t in res["trunks"] if t["name"].startswith("BYOC-Carrier-A"))
ct["proxyAddressList"] = ["198.51.100.11:5061", "198.51.100.10:5061"]                   # failover order swapped

def write(name, doc):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")

write("acme-corp.approved.json", approved)
# The tenant's own policy parameters: its approved administrators (the two admins above).
tenant_dir = os.path.join(HERE, "..", "..", "policies", "soc2", "genesys", "tenants", "acme-corp")
os.makedirs(tenant_dir, exist_ok=True)
with open(os.path.join(tenant_dir, "data.json"), "w") as f:
    json.dump({"approved_admins": [users[0]["id"], users[1]["id"]]}, f, indent=2)
    f.write("\n")
print("inactive user with a role:", users[21]["id"])
write("acme-corp.drifted.json", d)
