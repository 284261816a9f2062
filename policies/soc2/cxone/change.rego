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
	not pipeline_change(d)
	name := label(d)
	finding := {
		"msg": sprintf("unapproved change to %s %q: %s%s", [d.resource_type, name, d.change, at(d.path)]),
		"resource": {"type": d.resource_type, "id": d.resource_id, "name": name},
		"path": d.path,
		"change": d.change,
	}
}

# METADATA
# title: Every configuration change is in the audit trail
# description: A change to a controlled resource for which the archived audit trail holds no event, in a window it covers completely (from the baseline's approval to the snapshot), was made out of band or the audit trail has a hole. Records the archive does not cover are not judged here (`attribution` is `not_covered`), and without an audit archive (data.driftgate.run.attribution) the rule is inconclusive. Such a change is also a CC8.1 finding of the change rule, since nothing shows it went through the pipeline.
# custom:
#   id: CX-CC7.2-01
#   controls: [CC7.2]
#   severity: high
#   reads: [drift, run.attribution]
#   remediation: Find out how the change was made (a NICE support action, an integration outside the audit trail) and whether audit collection missed events; run `driftgate audit search` over the window.
deny_unattributed_change contains finding if {
	lib.applies
	some d in data.driftgate.drift
	data.driftgate.run.attribution.covered == true
	d.resource_type in controlled_types
	d.unattributed == true
	name := label(d)
	finding := {
		"msg": sprintf("change to %s %q (%s%s) has no audit event: an out-of-band change or a hole in the audit trail", [d.resource_type, name, d.change, at(d.path)]),
		"resource": {"type": d.resource_type, "id": d.resource_id, "name": name},
		"path": d.path,
		"change": d.change,
	}
}

# A change made only through the tenant's deployment pipeline: the archive attributes it, and
# every event on the resource in the window came through one of `approved_change_clients`
# (OAuth client ids, e.g. the deployment pipeline's access key). The drift record's `changed_by`
# cites the events.
pipeline_change(d) if {
	count(d.changed_by) > 0
	every e in d.changed_by {
		e.client_id in approved_clients
	}
}

approved_clients := {c | some c in lib.setting("approved_change_clients")}

# The resource types whose drift is a change to approve, read once rather than per record.
controlled_types := lib.setting("controlled_types")

label(d) := d.resource_name if {
	is_string(d.resource_name)
} else := d.resource_id

at(path) := "" if {
	path == ""
} else := sprintf(" at %s", [path])
