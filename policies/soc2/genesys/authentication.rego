# METADATA
# title: Genesys Cloud authentication settings
# description: Organization-wide sign-in controls from GET /api/v2/organizations/authentication/settings.
# custom:
#   platform: genesys-cloud
package soc2.genesys.authentication

import data.soc2.genesys.lib
import rego.v1

ref := {"type": "authentication_settings", "id": "authentication_settings"}

password := lib.setting("password")

# METADATA
# title: Multi-factor authentication is required
# description: Every Genesys Cloud sign-in that does not go through SSO must require MFA.
# custom:
#   id: GC-CC6.1-01
#   controls: [CC6.1]
#   severity: high
#   remediation: Admin > Organization Settings > Security > enable "Require multi-factor authentication".
deny_mfa_not_required contains finding if {
	lib.applies
	some s in input.resources.authentication_settings
	not s.multifactorAuthenticationRequired == true
	finding := {
		"msg": "multi-factor authentication is not required for the organization",
		"resource": ref,
		"path": "/multifactorAuthenticationRequired",
	}
}

# METADATA
# title: Password policy meets the minimum length
# description: Passwords must be at least params.password.min_length characters long.
# custom:
#   id: GC-CC6.1-02
#   controls: [CC6.1]
#   severity: medium
#   remediation: Raise passwordRequirements.minimumLength in the organization's authentication settings.
deny_password_too_short contains finding if {
	lib.applies
	some s in input.resources.authentication_settings
	length := object.get(s, ["passwordRequirements", "minimumLength"], 0)
	length < password.min_length
	finding := {
		"msg": sprintf("password minimum length is %d, below the required %d", [length, password.min_length]),
		"resource": ref,
		"path": "/passwordRequirements/minimumLength",
		"actual": length,
		"expected": password.min_length,
	}
}

class_minimums := {
	"minimumDigits": "min_digits",
	"minimumUpper": "min_upper",
	"minimumLower": "min_lower",
	"minimumSpecials": "min_specials",
}

# METADATA
# title: Password policy requires character classes
# description: Passwords must contain at least the configured number of digits, upper-case, lower-case and special characters.
# custom:
#   id: GC-CC6.1-03
#   controls: [CC6.1]
#   severity: medium
#   remediation: Raise the passwordRequirements minimums (digits, upper, lower, specials) in the authentication settings.
deny_password_classes contains finding if {
	lib.applies
	some s in input.resources.authentication_settings
	some field, param in class_minimums
	actual := object.get(s, ["passwordRequirements", field], 0)
	actual < password[param]
	finding := {
		"msg": sprintf("passwordRequirements.%s is %d, below the required %d", [field, actual, password[param]]),
		"resource": ref,
		"path": sprintf("/passwordRequirements/%s", [field]),
	}
}

# METADATA
# title: Passwords expire within the allowed period
# description: When params.password.max_expiration_days is set, passwords must expire within it (0 means never).
# custom:
#   id: GC-CC6.1-04
#   controls: [CC6.1]
#   severity: low
#   remediation: Set passwordRequirements.expirationDays to at most the allowed period.
deny_password_expiry contains finding if {
	lib.applies
	password.max_expiration_days != null
	some s in input.resources.authentication_settings
	days := object.get(s, ["passwordRequirements", "expirationDays"], 0)
	not expires_in_time(days)
	finding := {
		"msg": sprintf("passwords expire after %d days (0 = never); at most %d are allowed", [days, password.max_expiration_days]),
		"resource": ref,
		"path": "/passwordRequirements/expirationDays",
	}
}

expires_in_time(days) if {
	days > 0
	days <= password.max_expiration_days
}

# METADATA
# title: Single sign-on is in force when the organization requires it
# description: With require_sso set, at least one identity provider must be configured and enabled.
# custom:
#   id: GC-CC6.1-06
#   controls: [CC6.1]
#   severity: high
#   remediation: Configure the organization's identity provider (Admin > Integrations > Single Sign-on) and enable it.
deny_sso_missing contains finding if {
	lib.applies
	lib.setting("require_sso") == true
	count([p | some p in input.resources.identity_providers; not p.disabled == true]) == 0
	finding := {
		"msg": "single sign-on is required but no identity provider is enabled",
		"resource": lib.org_ref,
	}
}

# METADATA
# title: The organization restricts sign-in by IP address
# description: An empty IP allowlist lets anyone on the internet reach the sign-in page with valid credentials.
# custom:
#   id: GC-CC6.6-01
#   controls: [CC6.6]
#   severity: low
#   remediation: Set ipAddressAllowlist in the organization's authentication settings to the approved egress ranges.
warn_no_ip_allowlist contains finding if {
	lib.applies
	some s in input.resources.authentication_settings
	count(object.get(s, "ipAddressAllowlist", [])) == 0
	finding := {"msg": "no IP address allowlist is set", "resource": ref, "path": "/ipAddressAllowlist"}
}

# METADATA
# title: IP allowlist entries are inside the approved ranges
# description: Every ipAddressAllowlist entry must lie within one of the tenant's approved_ip_ranges.
# custom:
#   id: GC-CC6.6-02
#   controls: [CC6.6]
#   severity: high
#   remediation: Remove the entry or get the range approved and added to approved_ip_ranges.
deny_ip_outside_approved contains finding if {
	lib.applies
	approved := lib.setting("approved_ip_ranges")
	count(approved) > 0
	some s in input.resources.authentication_settings
	some entry in object.get(s, "ipAddressAllowlist", [])
	not inside_any(entry, approved)
	finding := {
		"msg": sprintf("IP allowlist entry %s is outside the approved ranges", [entry]),
		"resource": ref,
		"path": "/ipAddressAllowlist",
		"entry": entry,
	}
}

inside_any(entry, ranges) if {
	some r in ranges
	net.cidr_contains(r, entry)
}

# METADATA
# title: Network parameters needed to verify allowlists are configured
# description: Without approved_ip_ranges (or approved_carrier_cidrs for trunks with an ACL) the entries cannot be verified.
# custom:
#   id: GC-CC6.6-05
#   controls: [CC6.6]
#   severity: info
#   remediation: Add approved_ip_ranges and approved_carrier_cidrs to the tenant's data file.
warn_network_params_missing contains finding if {
	lib.applies
	count(lib.setting("approved_ip_ranges")) == 0
	some s in input.resources.authentication_settings
	count(object.get(s, "ipAddressAllowlist", [])) > 0
	finding := {"msg": "approved_ip_ranges is not configured: IP allowlist entries were not verified", "resource": ref}
}
