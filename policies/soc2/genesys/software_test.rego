package soc2.genesys.software_test

import data.soc2.genesys.software
import rego.v1

integ(id, type, state) := {"id": id, "name": id, "integrationType": {"id": type}, "intendedState": state}

snap(items) := {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {"integrations": items}}

approved := {"t": {"approved_integration_types": ["salesforce", "custom-rest-actions"], "approved_custom_integrations": ["ok-actions"]}}

test_unapproved_type_is_denied if {
	ids := {f.resource.id | some f in software.deny_unapproved_integration_type with input as snap([integ("z", "zendesk", "ENABLED"), integ("s", "salesforce", "ENABLED")]) with data.soc2.genesys.tenants as approved}
	ids == {"z"}
}

test_disabled_integration_of_any_type_passes if {
	count(software.deny_unapproved_integration_type) == 0 with input as snap([integ("z", "zendesk", "DISABLED")]) with data.soc2.genesys.tenants as approved
}

test_unapproved_custom_integration_is_denied if {
	ids := {f.resource.id | some f in software.deny_unapproved_custom_integration with input as snap([integ("ok-actions", "custom-rest-actions", "ENABLED"), integ("export", "custom-rest-actions", "ENABLED")]) with data.soc2.genesys.tenants as approved}
	ids == {"export"}
}

test_approved_custom_integration_passes if {
	count(software.deny_unapproved_custom_integration) == 0 with input as snap([integ("ok-actions", "custom-rest-actions", "ENABLED")]) with data.soc2.genesys.tenants as approved
}

test_unconfigured_types_warn if {
	count(software.warn_integration_types_missing) == 1 with input as snap([integ("s", "salesforce", "ENABLED")])
	count(software.deny_unapproved_integration_type) == 0 with input as snap([integ("s", "salesforce", "ENABLED")])
}

test_configured_types_do_not_warn if {
	count(software.warn_integration_types_missing) == 0 with input as snap([integ("s", "salesforce", "ENABLED")]) with data.soc2.genesys.tenants as approved
}
