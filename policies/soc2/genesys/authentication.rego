# METADATA
# title: Genesys Cloud authentication settings
# description: Organization-wide sign-in controls from GET /api/v2/organizations/authentication/settings.
# custom:
#   controls: [CC6.1]
package soc2.genesys.authentication

import rego.v1

params := data.soc2.genesys.params

# METADATA
# title: Multi-factor authentication is required
# description: Every Genesys Cloud sign-in that does not go through SSO must require MFA.
# custom:
#   id: GC-CC6.1-01
#   severity: high
#   remediation: Admin > Organization Settings > Security > enable "Require multi-factor authentication".
deny_mfa_not_required contains finding if {
	some s in input.resources.authentication_settings
	not s.multifactorAuthenticationRequired == true
	finding := {
		"msg": "multi-factor authentication is not required for the organization",
		"resource": {"type": "authentication_settings", "id": "authentication_settings"},
		"path": "/multifactorAuthenticationRequired",
	}
}

# METADATA
# title: Password policy meets the minimum length
# description: Passwords must be at least data.soc2.genesys.params.password.min_length characters.
# custom:
#   id: GC-CC6.1-02
#   severity: medium
#   remediation: Raise passwordRequirements.minimumLength in the organization's authentication settings.
deny_password_too_short contains finding if {
	some s in input.resources.authentication_settings
	length := object.get(s, ["passwordRequirements", "minimumLength"], 0)
	length < params.password.min_length
	finding := {
		"msg": sprintf("password minimum length is %d, below the required %d", [length, params.password.min_length]),
		"resource": {"type": "authentication_settings", "id": "authentication_settings"},
		"path": "/passwordRequirements/minimumLength",
		"actual": length,
		"expected": params.password.min_length,
	}
}

# METADATA
# title: The organization restricts sign-in by IP address
# description: An empty IP allowlist lets anyone on the internet reach the sign-in page with valid credentials.
# custom:
#   id: GC-CC6.6-01
#   severity: low
#   controls: [CC6.6]
#   remediation: Set ipAddressAllowlist in the organization's authentication settings to the approved egress ranges.
warn_no_ip_allowlist contains finding if {
	some s in input.resources.authentication_settings
	count(object.get(s, "ipAddressAllowlist", [])) == 0
	finding := {
		"msg": "no IP address allowlist is set",
		"resource": {"type": "authentication_settings", "id": "authentication_settings"},
		"path": "/ipAddressAllowlist",
	}
}
