package soc2.genesys.access_test

import data.soc2.genesys.access
import rego.v1

roles := [
	{"id": "admin", "name": "admin", "defaultRoleId": "admin", "permissions": ["*:*:*"]},
	{"id": "emp", "name": "employee", "defaultRoleId": "employee", "permissions": ["directory:user:view"]},
	{"id": "tel", "name": "Telephony Admin", "permissions": ["telephony:plugin:all"]},
	{"id": "ua", "name": "User Admin", "permissions": ["directory:user:add", "authorization:grant:add"]},
	{"id": "sup", "name": "Queue Supervisor", "permissions": ["routing:queue:edit"]},
]

user(id, state, role_ids) := {"id": id, "name": id, "state": state, "authorization": {"roles": [{"id": r} | some r in role_ids]}}

snap(users) := {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {"roles": roles, "users": users}}

approved := {"t": {"approved_privileged_users": ["alice"], "sod_exceptions": ["alice"]}}

test_unapproved_privileged_holder_is_denied if {
	findings := access.deny_unapproved_privileged with input as snap([user("bob", "active", ["emp", "tel"])])
	count(findings) == 1
	some f in findings
	f.path == "/authorization/roles/tel"
}

test_approved_privileged_holder_passes if {
	count(access.deny_unapproved_privileged) == 0 with input as snap([user("alice", "active", ["admin"])])
		with data.soc2.genesys.tenants as approved
}

test_deleted_privileged_holder_is_left_to_the_inactive_rule if {
	count(access.deny_unapproved_privileged) == 0 with input as snap([user("bob", "deleted", ["admin"])])
}

test_unprivileged_user_passes if {
	count(access.deny_unapproved_privileged) == 0 with input as snap([user("carol", "active", ["emp", "sup"])])
}

test_grant_and_telephony_admin_in_one_person_is_denied if {
	count(access.deny_segregation_of_duties) == 1 with input as snap([user("bob", "active", ["ua", "tel"])])
}

test_wildcard_admin_breaks_segregation_unless_excepted if {
	count(access.deny_segregation_of_duties) == 1 with input as snap([user("alice", "active", ["admin"])])
	count(access.deny_segregation_of_duties) == 0 with input as snap([user("alice", "active", ["admin"])])
		with data.soc2.genesys.tenants as approved
}

test_split_duties_pass if {
	count(access.deny_segregation_of_duties) == 0 with input as snap([user("bob", "active", ["ua"]), user("dan", "active", ["tel"])])
}

test_custom_wildcard_role_is_denied if {
	wild := array.concat(roles, [{"id": "w", "name": "Wild", "permissions": ["routing:*:*"]}])
	some f in access.deny_wildcard_role with input as {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {"roles": wild}}
	f.permission == "routing:*:*"
}

test_builtin_admin_wildcard_passes if {
	count(access.deny_wildcard_role) == 0 with input as snap([])
}

test_inactive_user_with_role_is_denied if {
	count(access.deny_inactive_user_with_roles) == 1 with input as snap([user("eve", "inactive", ["emp", "sup"])])
}

test_deleted_user_with_role_is_denied if {
	count(access.deny_inactive_user_with_roles) == 1 with input as snap([user("eve", "deleted", ["sup"])])
}

test_inactive_user_with_only_default_role_passes if {
	count(access.deny_inactive_user_with_roles) == 0 with input as snap([user("eve", "inactive", ["emp"])])
}

test_active_user_with_roles_passes_inactive_rule if {
	count(access.deny_inactive_user_with_roles) == 0 with input as snap([user("eve", "active", ["sup"])])
}

test_rules_of_the_pack_do_not_apply_to_another_platform if {
	other := {"metadata": {"platform": "nice-cxone", "tenant": "t"}, "resources": {"roles": roles, "users": [user("bob", "active", ["emp", "tel"])]}}
	count(access.deny_unapproved_privileged) == 0 with input as other
}
