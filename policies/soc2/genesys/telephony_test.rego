package soc2.genesys.telephony_test

import data.soc2.genesys.telephony
import rego.v1

trunk(acl, protocol) := {
	"id": "tb1", "name": "Carrier",
	"properties": {
		"trunk_access_acl_allowList": {"value": {"default": [], "instance": acl}},
		"trunk_transport_protocol": {"value": {"default": "UDP", "instance": protocol}},
	},
}

snap(t) := {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {"trunk_base_settings": [t]}}

carriers := {"t": {"approved_carrier_cidrs": ["198.51.100.0/24"]}}

test_acl_entry_outside_carriers_is_denied if {
	entries := {f.entry | some f in telephony.deny_trunk_acl_outside_carriers with input as snap(trunk(["198.51.100.0/28", "10.0.0.0/8"], "TLS")) with data.soc2.genesys.tenants as carriers}
	entries == {"10.0.0.0/8"}
}

test_acl_inside_carriers_passes if {
	count(telephony.deny_trunk_acl_outside_carriers) == 0 with input as snap(trunk(["198.51.100.16/28"], "TLS")) with data.soc2.genesys.tenants as carriers
}

test_unverifiable_acl_warns if {
	count(telephony.warn_carrier_cidrs_missing) == 1 with input as snap(trunk(["198.51.100.0/28"], "TLS"))
}

test_verifiable_acl_does_not_warn if {
	count(telephony.warn_carrier_cidrs_missing) == 0 with input as snap(trunk(["198.51.100.0/28"], "TLS")) with data.soc2.genesys.tenants as carriers
}

test_udp_trunk_is_denied if {
	count(telephony.deny_trunk_not_tls) == 1 with input as snap(trunk([], "UDP"))
}

test_default_protocol_applies_when_no_instance_value if {
	count(telephony.deny_trunk_not_tls) == 1 with input as snap(trunk([], null))
}

test_tls_trunk_passes if {
	count(telephony.deny_trunk_not_tls) == 0 with input as snap(trunk([], "TLS"))
}

test_trunk_without_an_acl_has_no_acl_finding if {
	no_acl := {"id": "tb2", "name": "Carrier", "properties": {"trunk_transport_protocol": {"value": {"instance": "TLS"}}}}
	count(telephony.deny_trunk_acl_outside_carriers) == 0 with input as snap(no_acl) with data.soc2.genesys.tenants as carriers
}
