package soc2.genesys.oauth_test

import data.soc2.genesys.oauth
import rego.v1

client(overrides) := object.union(
	{
		"id": "c1", "name": "svc", "authorizedGrantType": "CLIENT-CREDENTIALS", "accessTokenValiditySeconds": 3600,
		"roleDivisions": [{"roleId": "r1", "divisionId": "d1"}],
	},
	overrides,
)

snap(c) := {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {"oauth_clients": [c]}}

test_password_grant_is_denied if {
	count(oauth.deny_forbidden_grant) == 1 with input as snap(client({"authorizedGrantType": "PASSWORD"}))
}

test_implicit_grant_is_denied if {
	count(oauth.deny_forbidden_grant) == 1 with input as snap(client({"authorizedGrantType": "TOKEN"}))
}

test_code_grant_passes if {
	count(oauth.deny_forbidden_grant) == 0 with input as snap(client({"authorizedGrantType": "CODE"}))
}

test_long_token_lifetime_is_denied if {
	count(oauth.deny_token_lifetime) == 1 with input as snap(client({"accessTokenValiditySeconds": 172800}))
}

test_short_token_lifetime_passes if {
	count(oauth.deny_token_lifetime) == 0 with input as snap(client({}))
}

test_client_credentials_without_roles_is_denied if {
	count(oauth.deny_client_unscoped) == 1 with input as snap(client({"roleDivisions": []}))
}

test_client_credentials_in_all_divisions_is_denied if {
	some f in oauth.deny_client_unscoped with input as snap(client({"roleDivisions": [{"roleId": "r1", "divisionId": "*"}]}))
	f.path == "/roleDivisions/r1,*"
}

test_scoped_client_credentials_passes if {
	count(oauth.deny_client_unscoped) == 0 with input as snap(client({}))
}

test_code_client_without_roles_is_not_judged_here if {
	count(oauth.deny_client_unscoped) == 0 with input as snap(client({"authorizedGrantType": "CODE", "roleDivisions": []}))
}

test_disabled_client_with_roles_is_denied if {
	clients := [
		{"id": "d", "name": "old", "state": "disabled", "roleDivisions": [{"roleId": "r", "divisionId": "x"}]},
		{"id": "e", "name": "empty", "state": "inactive", "roleDivisions": []},
		{"id": "a", "name": "live", "state": "active", "roleDivisions": [{"roleId": "r", "divisionId": "x"}]},
	]
	ids := {f.resource.id | some f in oauth.deny_disabled_client_with_roles with input as {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {"oauth_clients": clients}}}
	ids == {"d"}
}
