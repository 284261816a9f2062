# METADATA
# title: NICE CXone access keys
# description: Access keys (GET /access-key-management/v1/access-keys). Last use is observed, not configuration - it reaches the policies as data.driftgate.observed.access_keys, never the diff.
# custom:
#   platform: nice-cxone
package soc2.cxone.credentials

import data.soc2.cxone.lib
import rego.v1

key_ref(k) := {"type": "access_keys", "id": k.accessKeyId, "name": k.accessKeyId}

ns_per_day := ((24 * 60) * 60) * 1000000000

# The instant the snapshot describes: idle time is measured to the collection, not to when
# the check happens to run.
as_of := time.parse_rfc3339_ns(input.metadata.collected_at)

last_used(k) := data.driftgate.observed.access_keys[k.accessKeyId].lastUsedDate

# METADATA
# title: Active access keys are in use
# description: An active access key that has not been used for more than max_access_key_idle_days (or never) is a standing credential nobody needs; it should be deactivated.
# custom:
#   id: CX-CC6.2-01
#   controls: [CC6.2, CC6.3]
#   severity: medium
#   reads: [access_keys]
#   remediation: Deactivate or delete the access key in Admin > Employees > Security; issue a new one when it is needed again.
deny_idle_access_key contains finding if {
	lib.applies
	some k in input.resources.access_keys
	k.isActive == true
	used := last_used(k)
	is_string(used)
	days := (as_of - time.parse_rfc3339_ns(used)) / ns_per_day
	days > lib.setting("max_access_key_idle_days")
	finding := {
		"msg": sprintf("access key %s has not been used for %d days (limit %d)", [k.accessKeyId, floor(days), lib.setting("max_access_key_idle_days")]),
		"resource": key_ref(k),
		"path": "/lastUsedDate",
	}
}

deny_idle_access_key contains finding if {
	lib.applies
	some k in input.resources.access_keys
	k.isActive == true
	not is_string(object.get(data.driftgate.observed, ["access_keys", k.accessKeyId, "lastUsedDate"], null))
	finding := {
		"msg": sprintf("access key %s is active and has never been used", [k.accessKeyId]),
		"resource": key_ref(k),
		"path": "/lastUsedDate",
	}
}

agent_by_id[lib.id_text(a.agentId)] := a if {
	some a in input.resources.agents
}

user_by_id[u.id] := u if {
	some u in input.resources.users
}

# METADATA
# title: Access keys belong to active people
# description: An active access key whose owner (agent or User Hub user) is inactive, blocked or deleted is a credential that outlived its owner's access.
# custom:
#   id: CX-CC6.2-02
#   controls: [CC6.2]
#   severity: high
#   remediation: Deactivate the access key; offboarding must revoke access keys along with the account.
deny_access_key_of_inactive_owner contains finding if {
	lib.applies
	some k in input.resources.access_keys
	k.isActive == true
	some owner in inactive_owner(k)
	finding := {
		"msg": sprintf("access key %s is active but its owner %s", [k.accessKeyId, owner.why]),
		"resource": key_ref(k),
		"path": owner.path,
	}
}

# Why a key's owner is not active: its agent, its User Hub user, or both.
inactive_owner(k) := {{"why": sprintf("agent %s is inactive", [a.userName]), "path": "/agentId"} |
	a := agent_by_id[lib.id_text(k.agentId)]
	a.isActive == false
} | {{"why": sprintf("user %s is %s", [u.userName, lower(u.status)]), "path": "/userId"} |
	u := user_by_id[k.userId]
	u.status != "ACTIVE"
}
