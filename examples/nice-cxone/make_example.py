#!/usr/bin/env python3
"""Writes the bundled NICE CXone example: an approved collection of the fictional tenant
`globex-support` and a later re-collection of it with volatile noise (last login, last use,
poll times, links), reordered sets and a few real changes. Deterministic (fixed seed); field
names are CXone's own (ACD admin API, User Hub, authorization, access-key management; see
../shared/ccaas-api-notes.md section 7).

    python3 examples/nice-cxone/make_example.py   # rewrites the two snapshot files
"""
import copy, json, os, random, uuid

rng = random.Random(20261130)
HERE = os.path.dirname(os.path.abspath(__file__))
TENANT_ID = "11eb5f3a-0c1d-4e2f-9a8b-7c6d5e4f3a2b"
BU = 4600123


def uid():
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def perm(key, *options):
    return {"permissionKey": key, "optionKeys": list(options)}


profiles = [
    {"securityProfileId": 1001, "securityProfileName": "Administrator", "roleId": uid(),
     "description": "Full business unit administration", "securityProfileStatusName": "Active", "isInternal": False,
     "permissions": [perm("Employees", "View", "Edit", "Create"), perm("SecurityProfiles", "View", "Edit", "Create"),
                     perm("BusinessUnit", "View", "Edit"), perm("Reporting", "View")],
     "dataRestrictions": []},
    {"securityProfileId": 1002, "securityProfileName": "Supervisor", "roleId": uid(),
     "description": "Team supervisors", "securityProfileStatusName": "Active", "isInternal": False,
     "permissions": [perm("Supervisor", "View", "Edit"), perm("Employees", "View"), perm("Reporting", "View")],
     "dataRestrictions": [{"dataRoleEntityTypeName": "Team", "accessibilityType": "Restricted", "entityIds": ["201", "202"]}]},
    {"securityProfileId": 1003, "securityProfileName": "Agent", "roleId": uid(),
     "description": "Contact handling", "securityProfileStatusName": "Active", "isInternal": False,
     "permissions": [perm("Agent", "View")], "dataRestrictions": []},
    {"securityProfileId": 1004, "securityProfileName": "User Administrator", "roleId": uid(),
     "description": "Creates and edits employees", "securityProfileStatusName": "Active", "isInternal": False,
     "permissions": [perm("Employees", "View", "Edit", "Create")], "dataRestrictions": []},
    {"securityProfileId": 1005, "securityProfileName": "Security Administrator", "roleId": uid(),
     "description": "Maintains security profiles", "securityProfileStatusName": "Active", "isInternal": False,
     "permissions": [perm("SecurityProfiles", "View", "Edit")], "dataRestrictions": []},
]
by_name = {p["securityProfileName"]: p for p in profiles}

teams = [
    {"teamId": 201, "teamName": "Support Tier 1", "isActive": True, "description": "First line",
     "agentCount": 0, "lastUpdateTime": "2026-10-01T09:00:00Z", "maxConcurrentChats": 2, "wfmEnabled": True},
    {"teamId": 202, "teamName": "Support Tier 2", "isActive": True, "description": "Escalations",
     "agentCount": 0, "lastUpdateTime": "2026-10-01T09:00:00Z", "maxConcurrentChats": 1, "wfmEnabled": True},
    {"teamId": 203, "teamName": "Administration", "isActive": True, "description": "Platform owners",
     "agentCount": 0, "lastUpdateTime": "2026-10-01T09:00:00Z", "maxConcurrentChats": 0, "wfmEnabled": False},
]

roles = [
    {"roleId": uid(), "roleName": "Administrator", "displayName": "Administrator", "description": "CXone administrator",
     "status": "ACTIVE", "permissions": ["ADMIN_USERS_EDIT", "ADMIN_ROLES_EDIT", "ADMIN_SECURITY_EDIT"],
     "applications": [{"applicationId": "ADMIN", "privileges": [{"privilegeId": "USERS", "actions": ["VIEW", "EDIT", "CREATE"]},
                                                                 {"privilegeId": "ROLES", "actions": ["VIEW", "EDIT"]}], "features": []}],
     "lastModifiedTime": "2026-09-01T10:00:00Z", "loginAuthenticatorId": None},
    {"roleId": uid(), "roleName": "Supervisor", "displayName": "Supervisor", "description": "Supervises teams",
     "status": "ACTIVE", "permissions": ["SUPERVISOR_VIEW", "REPORTING_VIEW"],
     "applications": [{"applicationId": "SUPERVISOR", "privileges": [{"privilegeId": "TEAMS", "actions": ["VIEW"]}], "features": []}],
     "lastModifiedTime": "2026-09-01T10:00:00Z", "loginAuthenticatorId": None},
    {"roleId": uid(), "roleName": "Agent", "displayName": "Agent", "description": "Handles contacts",
     "status": "ACTIVE", "permissions": ["AGENT_VIEW"],
     "applications": [{"applicationId": "MAX", "privileges": [{"privilegeId": "CONTACTS", "actions": ["VIEW", "HANDLE"]}], "features": []}],
     "lastModifiedTime": "2026-09-01T10:00:00Z", "loginAuthenticatorId": None},
]
role_by_name = {r["roleName"]: r for r in roles}

