package soc2.cxone.change_test

import data.soc2.cxone.change
import rego.v1

inp := {"metadata": {"platform": "nice-cxone", "tenant": "t"}, "resources": {}}

test_drift_on_a_controlled_type_is_denied if {
	drift := [{"resource_type": "security_profiles", "resource_id": "1005", "resource_name": "Security Administrator", "change": "added", "path": "/permissions/Employees"}]
	some f in change.deny_unapproved_change with input as inp with data.driftgate.drift as drift
	f.msg == "unapproved change to security_profiles \"Security Administrator\": added at /permissions/Employees"
}

test_a_nameless_item_uses_its_id_and_uncontrolled_types_pass if {
	some f in change.deny_unapproved_change with input as inp
		with data.driftgate.drift as [{"resource_type": "agents", "resource_id": "30006", "resource_name": null, "change": "removed", "path": ""}]
	f.msg == "unapproved change to agents \"30006\": removed"
	count(change.deny_unapproved_change) == 0 with input as inp
		with data.driftgate.drift as [{"resource_type": "dispositions", "resource_id": "d", "resource_name": "x", "change": "added", "path": ""}]
}

test_rules_of_the_pack_do_not_apply_to_another_platform if {
	genesys := {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {}}
	drift := [{"resource_type": "roles", "resource_id": "r1", "resource_name": "R", "change": "modified", "path": "/x", "before": 1, "after": 2}]
	count(change.deny_unapproved_change) == 0 with input as genesys with data.driftgate.drift as drift
}

pipeline := "c0ffee00-0000-4000-8000-00000000c1cd"

ev(client) := {"event_id": "e1", "at": "2026-11-20T10:00:00Z", "user": {"id": "u1", "name": "Dana Ortiz"}, "client_id": client, "action": "Update", "service": "PeoplePermissions", "properties": []}

test_change_through_the_approved_pipeline_passes if {
	drift := [{"resource_type": "roles", "resource_id": "r1", "resource_name": "Admin", "change": "modified", "path": "/permissions", "changed_by": [ev(pipeline)]}]
	count(change.deny_unapproved_change) == 0 with input as inp with data.driftgate.drift as drift with data.soc2.cxone.params.approved_change_clients as [pipeline]
}

test_change_by_a_person_in_the_admin_ui_is_denied if {
	drift := [{"resource_type": "roles", "resource_id": "r1", "resource_name": "Admin", "change": "modified", "path": "/permissions", "changed_by": [ev(pipeline), ev("admin-ui-client")]}]
	count(change.deny_unapproved_change) == 1 with input as inp with data.driftgate.drift as drift with data.soc2.cxone.params.approved_change_clients as [pipeline]
}

test_an_attributed_change_without_approved_clients_is_denied if {
	drift := [{"resource_type": "roles", "resource_id": "r1", "resource_name": "Admin", "change": "modified", "path": "/permissions", "changed_by": [ev(pipeline)]}]
	count(change.deny_unapproved_change) == 1 with input as inp with data.driftgate.drift as drift
}

test_unattributed_change_is_denied if {
	drift := [{"resource_type": "roles", "resource_id": "r1", "resource_name": "Admin", "change": "modified", "path": "/permissions", "changed_by": [], "unattributed": true}]
	some f in change.deny_unattributed_change with input as inp with data.driftgate.drift as drift with data.driftgate.run.attribution as {"covered": true}
	f.msg == "change to roles \"Admin\" (modified at /permissions) has no audit event: an out-of-band change or a hole in the audit trail"
	f.resource == {"type": "roles", "id": "r1", "name": "Admin"}
}

test_a_window_not_covered_claims_nothing if {
	drift := [{"resource_type": "roles", "resource_id": "r1", "resource_name": "Admin", "change": "modified", "path": "/permissions", "attribution": "not_covered"}]
	count(change.deny_unattributed_change) == 0 with input as inp with data.driftgate.drift as drift
	count(change.deny_unapproved_change) == 1 with input as inp with data.driftgate.drift as drift
}

test_attributed_and_uncontrolled_changes_are_not_unattributed if {
	drift := [
		{"resource_type": "roles", "resource_id": "r1", "resource_name": "Admin", "change": "modified", "path": "", "changed_by": [ev("x")]},
		{"resource_type": "campaigns", "resource_id": "p", "resource_name": "x", "change": "added", "path": "", "changed_by": [], "unattributed": true},
	]
	count(change.deny_unattributed_change) == 0 with input as inp with data.driftgate.drift as drift with data.driftgate.run.attribution as {"covered": true}
}
