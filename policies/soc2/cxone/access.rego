# METADATA
# title: NICE CXone user access
# description: Agents (GET /incontactapi/services/vNN.0/agents) and the security profiles they hold (GET .../security-profiles, with permissions).
# custom:
#   platform: nice-cxone
package soc2.cxone.access

import data.soc2.cxone.lib
import rego.v1

# METADATA
# title: Only approved people hold privileged security profiles
# description: Agents whose security profile grants a privileged permission (employee, security-profile, business-unit or access-key administration) must be on the tenant's approved_privileged_agents list.
# custom:
#   id: CX-CC6.3-01
#   controls: [CC6.2, CC6.3]
#   severity: critical
#   remediation: Move the agent to a non-privileged security profile, or add the agent to approved_privileged_agents through a reviewed change.
deny_unapproved_privileged_profile contains finding if {
	lib.applies
	some a in input.resources.agents
	a.isActive == true
	lib.id_text(a.profileId) in lib.privileged_profile_ids
	not lib.listed(a, lib.setting("approved_privileged_agents"))
	finding := {
		"msg": sprintf("%s holds privileged security profile %q but is not an approved privileged user", [a.userName, lib.agent_profile(a).securityProfileName]),
		"resource": lib.agent_ref(a),
		"path": "/profileId",
	}
}

# METADATA
# title: Nobody administers both employees and security profiles
# description: Segregation of duties - one person who can both create or edit employees and edit security profiles can grant themselves or anyone any access without a second person.
# custom:
#   id: CX-CC6.3-02
#   controls: [CC6.3]
#   severity: high
#   remediation: Split employee administration and security-profile administration across two profiles held by different people, or record a break-glass exception in the tenant's sod_exceptions.
deny_segregation_of_duties contains finding if {
	lib.applies
	some a in input.resources.agents
	a.isActive == true
	not lib.listed(a, lib.setting("sod_exceptions"))
	p := lib.agent_profile(a)
	lib.grants_any(p, lib.setting("user_admin_permissions"))
	lib.grants_any(p, lib.setting("profile_admin_permissions"))
	finding := {
		"msg": sprintf("%s can administer both employees and security profiles (security profile %q)", [a.userName, p.securityProfileName]),
		"resource": lib.agent_ref(a),
		"path": "/profileId",
	}
}

# METADATA
# title: Locked or inactive agents hold no supervisory profile
# description: An agent that is locked or inactive but still holds a supervisor or privileged security profile keeps that access the moment it is unlocked or reactivated, without a new approval.
# custom:
#   id: CX-CC6.2-03
#   controls: [CC6.2]
#   severity: high
#   remediation: Move the agent to a non-supervisory security profile before locking or deactivating it.
deny_inactive_agent_with_supervisor_profile contains finding if {
	lib.applies
	some a in input.resources.agents
	inactive_or_locked(a)
	lib.id_text(a.profileId) in lib.supervisory_profile_ids
	finding := {
		"msg": sprintf("%s is %s but still holds supervisory security profile %q", [a.userName, why(a), lib.agent_profile(a).securityProfileName]),
		"resource": lib.agent_ref(a),
		"path": "/profileId",
	}
}

inactive_or_locked(a) if a.isActive == false

inactive_or_locked(a) if a.locked == true

why(a) := "locked and inactive" if {
	a.locked == true
	a.isActive == false
} else := "locked" if {
	a.locked == true
} else := "inactive"
