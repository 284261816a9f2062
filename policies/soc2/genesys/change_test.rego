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
