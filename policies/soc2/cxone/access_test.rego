package soc2.cxone.access_test

import data.soc2.cxone.access
import rego.v1

profiles := [
	{"securityProfileId": 1, "securityProfileName": "Administrator", "permissions": [
		{"permissionKey": "Employees", "optionKeys": ["View", "Edit"]},
		{"permissionKey": "SecurityProfiles", "optionKeys": ["View", "Edit"]},
	]},
	{"securityProfileId": 2, "securityProfileName": "Supervisor", "permissions": [{"permissionKey": "Supervisor", "optionKeys": ["View"]}]},
	{"securityProfileId": 3, "securityProfileName": "Agent", "permissions": [{"permissionKey": "Agent", "optionKeys": ["View"]}]},
	{"securityProfileId": 4, "securityProfileName": "User Admin", "permissions": [{"permissionKey": "Employees", "optionKeys": ["Create"]}]},
]

agent(id, profile, active, locked) := {"agentId": id, "userName": sprintf("agent%d@x", [id]), "profileId": profile, "isActive": active, "locked": locked}

snap(agents) := {"metadata": {"platform": "nice-cxone", "tenant": "t"}, "resources": {"security_profiles": profiles, "agents": agents}}

approved := {"t": {"approved_privileged_agents": ["7"], "sod_exceptions": ["agent7@x"]}}

test_unapproved_holder_of_a_privileged_profile_is_denied if {
	some f in access.deny_unapproved_privileged_profile with input as snap([agent(9, 4, true, false)])
	f.resource == {"type": "agents", "id": "9", "name": "agent9@x"}
	contains(f.msg, "\"User Admin\"")
}

test_approved_holder_passes_by_id_and_inactive_holders_are_left_to_another_rule if {
	count(access.deny_unapproved_privileged_profile) == 0 with input as snap([agent(7, 1, true, false), agent(8, 1, false, false)])
		with data.soc2.cxone.tenants as approved
}

test_unprivileged_profiles_pass if {
	count(access.deny_unapproved_privileged_profile) == 0 with input as snap([agent(9, 2, true, false), agent(10, 3, true, false), agent(11, 99, true, false)])
}

test_employee_and_profile_administration_in_one_profile_is_denied_unless_excepted if {
	count(access.deny_segregation_of_duties) == 1 with input as snap([agent(7, 1, true, false)])
	count(access.deny_segregation_of_duties) == 0 with input as snap([agent(7, 1, true, false)])
		with data.soc2.cxone.tenants as approved
}

test_split_duties_pass if {
	count(access.deny_segregation_of_duties) == 0 with input as snap([agent(9, 4, true, false), agent(10, 2, true, false)])
}

test_locked_or_inactive_supervisors_are_denied if {
	findings := access.deny_inactive_agent_with_supervisor_profile with input as snap([
		agent(1, 2, false, false),
		agent(2, 2, true, true),
		agent(3, 1, false, true),
		agent(4, 3, false, true),
		agent(5, 2, true, false),
	])
	msgs := {f.msg | some f in findings}
	msgs == {
		"agent1@x is inactive but still holds supervisory security profile \"Supervisor\"",
		"agent2@x is locked but still holds supervisory security profile \"Supervisor\"",
		"agent3@x is locked and inactive but still holds supervisory security profile \"Administrator\"",
	}
}

test_string_and_number_ids_match if {
	a := object.union(agent(9, "4", true, false), {"agentId": "9"})
	count(access.deny_unapproved_privileged_profile) == 1 with input as snap([a])
}
