package soc2.genesys.vendors_test

import data.soc2.genesys.vendors
import rego.v1

trustee(org, expires, extra) := object.union(
	{"id": org, "enabled": true, "organization": {"id": org, "name": sprintf("Org %s", [org])}, "dateExpired": expires},
	extra,
)

snap(ts) := {"metadata": {"platform": "genesys-cloud", "tenant": "t", "collected_at": "2026-11-15T08:00:00Z"}, "resources": {"trustees": ts}}

approved := {"t": {"approved_trustees": ["care"]}}

test_unapproved_trustee_is_denied if {
	ids := {f.resource.id | some f in vendors.deny_unapproved_trustee with input as snap([trustee("care", "2026-12-01T00:00:00Z", {}), trustee("bpo", "2026-12-01T00:00:00Z", {})]) with data.soc2.genesys.tenants as approved}
	ids == {"bpo"}
}

test_disabled_trustee_is_not_judged if {
	count(vendors.deny_unapproved_trustee) == 0 with input as snap([trustee("bpo", null, {"enabled": false})]) with data.soc2.genesys.tenants as approved
}

test_trust_without_or_with_a_far_expiry_is_denied if {
	msgs := {f.msg | some f in vendors.deny_trustee_without_expiry with input as snap([trustee("a", null, {}), trustee("b", "2027-11-15T08:00:00Z", {}), trustee("c", "2026-12-15T08:00:00Z", {})])}
	msgs == {"the trust of \"Org a\" never expires", "the trust of \"Org b\" expires in 365 days, more than 90"}
}

test_admin_by_default_is_denied if {
	paths := {f.path | some f in vendors.deny_trustee_admin_by_default with input as snap([trustee("a", null, {"usesDefaultRole": true, "hasFullAccess": true}), trustee("b", null, {"usesDefaultRole": false})])}
	paths == {"/usesDefaultRole", "/hasFullAccess"}
}

roles := [{"id": "adm", "name": "admin", "permissions": ["authorization:grant:add"]}, {"id": "view", "name": "Viewer", "permissions": ["analytics:report:view"]}]

test_a_trustee_user_with_a_privileged_role_is_denied if {
	t := trustee("bpo", null, {"trustee_users": [
		{"id": "u1", "name": "Lead", "roles": [{"id": "adm"}, {"id": "view"}]},
		{"id": "u2", "name": "Agent", "roles": [{"id": "view"}]},
	]})
	inp := {"metadata": {"platform": "genesys-cloud", "tenant": "t", "collected_at": "2026-11-15T08:00:00Z"}, "resources": {"trustees": [t], "roles": roles}}
	paths := {f.path | some f in vendors.deny_trustee_user_privileged with input as inp}
	paths == {"/trustee_users/u1/roles/adm"}
}

test_a_disabled_trust_and_plain_roles_pass if {
	off := trustee("old", null, {"enabled": false, "trustee_users": [{"id": "u1", "name": "X", "roles": [{"id": "adm"}]}]})
	ok := trustee("care", null, {"trustee_users": [{"id": "u2", "name": "Y", "roles": [{"id": "view"}]}]})
	inp := {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {"trustees": [off, ok], "roles": roles}}
	count(vendors.deny_trustee_user_privileged) == 0 with input as inp
}
