package soc2.genesys.resilience_test

import data.soc2.genesys.resilience
import rego.v1

site(id, secondary) := {"id": id, "name": id, "secondarySites": secondary}

base(id, site_id) := {"id": id, "name": id, "site": {"id": site_id}}

trunk(id, base_id, in_service) := {"id": id, "name": id, "trunkType": "EXTERNAL", "inService": in_service, "trunkBase": {"id": base_id}}

snap(sites, bases, trunks) := {
	"metadata": {"platform": "genesys-cloud", "tenant": "t"},
	"resources": {"sites": sites, "trunk_base_settings": bases, "trunks": trunks},
}

test_site_with_one_trunk_and_no_failover_is_denied if {
	count(resilience.deny_site_without_redundancy) == 1 with input as snap([site("hq", [])], [base("b1", "hq")], [trunk("t1", "b1", true), trunk("t2", "b1", false)])
}

test_site_with_two_trunks_passes if {
	count(resilience.deny_site_without_redundancy) == 0 with input as snap([site("hq", [])], [base("b1", "hq"), base("b2", "hq")], [trunk("t1", "b1", true), trunk("t2", "b2", true)])
}

test_site_with_a_secondary_site_passes if {
	count(resilience.deny_site_without_redundancy) == 0 with input as snap([site("hq", [{"id": "dr"}])], [base("b1", "hq")], [trunk("t1", "b1", true)])
}

test_site_without_trunks_is_not_judged if {
	count(resilience.deny_site_without_redundancy) == 0 with input as snap([site("cloud", [])], [base("b1", "hq")], [trunk("t1", "b1", true), trunk("t2", "b1", true)])
}

queue(name, rings, rules) := {"id": name, "name": name, "bullseye": {"rings": rings}, "conditionalGroupRouting": {"rules": rules}}

qsnap(qs) := {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {"queues": qs}}

critical := {"t": {"critical_queues": ["Billing"]}}

test_critical_queue_without_overflow_is_denied if {
	ids := {f.resource.id | some f in resilience.deny_critical_queue_without_overflow with input as qsnap([queue("Billing", [{}], []), queue("Other", [], [])]) with data.soc2.genesys.tenants as critical}
	ids == {"Billing"}
}

test_critical_queue_with_rings_or_rules_passes if {
	count(resilience.deny_critical_queue_without_overflow) == 0 with input as qsnap([queue("Billing", [{}, {}], [])]) with data.soc2.genesys.tenants as critical
	count(resilience.deny_critical_queue_without_overflow) == 0 with input as qsnap([queue("Billing", [], [{"queue": "x"}])]) with data.soc2.genesys.tenants as critical
}

test_critical_queues_by_id if {
	count(resilience.deny_critical_queue_without_overflow) == 1 with input as qsnap([{"id": "q-1", "name": "Payments"}]) with data.soc2.genesys.tenants as {"t": {"critical_queues": ["q-1"]}}
}