people = [
    # first, last, profile, team, active, locked, role
    ("Grace", "Okafor", "Administrator", 203, True, False, "Administrator"),
    ("Tomas", "Lindqvist", "User Administrator", 203, True, False, "Administrator"),
    ("Priya", "Raman", "Security Administrator", 203, True, False, "Administrator"),
    ("Marco", "Bellini", "Supervisor", 201, True, False, "Supervisor"),
    ("Aiko", "Tanaka", "Supervisor", 202, True, False, "Supervisor"),
    ("Sam", "Whitfield", "Agent", 201, True, False, "Agent"),
    ("Lena", "Vogel", "Agent", 201, True, False, "Agent"),
    ("Omar", "Haddad", "Agent", 202, True, False, "Agent"),
    ("Nia", "Mensah", "Agent", 202, True, False, "Agent"),
    ("Rui", "Costa", "Agent", 201, False, False, "Agent"),
]

agents, users = [], []
for i, (first, last, profile, team, active, locked, role) in enumerate(people):
    agent_id = 30001 + i
    user_id = uid()
    login = f"{first.lower()}.{last.lower()}@globex.example"
    p = by_name[profile]
    agents.append({
        "agentId": agent_id, "userName": login, "firstName": first, "lastName": last, "userID": user_id,
        "emailAddress": login, "isActive": active, "teamId": team,
        "teamName": next(t["teamName"] for t in teams if t["teamId"] == team),
        "reportToId": 30004 if profile == "Agent" else None, "isSupervisor": profile == "Supervisor",
        "lastLogin": f"2026-11-{10 + i % 5:02d}T08:{i:02d}:00Z", "lastUpdated": "2026-10-20T12:00:00Z",
        "profileId": p["securityProfileId"], "profileName": profile, "internalId": f"G{agent_id}",
        "federatedId": login, "locked": locked, "createDate": "2025-03-01T09:00:00Z",
        "inactiveDate": None if active else "2026-08-31T17:00:00Z", "timeZone": "Eastern Standard Time",
    })
    r = role_by_name[role]
    users.append({
        "id": user_id, "userName": login, "firstName": first, "lastName": last, "emailAddress": login,
        "role": r["roleName"], "roleUUID": r["roleId"], "secondaryRoleIds": [],
        "status": "ACTIVE" if active else "BLOCKED", "teamId": str(team),
        "acdUserMappings": [{"acdUserId": str(agent_id), "businessUnitId": BU}],
        "icBUId": BU, "externalIdentity": login, "creationDate": "2025-03-01T09:00:00Z", "deletedDate": None,
        "impersonated": False, "billable": True, "idmType": "INTERNAL",
    })

skills = []
for i, (name, media) in enumerate([("Support EN Voice", 4), ("Support EN Chat", 3), ("Support DE Voice", 4),
                                   ("Escalations", 4), ("Email Support", 1)]):
    skills.append({"skillId": 5001 + i, "skillName": name, "mediaTypeId": media, "isActive": True,
                   "campaignId": 10, "notes": "", "isOutbound": False, "outboundStrategy": None, "scriptId": 700 + i,
                   "serviceLevelThreshold": 30, "serviceLevelGoal": 80, "requireDisposition": media == 4})

pocs = [
    {"contactCode": 8001, "contactDescription": "Support line US", "contactAddress": "+15555550100",
     "defaultSkillId": 5001, "isActive": True, "mediaTypeId": 4, "mediaTypeName": "Phone Call",
     "scriptName": "Support_Main_IVR", "outboundSkill": False, "notes": ""},
    {"contactCode": 8002, "contactDescription": "Support line DE", "contactAddress": "+4930555010",
     "defaultSkillId": 5003, "isActive": True, "mediaTypeId": 4, "mediaTypeName": "Phone Call",
     "scriptName": "Support_DE_IVR", "outboundSkill": False, "notes": ""},
    {"contactCode": 8003, "contactDescription": "Web chat", "contactAddress": "chat-support",
     "defaultSkillId": 5002, "isActive": True, "mediaTypeId": 3, "mediaTypeName": "Chat",
     "scriptName": "Support_Chat", "outboundSkill": False, "notes": ""},
]

