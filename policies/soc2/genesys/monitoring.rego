# METADATA
# title: Genesys Cloud monitoring
# description: Whether the audit trail is being collected, and whether workforce changes carry approvals.
# custom:
#   platform: genesys-cloud
package soc2.genesys.monitoring

import data.soc2.genesys.lib
import rego.v1

# METADATA
# title: Audit-log collection is current
# description: The audit-log checkpoint (data.driftgate.run.audit.checkpoint, written by `driftgate audit pull`) must be less than max_audit_lag_hours old at the time of the run.
# custom:
#   id: GC-CC7.2-01
#   controls: [CC7.2]
#   severity: high
#   remediation: Check the scheduled `driftgate audit pull` job; events older than the platform's retention are lost for good.
deny_audit_lag contains finding if {
	lib.applies
	checkpoint := data.driftgate.run.audit.checkpoint
	lag_ns := time.parse_rfc3339_ns(data.driftgate.run.time) - time.parse_rfc3339_ns(checkpoint)
	max_hours := lib.setting("max_audit_lag_hours")
	lag_ns > ((max_hours * 3600) * 1000000000)
	finding := {
		"msg": sprintf("audit-log collection is %d h behind (checkpoint %s); at most %d h are allowed", [round(lag_ns / 3600000000000), checkpoint, max_hours]),
		"resource": lib.org_ref,
	}
}

# METADATA
# title: Workforce management changes carry approval metadata
# description: When the tenant records approvals on WFM objects (wfm_approval_field), every changed business or management unit must carry one.
# custom:
#   id: GC-CC7.2-02
#   controls: [CC7.2, CC8.1]
#   severity: medium
#   reads: [drift, wfm_business_units, wfm_management_units]
#   remediation: Record the approval on the object, or revert the change.
deny_wfm_change_unapproved contains finding if {
	lib.applies
	field := lib.setting("wfm_approval_field")
	field != null
	some d in data.driftgate.drift
	d.resource_type in {"wfm_business_units", "wfm_management_units"}
	d.change != "removed"
	some item in input.resources[d.resource_type]
	item.id == d.resource_id
	object.get(item, field, "") == ""
	finding := {
		"msg": sprintf("%s %s changed without approval metadata (%s)", [d.resource_type, d.resource_id, field]),
		"resource": {"type": d.resource_type, "id": d.resource_id},
		"path": d.path,
	}
}
