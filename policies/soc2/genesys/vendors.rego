# METADATA
# title: Genesys Cloud trusted organizations
# description: Organizations granted access to the tenant (GET /api/v2/orgauthorization/trustees), such as partners, BPOs and Genesys Customer Care. Which are approved and how long a trust may run are parameters.
# custom:
#   platform: genesys-cloud
package soc2.genesys.vendors

import data.soc2.genesys.lib
import rego.v1

trustee_ref(t) := {"type": "trustees", "id": t.id, "name": object.get(t, ["organization", "name"], t.id)}

org_id(t) := object.get(t, ["organization", "id"], t.id)

active_trustees contains t if {
	some t in input.resources.trustees
	t.enabled == true
}

ns_per_day := ((24 * 60) * 60) * 1000000000

# METADATA
# title: Only approved organizations are trusted
# description: An enabled trust must be with an organization on approved_trustees (by organization id), since another organization's users act in the tenant with the roles the trust gives them.
# custom:
#   id: GC-CC9.2-01
#   controls: [CC9.2]
#   severity: high
#   remediation: Delete the trust (Admin > Organization Settings > Organization Authorization), or approve the organization through a reviewed change.
deny_unapproved_trustee contains finding if {
	lib.applies
	some t in active_trustees
	not org_id(t) in lib.setting("approved_trustees")
	finding := {
		"msg": sprintf("organization %q is trusted but not on approved_trustees", [trustee_ref(t).name]),
		"resource": trustee_ref(t),
	}
}

# METADATA
# title: Trusts expire
# description: An enabled trust must have an expiry date (dateExpired) no more than max_trustee_days after the collection, so vendor access ends unless it is renewed.
# custom:
#   id: GC-CC9.2-02
#   controls: [CC9.2]
#   severity: medium
#   remediation: Set an expiration date on the trust within max_trustee_days.
deny_trustee_without_expiry contains finding if {
	lib.applies
	some t in active_trustees
	not expires_in_time(t)
	finding := {
		"msg": sprintf("the trust of %q %s", [trustee_ref(t).name, expiry_problem(t)]),
		"resource": trustee_ref(t),
		"path": "/dateExpired",
	}
}

expires_in_time(t) if {
	is_string(t.dateExpired)
	days_left(t) <= lib.setting("max_trustee_days")
}

days_left(t) := (time.parse_rfc3339_ns(t.dateExpired) - time.parse_rfc3339_ns(input.metadata.collected_at)) / ns_per_day

expiry_problem(t) := "never expires" if {
	not is_string(t.dateExpired)
} else := sprintf("expires in %d days, more than %d", [round(days_left(t)), lib.setting("max_trustee_days")])

# METADATA
# title: Trusted organizations do not get administrative access by default
# description: A trust that gives the other organization's users the admin role by default (usesDefaultRole) or full access (hasFullAccess) lets a vendor administer the tenant; grant named roles instead.
# custom:
#   id: GC-CC9.2-03
#   controls: [CC9.2]
#   severity: high
#   remediation: Turn off the default admin role and full access on the trust, and grant the trustee users only the roles they need.
deny_trustee_admin_by_default contains finding if {
	lib.applies
	some t in active_trustees
	some field in ["usesDefaultRole", "hasFullAccess"]
	t[field] == true
	finding := {
		"msg": sprintf("the trust of %q gives %s", [trustee_ref(t).name, {"usesDefaultRole": "the admin role by default", "hasFullAccess": "full access"}[field]]),
		"resource": trustee_ref(t),
		"path": sprintf("/%s", [field]),
	}
}

# Roles of this organization that carry a privileged permission.
privileged_role_ids contains r.id if {
	some r in input.resources.roles
	lib.covers_any(r.permissions, lib.setting("privileged_permissions"))
}

# METADATA
# title: Trusted organizations' users hold no administrative roles
# description: A user of a trusted organization (trustee_users, from the trust's users and their roles) must not hold a role of this organization that carries a privileged permission (grants, user, OAuth or telephony administration); vendor staff administer nothing.
# custom:
#   id: GC-CC9.2-04
#   controls: [CC9.2]
#   severity: high
#   remediation: Remove the role from the trustee user (Admin > Organization Settings > Organization Authorization > the trust > Users) and grant a role without administrative permissions.
deny_trustee_user_privileged contains finding if {
	lib.applies
	some t in active_trustees
	some u in object.get(t, "trustee_users", [])
	some r in object.get(u, "roles", [])
	r.id in privileged_role_ids
	finding := {
		"msg": sprintf("%s of trusted organization %q holds privileged role %q", [u.name, trustee_ref(t).name, object.get(lib.role_by_id, [r.id, "name"], r.id)]),
		"resource": trustee_ref(t),
		"path": sprintf("/trustee_users/%s/roles/%s", [u.id, r.id]),
	}
}