access_keys = [
    # the evidence collector's own key (Grace), an integration key (Tomas)
    {"accessKeyId": "AKGLOBEX0COLLECTOR01", "userId": users[0]["id"], "tenantId": TENANT_ID,
     "agentId": agents[0]["agentId"], "isActive": True, "lastUsedDate": "2026-11-14T08:00:00Z"},
    {"accessKeyId": "AKGLOBEX0CRMSYNC0002", "userId": users[1]["id"], "tenantId": TENANT_ID,
     "agentId": agents[1]["agentId"], "isActive": True, "lastUsedDate": "2026-11-13T23:10:00Z"},
]

business_unit = {
    "businessUnitId": BU, "businessUnitName": "Globex Support", "tenantId": TENANT_ID,
    "timeZone": "Eastern Standard Time", "sessionTimeoutMinutes": 30, "maxLoginAttempts": 5,
    "passwordExpirationDays": 90, "enforceSso": False, "lastUpdated": "2026-10-01T09:00:00Z",
}

approved = {
    "format": "driftgate.snapshot/v1",
    "metadata": {
        "platform": "nice-cxone", "tenant": "globex-support", "region": "na1", "api_version": "v31.0",
        "collected_at": "2026-11-15T08:00:00Z", "collection_id": "globex-support-20261115T080000Z",
        "service_account_id": "AKGLOBEX0COLLECTOR01",
    },
    "resources": {
        "business_unit": [business_unit], "agents": agents, "users": users, "roles": roles,
        "security_profiles": profiles, "teams": teams, "skills": skills, "points_of_contact": pocs,
        "access_keys": access_keys,
    },
}

# The re-collection a week later.
d = copy.deepcopy(approved)
d["metadata"].update(collected_at="2026-11-22T08:00:00Z", collection_id="globex-support-20261122T080000Z")
res = d["resources"]
# Volatile noise and reordering that must not be drift.
for a in res["agents"]:
    a["lastLogin"] = "2026-11-21T08:30:00Z"
    a["lastUpdated"] = "2026-11-21T12:00:00Z"
    a["_links"] = {"self": f"/incontactapi/services/v31.0/agents/{a['agentId']}"}
for t in res["teams"]:
    t["agentCount"] = sum(1 for a in res["agents"] if a["teamId"] == t["teamId"])
    t["lastUpdateTime"] = "2026-11-20T09:00:00Z"
for r in res["roles"]:
    r["lastModifiedTime"] = "2026-11-20T10:00:00Z"
    r["permissions"].reverse()
for p in res["security_profiles"]:
    p["permissions"].reverse()
res["agents"].reverse()
res["access_keys"][0]["lastUsedDate"] = "2026-11-21T08:00:00Z"
res["business_unit"][0]["lastUpdated"] = "2026-11-20T09:00:00Z"

# Real changes.
# 1. An agent was given the Administrator profile (not an approved privileged user).
sam = next(a for a in res["agents"] if a["firstName"] == "Sam")
sam["profileId"], sam["profileName"] = 1001, "Administrator"
# 2. The Supervisor profile gained employee administration, and Security Administrator gained
#    employee creation: segregation of duties broken for Priya.
sec = next(p for p in res["security_profiles"] if p["securityProfileName"] == "Security Administrator")
sec["permissions"].append(perm("Employees", "View", "Create"))
# 3. Rui (inactive) was moved to the Supervisor profile and his access key is still active.
rui = next(a for a in res["agents"] if a["firstName"] == "Rui")
rui["profileId"], rui["profileName"] = 1002, "Supervisor"
rui_user = next(u for u in res["users"] if u["firstName"] == "Rui")
res["access_keys"].append({"accessKeyId": "AKGLOBEX0LEGACYIVR03", "userId": rui_user["id"], "tenantId": TENANT_ID,
                           "agentId": rui["agentId"], "isActive": True, "lastUsedDate": "2026-05-02T11:00:00Z"})
# 4. The business unit's session timeout was raised.
res["business_unit"][0]["sessionTimeoutMinutes"] = 240
# 5. A point of contact now routes to another skill.
res["points_of_contact"][1]["defaultSkillId"] = 5004


def write(name, doc):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")


write("globex-support.approved.json", approved)
write("globex-support.drifted.json", d)
