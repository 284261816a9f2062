# METADATA
# title: Genesys Cloud telephony
# description: Trunk base settings (GET /api/v2/telephony/providers/edges/trunkbasesettings?expand=properties). Property keys are parameters (params.trunk_properties) because they vary by trunk metabase.
# custom:
#   platform: genesys-cloud
package soc2.genesys.telephony

import data.soc2.genesys.lib
import rego.v1

props := lib.setting("trunk_properties")

tbs_ref(t) := {"type": "trunk_base_settings", "id": t.id, "name": t.name}

# A trunk property's effective value: the instance value, else the default.
property(t, key) := v if {
	v := t.properties[key].value.instance
	v != null
} else := object.get(t, ["properties", key, "value", "default"], null)

# The entries of a trunk's ACL (none when the property is absent).
acl_entries(t) := v if {
	v := property(t, props.acl)
	is_array(v)
} else := []

# METADATA
# title: SIP trunk ACLs admit only approved carrier networks
# description: Every entry of a trunk's access-control allow list must lie inside the tenant's approved_carrier_cidrs.
# custom:
#   id: GC-CC6.6-03
#   controls: [CC6.6]
#   severity: high
#   remediation: Remove the entry from the trunk's ACL, or get the carrier range approved.
deny_trunk_acl_outside_carriers contains finding if {
	lib.applies
	approved := lib.setting("approved_carrier_cidrs")
	count(approved) > 0
	some t in input.resources.trunk_base_settings
	some entry in acl_entries(t)
	not inside_any(entry, approved)
	finding := {
		"msg": sprintf("trunk %q admits %s, outside the approved carrier networks", [t.name, entry]),
		"resource": tbs_ref(t),
		"path": sprintf("/properties/%s/value/instance", [props.acl]),
		"entry": entry,
	}
}

inside_any(entry, ranges) if {
	some r in ranges
	net.cidr_contains(r, entry)
}

# METADATA
# title: Trunk ACLs can be verified
# description: A trunk with an ACL when approved_carrier_cidrs is not configured cannot be checked.
# custom:
#   id: GC-CC6.6-06
#   controls: [CC6.6]
#   severity: info
#   remediation: Add approved_carrier_cidrs to the tenant's data file.
warn_carrier_cidrs_missing contains finding if {
	lib.applies
	count(lib.setting("approved_carrier_cidrs")) == 0
	some t in input.resources.trunk_base_settings
	count(acl_entries(t)) > 0
	finding := {"msg": sprintf("approved_carrier_cidrs is not configured: the ACL of trunk %q was not verified", [t.name]), "resource": tbs_ref(t)}
}

# METADATA
# title: SIP trunks use TLS signalling
# description: With require_tls_transport set, every trunk's transport protocol must be TLS (plain UDP or TCP exposes signalling).
# custom:
#   id: GC-CC6.6-04
#   controls: [CC6.6, CC6.7]
#   severity: high
#   remediation: Set the trunk's SIP transport protocol to TLS (port 5061) and enable SRTP.
deny_trunk_not_tls contains finding if {
	lib.applies
	lib.setting("require_tls_transport") == true
	some t in input.resources.trunk_base_settings
	protocol := property(t, props.transport)
	protocol != "TLS"
	finding := {
		"msg": sprintf("trunk %q signals over %v, not TLS", [t.name, protocol]),
		"resource": tbs_ref(t),
		"path": sprintf("/properties/%s/value/instance", [props.transport]),
	}
}
