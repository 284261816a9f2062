# METADATA
# title: Genesys Cloud integrations
# description: Installed integrations (GET /api/v2/integrations). Which types are approved, and which custom integrations (types that run the tenant's own code or call its own endpoints) are approved, are parameters.
# custom:
#   platform: genesys-cloud
package soc2.genesys.software

import data.soc2.genesys.lib
import rego.v1

integration_ref(i) := {"type": "integrations", "id": i.id, "name": i.name}

# An integration that runs: not disabled or deleted.
enabled(i) if not i.intendedState in {"DISABLED", "DELETED"}

type_of(i) := object.get(i, ["integrationType", "id"], "")

# METADATA
# title: Only approved integration types are installed
# description: Every enabled integration must be of a type on approved_integration_types; an integration is software acting on the tenant's data, so a new kind needs review before it is installed.
# custom:
#   id: GC-CC6.8-01
#   controls: [CC6.8]
#   severity: medium
#   remediation: Disable or delete the integration, or add its type to approved_integration_types through a reviewed change.
deny_unapproved_integration_type contains finding if {
	lib.applies
	approved := lib.setting("approved_integration_types")
	count(approved) > 0
	some i in input.resources.integrations
	enabled(i)
	not type_of(i) in approved
	finding := {
		"msg": sprintf("integration %q is of type %q, which is not approved", [i.name, type_of(i)]),
		"resource": integration_ref(i),
		"path": "/integrationType/id",
	}
}

# METADATA
# title: Custom integrations are individually approved
# description: An enabled integration of a custom type (custom_integration_types, such as custom-rest-actions, which calls endpoints of the tenant's choosing) must itself be on approved_custom_integrations, by id.
# custom:
#   id: GC-CC6.8-02
#   controls: [CC6.8]
#   severity: high
#   remediation: Disable the integration, or add its id to approved_custom_integrations once its actions and credentials are reviewed.
deny_unapproved_custom_integration contains finding if {
	lib.applies
	some i in input.resources.integrations
	enabled(i)
	type_of(i) in lib.setting("custom_integration_types")
	not i.id in lib.setting("approved_custom_integrations")
	finding := {
		"msg": sprintf("custom integration %q (%s) is not on approved_custom_integrations", [i.name, type_of(i)]),
		"resource": integration_ref(i),
	}
}

# METADATA
# title: Integration types can be verified
# description: With approved_integration_types not configured, installed integrations are not checked against an approved list.
# custom:
#   id: GC-CC6.8-03
#   controls: [CC6.8]
#   severity: info
#   remediation: Add approved_integration_types to the tenant's data file.
warn_integration_types_missing contains finding if {
	lib.applies
	count(lib.setting("approved_integration_types")) == 0
	some i in input.resources.integrations
	enabled(i)
	finding := {"msg": sprintf("approved_integration_types is not configured: integration %q was not verified", [i.name]), "resource": integration_ref(i)}
}
