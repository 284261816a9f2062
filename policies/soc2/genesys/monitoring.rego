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

# METADATA
# title: Configuration monitoring runs on schedule
# description: The tenant's previous daily run (data.driftgate.run.previous_run, the head of its evidence chain, which `driftgate run` provides) must be no more than max_run_gap_hours before this one; a gap is a period in which drift went undetected.
# custom:
#   id: GC-CC7.1-01
#   controls: [CC7.1]
#   severity: high
#   reads: [run.previous_run]
#   remediation: Check the scheduler of `driftgate run`; the report for the period shows the days without a run.
deny_monitoring_gap contains finding if {
	lib.applies
	prev := data.driftgate.run.previous_run
	is_string(prev.at)
	gap := (time.parse_rfc3339_ns(data.driftgate.run.time) - time.parse_rfc3339_ns(prev.at)) / ns_per_hour
	gap > lib.setting("max_run_gap_hours")
	finding := {
		"msg": sprintf("the previous run (sequence %d, %s) was %d h before this one; at most %d h are allowed", [prev.sequence, prev.at, round(gap), lib.setting("max_run_gap_hours")]),
		"resource": lib.org_ref,
	}
}

ns_per_hour := (60 * 60) * 1000000000

# METADATA
# title: The baseline compared is unmodified
# description: Drift is only detected against an approved baseline, so the baseline a run compares with must not have uncommitted changes in its git work tree (data.driftgate.run.baseline.git.modified).
# custom:
#   id: GC-CC7.1-02
#   controls: [CC7.1]
#   severity: high
#   reads: [run.baseline]
#   remediation: Commit the baseline through review (driftgate baseline update, then a pull request), or compare with git:REV:PATH.
deny_baseline_modified contains finding if {
	lib.applies
	b := data.driftgate.run.baseline
	is_object(b)
	b.git.modified == true
	finding := {"msg": sprintf("baseline %s has uncommitted changes in the work tree", [b.source]), "resource": lib.org_ref}
}

# METADATA
# title: The baseline compared is committed
# description: A baseline outside git has no record of who approved it; the run still compares with it, and says so.
# custom:
#   id: GC-CC7.1-03
#   controls: [CC7.1]
#   severity: low
#   reads: [run.baseline]
#   remediation: Keep baselines in the configuration repository and change them through review.
warn_baseline_not_committed contains finding if {
	lib.applies
	b := data.driftgate.run.baseline
	is_object(b)
	not is_string(object.get(b, ["git", "commit"], null))
	finding := {"msg": sprintf("baseline %s is not in git, so no approval of it is recorded", [b.source]), "resource": lib.org_ref}
}

# METADATA
# title: Quarantined items do not stay quarantined
# description: No rule evaluates an item the schema gate quarantines, so one quarantined in every run for more than max_quarantine_days (data.driftgate.run.quarantine_history, from the evidence chain) is a standing blind spot of the monitoring.
# custom:
#   id: GC-CC7.1-04
#   controls: [CC7.1]
#   severity: medium
#   reads: [run.quarantine_history]
#   remediation: Fix the item (or the schema, if the platform changed its shape) so that it validates; the report's quarantine section gives the schema errors.
deny_long_quarantine contains finding if {
	lib.applies
	some q in data.driftgate.quarantined
	h := data.driftgate.run.quarantine_history[sprintf("%s/%s", [q.resource_type, q.resource_id])]
	days := (time.parse_rfc3339_ns(data.driftgate.run.time) - time.parse_rfc3339_ns(h.since)) / ns_per_day
	days > lib.setting("max_quarantine_days")
	finding := {
		"msg": sprintf("%s %s has been quarantined since %s (%d run(s) before this one); at most %d day(s) are allowed", [q.resource_type, q.resource_id, h.since, h.runs, lib.setting("max_quarantine_days")]),
		"resource": {"type": q.resource_type, "id": q.resource_id},
	}
}

ns_per_day := ((24 * 60) * 60) * 1000000000
