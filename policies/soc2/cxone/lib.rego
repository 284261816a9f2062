# Helpers shared by the NICE CXone pack. No rule here produces findings.
package soc2.cxone.lib

import rego.v1

params := data.soc2.cxone.params

# The tenant's own parameters: tenants/<tenant>/data.json beside this file.
tenant := data.soc2.cxone.tenants[input.metadata.tenant]

# A parameter: the tenant's value when it sets one, else the pack's default.
setting(key) := tenant[key] if {
	tenant[key] != null
} else := params[key]

# CXone ids are numbers in the ACD API and strings elsewhere: compare them as text.
id_text(x) := sprintf("%v", [x])

# Whether a permission pattern ("Key:Option", either part may be "*") covers a held one.
covers(pattern, held) if {
	p := split(pattern, ":")
	h := split(held, ":")
	count(p) == 2
	count(h) == 2
	every i, part in p {
		part in {"*", h[i]}
	}
}

# "Key:Option" for every option a security profile grants.
profile_permissions(p) := {sprintf("%s:%s", [perm.permissionKey, opt]) |
	some perm in object.get(p, "permissions", [])
	some opt in object.get(perm, "optionKeys", [])
}

profile_by_id[id_text(p.securityProfileId)] := p if {
	some p in input.resources.security_profiles
}

# Whether profile p grants any permission the patterns in `wanted` cover.
grants_any(p, wanted) if {
	some held in profile_permissions(p)
	some w in wanted
	covers(w, held)
}

# The profile an agent holds (undefined when it is not in the snapshot).
agent_profile(a) := profile_by_id[id_text(a.profileId)]

privileged_profile_ids contains id if {
	some id, p in profile_by_id
	grants_any(p, setting("privileged_permissions"))
}

supervisory_profile_ids contains id if {
	some id, p in profile_by_id
	grants_any(p, setting("supervisor_permissions"))
}

supervisory_profile_ids contains id if {
	some id in privileged_profile_ids
}

# Whether an agent is on a list of agent ids or user names.
listed(a, list) if id_text(a.agentId) in list

listed(a, list) if a.userName in list

agent_ref(a) := {"type": "agents", "id": id_text(a.agentId), "name": a.userName}

# Whether the snapshot is of this pack's platform. Every rule of the pack starts with it, so
# that evaluating the whole bundle (as `opa eval` does) gives exactly driftgate's findings,
# which only evaluates a pack's rules on its own platform (`custom.platform`).
applies if input.metadata.platform == "nice-cxone"

# The business unit, for findings about the whole tenant.
bu_ref := {"type": "business_unit", "id": id_text(b.businessUnitId), "name": b.businessUnitName} if {
	some b in input.resources.business_unit
} else := {"type": "business_unit", "id": input.metadata.tenant}
