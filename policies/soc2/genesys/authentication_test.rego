package soc2.genesys.authentication_test

import data.soc2.genesys.authentication
import rego.v1

strong := {
	"multifactorAuthenticationRequired": true,
	"ipAddressAllowlist": ["203.0.113.0/24"],
	"passwordRequirements": {
		"minimumLength": 14, "minimumDigits": 1, "minimumUpper": 1, "minimumLower": 1,
		"minimumSpecials": 1, "expirationDays": 90,
	},
}

snap(settings) := {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {"authentication_settings": [settings]}}

test_mfa_off_is_denied if {
	count(authentication.deny_mfa_not_required) == 1 with input as snap(object.union(strong, {"multifactorAuthenticationRequired": false}))
}

test_mfa_missing_is_denied if {
	count(authentication.deny_mfa_not_required) == 1 with input as snap(object.remove(strong, ["multifactorAuthenticationRequired"]))
}

test_mfa_on_passes if {
	count(authentication.deny_mfa_not_required) == 0 with input as snap(strong)
}

test_short_password_is_denied if {
	weak := object.union(strong, {"passwordRequirements": object.union(strong.passwordRequirements, {"minimumLength": 8})})
	some f in authentication.deny_password_too_short with input as snap(weak)
	f.actual == 8
	f.path == "/passwordRequirements/minimumLength"
}

test_long_password_passes if {
	count(authentication.deny_password_too_short) == 0 with input as snap(strong)
}

test_missing_character_classes_are_denied_per_field if {
	weak := object.union(strong, {"passwordRequirements": object.union(strong.passwordRequirements, {"minimumDigits": 0, "minimumSpecials": 0})})
	paths := {f.path | some f in authentication.deny_password_classes with input as snap(weak)}
	paths == {"/passwordRequirements/minimumDigits", "/passwordRequirements/minimumSpecials"}
}

test_character_classes_pass if {
	count(authentication.deny_password_classes) == 0 with input as snap(strong)
}

test_password_that_never_expires_is_denied if {
	never := object.union(strong, {"passwordRequirements": object.union(strong.passwordRequirements, {"expirationDays": 0})})
	count(authentication.deny_password_expiry) == 1 with input as snap(never)
}

test_password_expiring_too_late_is_denied if {
	late := object.union(strong, {"passwordRequirements": object.union(strong.passwordRequirements, {"expirationDays": 365})})
	count(authentication.deny_password_expiry) == 1 with input as snap(late)
}

test_password_expiry_passes if {
	count(authentication.deny_password_expiry) == 0 with input as snap(strong)
}

sso_required := {"t": {"require_sso": true}}

test_sso_required_without_provider_is_denied if {
	inp := {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {"identity_providers": [{"id": "p", "disabled": true}], "organization": [{"id": "o", "name": "Org"}]}}
	some f in authentication.deny_sso_missing with input as inp with data.soc2.genesys.tenants as sso_required
	f.resource.id == "o"
}

test_sso_required_with_enabled_provider_passes if {
	inp := {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {"identity_providers": [{"id": "p", "disabled": false}]}}
	count(authentication.deny_sso_missing) == 0 with input as inp with data.soc2.genesys.tenants as sso_required
}

test_sso_not_required_passes_without_provider if {
	count(authentication.deny_sso_missing) == 0 with input as {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {"identity_providers": []}}
}

test_empty_ip_allowlist_warns if {
	count(authentication.warn_no_ip_allowlist) == 1 with input as snap(object.union(strong, {"ipAddressAllowlist": []}))
}

test_ip_allowlist_set_does_not_warn if {
	count(authentication.warn_no_ip_allowlist) == 0 with input as snap(strong)
}

ranges := {"t": {"approved_ip_ranges": ["203.0.113.0/24"]}}

test_allowlist_entry_outside_approved_ranges_is_denied if {
	wide := object.union(strong, {"ipAddressAllowlist": ["203.0.113.0/25", "0.0.0.0/0"]})
	entries := {f.entry | some f in authentication.deny_ip_outside_approved with input as snap(wide) with data.soc2.genesys.tenants as ranges}
	entries == {"0.0.0.0/0"}
}

test_allowlist_inside_approved_ranges_passes if {
	count(authentication.deny_ip_outside_approved) == 0 with input as snap(strong) with data.soc2.genesys.tenants as ranges
}

test_unverifiable_allowlist_warns if {
	count(authentication.warn_network_params_missing) == 1 with input as snap(strong)
}

test_verifiable_allowlist_does_not_warn if {
	count(authentication.warn_network_params_missing) == 0 with input as snap(strong) with data.soc2.genesys.tenants as ranges
}

test_sso_required_without_an_organization_item_names_the_tenant if {
	inp := {"metadata": {"platform": "genesys-cloud", "tenant": "t"}, "resources": {"identity_providers": []}}
	some f in authentication.deny_sso_missing with input as inp with data.soc2.genesys.tenants as sso_required
	f.resource == {"type": "organization", "id": "t"}
}
