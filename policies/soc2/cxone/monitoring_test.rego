package soc2.cxone.monitoring_test

import data.soc2.cxone.monitoring
import rego.v1

run(prev, baseline) := {"time": "2026-11-22T08:00:00Z", "previous_run": prev, "baseline": baseline}

snap := {"metadata": {"platform": "nice-cxone", "tenant": "t"}, "resources": {"business_unit": [{"businessUnitId": 1, "businessUnitName": "BU"}]}}

test_a_late_run_is_denied if {
	findings := monitoring.deny_monitoring_gap with input as snap with data.driftgate.run as run({"sequence": 3, "at": "2026-11-19T08:00:00Z"}, null)
	[f.resource.id | some f in findings] == ["1"]
}

test_a_run_on_schedule_passes if {
	count(monitoring.deny_monitoring_gap) == 0 with input as snap with data.driftgate.run as run({"sequence": 3, "at": "2026-11-21T20:00:00Z"}, null)
}

test_baseline_git_state_is_judged if {
	count(monitoring.deny_baseline_modified) == 1 with input as snap with data.driftgate.run as run(null, {"source": "b", "git": {"commit": "c", "modified": true}})
	count(monitoring.warn_baseline_not_committed) == 1 with input as snap with data.driftgate.run as run(null, {"source": "b"})
	count(monitoring.warn_baseline_not_committed) == 0 with input as snap with data.driftgate.run as run(null, {"source": "b", "git": {"commit": "c", "modified": false}})
}

test_a_tenant_without_a_business_unit_item_is_named_by_tenant if {
	findings := monitoring.warn_baseline_not_committed with input as {"metadata": {"platform": "nice-cxone", "tenant": "globex"}, "resources": {}} with data.driftgate.run as run(null, {"source": "b"})
	[f.resource.id | some f in findings] == ["globex"]
}

test_an_item_quarantined_for_days_is_denied if {
	q := [{"resource_type": "agents", "resource_id": "7"}]
	run := {"time": "2026-11-22T08:00:00Z", "quarantine_history": {"agents/7": {"since": "2026-11-10T08:00:00Z", "runs": 12}}}
	count(monitoring.deny_long_quarantine) == 1 with input as snap with data.driftgate.quarantined as q with data.driftgate.run as run
	count(monitoring.deny_long_quarantine) == 0 with input as snap with data.driftgate.quarantined as [] with data.driftgate.run as run
}
