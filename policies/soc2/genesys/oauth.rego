# METADATA
# title: Genesys Cloud OAuth clients
# description: Clients from GET /api/v2/oauth/clients (secrets redacted before evaluation).
# custom:
#   platform: genesys-cloud
package soc2.genesys.oauth

import data.soc2.genesys.lib
import rego.v1

oauth := lib.setting("oauth")

client_ref(c) := {"type": "oauth_clients", "id": c.id, "name": c.name}

# METADATA
# title: OAuth clients do not use password or implicit grants
# description: The resource-owner password grant and the implicit (TOKEN) grant expose credentials or tokens; use CODE or CLIENT-CREDENTIALS.
# custom:
#   id: GC-CC6.1-05
#   controls: [CC6.1]
#   severity: high
#   remediation: Replace the client with an authorization-code or client-credentials client and delete it.
deny_forbidden_grant contains finding if {
	lib.applies
	some c in input.resources.oauth_clients
	c.authorizedGrantType in oauth.forbidden_grants
	finding := {
		"msg": sprintf("OAuth client %q uses the %s grant", [c.name, c.authorizedGrantType]),
		"resource": client_ref(c),
		"path": "/authorizedGrantType",
	}
}

# METADATA
# title: OAuth access tokens are short-lived
# description: accessTokenValiditySeconds may not exceed params.oauth.max_token_seconds.
# custom:
#   id: GC-CC6.1-07
#   controls: [CC6.1]
#   severity: medium
#   remediation: Lower the client's token lifetime (Admin > Integrations > OAuth > Token Duration).
deny_token_lifetime contains finding if {
	lib.applies
	some c in input.resources.oauth_clients
	c.accessTokenValiditySeconds > oauth.max_token_seconds
	finding := {
		"msg": sprintf("OAuth client %q issues tokens valid for %d s; at most %d s are allowed", [c.name, c.accessTokenValiditySeconds, oauth.max_token_seconds]),
		"resource": client_ref(c),
		"path": "/accessTokenValiditySeconds",
	}
}

# METADATA
# title: Client-credentials clients are bound to named roles and divisions
# description: A client-credentials client acts without a user, so its roles must be explicit and each scoped to a named division (not all divisions).
# custom:
#   id: GC-CC6.1-08
#   controls: [CC6.1, CC6.3]
#   severity: high
#   remediation: Assign the client only the roles it needs, each in a specific division.
deny_client_unscoped contains finding if {
	lib.applies
	some c in input.resources.oauth_clients
	c.authorizedGrantType == "CLIENT-CREDENTIALS"
	count(object.get(c, "roleDivisions", [])) == 0
	finding := {"msg": sprintf("client-credentials client %q has no roles assigned", [c.name]), "resource": client_ref(c), "path": "/roleDivisions"}
}

deny_client_unscoped contains finding if {
	lib.applies
	some c in input.resources.oauth_clients
	c.authorizedGrantType == "CLIENT-CREDENTIALS"
	some rd in object.get(c, "roleDivisions", [])
	object.get(rd, "divisionId", "*") in {"*", ""}
	finding := {
		"msg": sprintf("client-credentials client %q holds role %s in all divisions", [c.name, rd.roleId]),
		"resource": client_ref(c),
		"path": sprintf("/roleDivisions/%s,%s", [rd.roleId, object.get(rd, "divisionId", "")]),
	}
}

# METADATA
# title: Disabled OAuth clients keep no roles
# description: A client that is disabled or inactive must not keep role grants, since re-enabling it would restore the access without a new approval.
# custom:
#   id: GC-CC6.2-02
#   controls: [CC6.2]
#   severity: medium
#   remediation: Remove the client's roles (or delete the client) when it is disabled.
deny_disabled_client_with_roles contains finding if {
	lib.applies
	some c in input.resources.oauth_clients
	object.get(c, "state", "active") != "active"
	count(object.get(c, "roleDivisions", [])) > 0
	finding := {
		"msg": sprintf("OAuth client %q is %s but still holds %d role grant(s)", [c.name, c.state, count(c.roleDivisions)]),
		"resource": client_ref(c),
		"path": "/roleDivisions",
	}
}
