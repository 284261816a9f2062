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
