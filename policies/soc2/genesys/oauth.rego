# METADATA
# title: Genesys Cloud OAuth clients
# custom:
#   controls: [CC6.1]
package soc2.genesys.oauth

import rego.v1

params := data.soc2.genesys.params

# METADATA
# title: OAuth clients do not use password or implicit grants
# description: The resource-owner password grant and the implicit (TOKEN) grant expose credentials or tokens; use CODE or CLIENT-CREDENTIALS.
# custom:
#   id: GC-CC6.1-05
#   severity: high
#   remediation: Replace the client with an authorization-code or client-credentials client and delete it.
deny_forbidden_grant contains finding if {
	some c in input.resources.oauth_clients
	c.authorizedGrantType in params.grant_types_forbidden
	finding := {
		"msg": sprintf("OAuth client %q uses the %s grant", [c.name, c.authorizedGrantType]),
		"resource": {"type": "oauth_clients", "id": c.id, "name": c.name},
		"path": "/authorizedGrantType",
	}
}
