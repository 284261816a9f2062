# METADATA
# title: NICE CXone change management
# custom:
#   platform: nice-cxone
package soc2.cxone.change

import data.soc2.cxone.lib
import rego.v1

# METADATA
# title: Configuration matches the approved baseline
# description: Every difference from the approved baseline on a controlled resource type is a change that did not go through review. Approve intended changes by merging an updated baseline.
# custom:
#   id: CX-CC8.1-01
#   controls: [CC8.1]
#   severity: high
#   remediation: If the change was intended, run `driftgate baseline update` and merge the reviewed baseline; otherwise revert it in CXone.
deny_unapproved_change contains finding if {
	lib.applies
	some d in data.driftgate.drift
	d.resource_type in controlled_types
	name := label(d)
	finding := {
		"msg": sprintf("unapproved change to %s %q: %s%s", [d.resource_type, name, d.change, at(d.path)]),
		"resource": {"type": d.resource_type, "id": d.resource_id, "name": name},
		"path": d.path,
		"change": d.change,
	}
}

# The resource types whose drift is a change to approve, read once rather than per record.
controlled_types := lib.setting("controlled_types")

label(d) := d.resource_name if {
	is_string(d.resource_name)
} else := d.resource_id

at(path) := "" if {
	path == ""
} else := sprintf(" at %s", [path])
