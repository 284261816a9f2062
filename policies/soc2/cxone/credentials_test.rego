package soc2.cxone.credentials_test

import data.soc2.cxone.credentials
import rego.v1

key(id, owner, active) := {"accessKeyId": id, "agentId": owner, "userId": sprintf("u%d", [owner]), "isActive": active}

snap(keys) := {
	"metadata": {"platform": "nice-cxone", "tenant": "t", "collected_at": "2026-11-22T08:00:00Z"},
	"resources": {
		"access_keys": keys,
		"agents": [
			{"agentId": 1, "userName": "on@x", "isActive": true},
			{"agentId": 2, "userName": "off@x", "isActive": false},
		],
		"users": [
			{"id": "u1", "userName": "on@x", "status": "ACTIVE"},
			{"id": "u2", "userName": "off@x", "status": "BLOCKED"},
		],
	},
}

observed(used) := {"access_keys": {k: {"lastUsedDate": d} | some k, d in used}}

test_a_key_idle_past_the_limit_is_denied_as_of_collection if {
	findings := credentials.deny_idle_access_key with input as snap([key("A", 1, true)])
		with data.driftgate.observed as observed({"A": "2026-08-01T08:00:00Z"})
	some f in findings
	f.msg == "access key A has not been used for 113 days (limit 90)"
	f.resource.id == "A"
}

test_a_recently_used_or_inactive_key_passes if {
	count(credentials.deny_idle_access_key) == 0 with input as snap([key("A", 1, true), key("B", 1, false)])
		with data.driftgate.observed as observed({"A": "2026-11-01T08:00:00Z"})
}

test_a_never_used_active_key_is_denied if {
	some f in credentials.deny_idle_access_key with input as snap([key("A", 1, true)]) with data.driftgate.observed as {}
	f.msg == "access key A is active and has never been used"
}

test_the_idle_limit_is_a_tenant_setting if {
	count(credentials.deny_idle_access_key) == 0 with input as snap([key("A", 1, true)])
		with data.driftgate.observed as observed({"A": "2026-08-01T08:00:00Z"})
		with data.soc2.cxone.tenants as {"t": {"max_access_key_idle_days": 180}}
}

test_an_active_key_of_an_inactive_owner_is_denied_per_reason if {
	findings := credentials.deny_access_key_of_inactive_owner with input as snap([key("A", 2, true), key("B", 1, true), key("C", 2, false)])
	{f.path | some f in findings} == {"/agentId", "/userId"}
	every f in findings {
		f.resource.id == "A"
	}
}
