package soc2.genesys.monitoring_test

import data.soc2.genesys.monitoring
import rego.v1

inp := {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {"organization": [{"id": "o", "name": "Org"}], "wfm_management_units": [{"id": "mu1", "name": "MU"}, {"id": "mu2", "name": "MU2", "approval": "CHG-1"}]}}

test_stale_audit_checkpoint_is_denied if {
	run := {"time": "2026-11-22T08:00:00Z", "audit": {"checkpoint": "2026-11-20T08:00:00Z"}}
	some f in monitoring.deny_audit_lag with input as inp with data.driftgate.run as run
	contains(f.msg, "48 h behind")
}

test_current_audit_checkpoint_passes if {
	run := {"time": "2026-11-22T08:00:00Z", "audit": {"checkpoint": "2026-11-22T07:00:00Z"}}
	count(monitoring.deny_audit_lag) == 0 with input as inp with data.driftgate.run as run
}

drift := [
	{"resource_type": "wfm_management_units", "resource_id": "mu1", "change": "modified", "path": "/name"},
	{"resource_type": "wfm_management_units", "resource_id": "mu2", "change": "modified", "path": "/name"},
]

test_wfm_change_without_approval_is_denied if {
	findings := monitoring.deny_wfm_change_unapproved with input as inp with data.driftgate.drift as drift
		with data.soc2.genesys.tenants as {"t": {"wfm_approval_field": "approval"}}
	{f.resource.id | some f in findings} == {"mu1"}
}

test_wfm_rule_is_inert_when_the_tenant_records_no_approvals if {
	count(monitoring.deny_wfm_change_unapproved) == 0 with input as inp with data.driftgate.drift as drift
}

run(prev, baseline) := {"time": "2026-11-22T08:00:00Z", "previous_run": prev, "baseline": baseline}

gsnap := {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {}}

test_a_late_run_is_denied if {
	count(monitoring.deny_monitoring_gap) == 1 with input as gsnap with data.driftgate.run as run({"sequence": 7, "at": "2026-11-20T08:00:00Z"}, null)
}

test_a_run_on_schedule_and_the_first_run_pass if {
	count(monitoring.deny_monitoring_gap) == 0 with input as gsnap with data.driftgate.run as run({"sequence": 7, "at": "2026-11-21T08:00:00Z"}, null)
	count(monitoring.deny_monitoring_gap) == 0 with input as gsnap with data.driftgate.run as run({"first_run": true}, null)
}

test_a_modified_baseline_is_denied_and_an_uncommitted_one_warns if {
	modified := {"source": "b.json", "git": {"commit": "abc", "modified": true}}
	count(monitoring.deny_baseline_modified) == 1 with input as gsnap with data.driftgate.run as run(null, modified)
	count(monitoring.warn_baseline_not_committed) == 0 with input as gsnap with data.driftgate.run as run(null, modified)
	outside := {"source": "b.json", "git": null}
	count(monitoring.deny_baseline_modified) == 0 with input as gsnap with data.driftgate.run as run(null, outside)
	count(monitoring.warn_baseline_not_committed) == 1 with input as gsnap with data.driftgate.run as run(null, outside)
}

test_a_committed_baseline_passes if {
	clean := {"source": "b.json", "git": {"commit": "abc", "modified": false}}
	count(monitoring.deny_baseline_modified) == 0 with input as gsnap with data.driftgate.run as run(null, clean)
	count(monitoring.warn_baseline_not_committed) == 0 with input as gsnap with data.driftgate.run as run(null, clean)
}

qrun(history) := {"time": "2026-11-22T08:00:00Z", "quarantine_history": history}

test_an_item_quarantined_for_days_is_denied if {
	q := [{"resource_type": "users", "resource_id": "u1"}, {"resource_type": "users", "resource_id": "u2"}]
	history := {"users/u1": {"since": "2026-11-17T08:00:00Z", "runs": 5}, "users/u2": {"since": "2026-11-21T08:00:00Z", "runs": 1}}
	ids := {f.resource.id | some f in monitoring.deny_long_quarantine with input as gsnap with data.driftgate.quarantined as q with data.driftgate.run as qrun(history)}
	ids == {"u1"}
}

test_an_item_no_longer_quarantined_passes if {
	history := {"users/u1": {"since": "2026-11-01T08:00:00Z", "runs": 20}}
	count(monitoring.deny_long_quarantine) == 0 with input as gsnap with data.driftgate.quarantined as [] with data.driftgate.run as qrun(history)
}
