package soc2.genesys.change_test

import data.soc2.genesys.change
import rego.v1

inp := {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {}}

test_drift_on_controlled_type_is_denied if {
	drift := [{"resource_type": "roles", "resource_id": "r1", "resource_name": "Admin", "change": "modified", "path": "/permissions", "before": null, "after": "x:y:z"}]
	some f in change.deny_unapproved_change with input as inp with data.driftgate.drift as drift
	f.path == "/permissions"
	f.resource == {"type": "roles", "id": "r1", "name": "Admin"}
	f.msg == "unapproved change to roles \"Admin\": modified at /permissions"
}

test_whole_item_change_without_name_uses_the_id if {
	drift := [{"resource_type": "skills", "resource_id": "s1", "resource_name": null, "change": "removed", "path": ""}]
	some f in change.deny_unapproved_change with input as inp with data.driftgate.drift as drift
	f.msg == "unapproved change to skills \"s1\": removed"
}

test_drift_on_uncontrolled_type_passes if {
	drift := [{"resource_type": "presence_definitions", "resource_id": "p", "resource_name": "x", "change": "added", "path": ""}]
	count(change.deny_unapproved_change) == 0 with input as inp with data.driftgate.drift as drift
}

test_no_drift_passes if {
	count(change.deny_unapproved_change) == 0 with input as inp with data.driftgate.drift as []
}

pipeline := "c0ffee00-0000-4000-8000-00000000c1cd"

ev(client) := {"event_id": "e1", "at": "2026-11-20T10:00:00Z", "user": {"id": "u1", "name": "Dana Ortiz"}, "client_id": client, "action": "Update", "service": "PeoplePermissions", "properties": []}

test_change_through_the_approved_pipeline_passes if {
	drift := [{"resource_type": "roles", "resource_id": "r1", "resource_name": "Admin", "change": "modified", "path": "/permissions", "changed_by": [ev(pipeline)]}]
	count(change.deny_unapproved_change) == 0 with input as inp with data.driftgate.drift as drift with data.soc2.genesys.params.approved_change_clients as [pipeline]
}

test_change_by_a_person_in_the_admin_ui_is_denied if {
	drift := [{"resource_type": "roles", "resource_id": "r1", "resource_name": "Admin", "change": "modified", "path": "/permissions", "changed_by": [ev(pipeline), ev("admin-ui-client")]}]
	count(change.deny_unapproved_change) == 1 with input as inp with data.driftgate.drift as drift with data.soc2.genesys.params.approved_change_clients as [pipeline]
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
		{"resource_type": "presence_definitions", "resource_id": "p", "resource_name": "x", "change": "added", "path": "", "changed_by": [], "unattributed": true},
	]
	count(change.deny_unattributed_change) == 0 with input as inp with data.driftgate.drift as drift with data.driftgate.run.attribution as {"covered": true}
}
