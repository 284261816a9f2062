package soc2.genesys.retention_test

import data.soc2.genesys.retention
import rego.v1

snap(res) := {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": res}

keep(days) := {"retainRecording": true, "retentionDuration": {"deleteRetention": {"days": days}}}

policy(id, actions) := {"id": id, "name": id, "enabled": true, "mediaPolicies": {"callPolicy": {"actions": actions}}}

committed := {"t": {"recording_retention_days": 365, "confidential_queues": ["Billing"]}}

test_confidential_queue_recording_is_denied if {
	res := {"queues": [{"id": "b", "name": "Billing", "suppressInQueueCallRecording": false}, {"id": "s", "name": "Sales"}]}
	ids := {f.resource.id | some f in retention.deny_confidential_queue_records with input as snap(res) with data.soc2.genesys.tenants as committed}
	ids == {"b"}
}

test_confidential_queue_by_id_suppressing_passes if {
	res := {"queues": [{"id": "b", "name": "Payments", "suppressInQueueCallRecording": true}]}
	count(retention.deny_confidential_queue_records) == 0 with input as snap(res) with data.soc2.genesys.tenants as {"t": {"confidential_queues": ["b"]}}
}

test_indefinite_retention_is_denied_per_action_set if {
	p := object.union(policy("forever", {"retainRecording": true}), {"actions": keep(30)})
	paths := {f.path | some f in retention.deny_indefinite_retention with input as snap({"media_retention_policies": [p]})}
	paths == {"/mediaPolicies/callPolicy/actions"}
}

test_deleting_policies_are_not_indefinite if {
	ps := [policy("a", keep(90)), policy("b", {"alwaysDelete": true}), policy("c", {"retainRecording": false, "deleteRecording": true})]
	count(retention.deny_indefinite_retention) == 0 with input as snap({"media_retention_policies": ps})
}

test_disabled_policies_are_not_judged if {
	p := object.union(policy("off", {"retainRecording": true}), {"enabled": false})
	count(retention.deny_indefinite_retention) == 0 with input as snap({"media_retention_policies": [p]})
}

test_retention_beyond_commitment_is_denied if {
	ps := [policy("long", keep(400)), policy("short", keep(90))]
	ids := {f.resource.id | some f in retention.deny_retention_beyond_commitment with input as snap({"media_retention_policies": ps}) with data.soc2.genesys.tenants as committed}
	ids == {"long"}
}

test_no_commitment_warns_and_is_not_compared if {
	ps := [policy("long", keep(4000))]
	count(retention.deny_retention_beyond_commitment) == 0 with input as snap({"media_retention_policies": ps})
	count(retention.warn_retention_commitment_missing) == 1 with input as snap({"media_retention_policies": ps})
	count(retention.warn_retention_commitment_missing) == 0 with input as snap({"media_retention_policies": ps}) with data.soc2.genesys.tenants as committed
}

test_no_deleting_policy_is_denied if {
	count(retention.deny_no_disposal) == 1 with input as snap({"media_retention_policies": [policy("forever", {"retainRecording": true})]})
	count(retention.deny_no_disposal) == 1 with input as snap({"media_retention_policies": []})
}

test_a_deleting_policy_is_disposal if {
	count(retention.deny_no_disposal) == 0 with input as snap({"media_retention_policies": [policy("a", keep(90))]})
	count(retention.deny_no_disposal) == 0 with input as snap({"media_retention_policies": [policy("c", {"retainRecording": false, "deleteRecording": true})]})
	count(retention.deny_no_disposal) == 0 with input as snap({"media_retention_policies": [policy("b", {"alwaysDelete": true})]})
}

test_policies_not_collected_are_not_judged if {
	count(retention.deny_no_disposal) == 0 with input as snap({"queues": []})
}

cpolicy(id, actions, conditions) := {"id": id, "name": id, "enabled": true, "mediaPolicies": {"callPolicy": {"actions": actions, "conditions": conditions}}}

queues := [{"id": "q1", "name": "Billing"}, {"id": "q2", "name": "Sales"}]

test_queues_outside_every_deleting_policy_are_denied if {
	ps := [
		cpolicy("billing", keep(90), {"forQueues": [{"id": "q1"}]}),
		cpolicy("sales-short-calls", keep(30), {"forQueues": [{"id": "q2"}], "duration": {"durationTarget": "DURATION_RANGE"}}),
		cpolicy("sales-forever", {"retainRecording": true}, {"forQueues": [{"id": "q2"}]}),
	]
	ids := {f.resource.id | some f in retention.deny_queue_without_disposal with input as snap({"queues": queues, "media_retention_policies": ps})}
	ids == {"q2"}
}

test_a_deleting_policy_for_all_queues_covers_them if {
	ps := [cpolicy("all", keep(395), {"forQueues": [], "forUsers": [], "dateRanges": []})]
	count(retention.deny_queue_without_disposal) == 0 with input as snap({"queues": queues, "media_retention_policies": ps})
	legacy := [{"id": "old", "name": "old", "enabled": true, "actions": keep(90), "conditions": {}}]
	count(retention.deny_queue_without_disposal) == 0 with input as snap({"queues": queues, "media_retention_policies": legacy})
	none := [{"id": "none", "name": "none", "enabled": true}]
	count(retention.deny_queue_without_disposal) == 2 with input as snap({"queues": queues, "media_retention_policies": none})
}
