# METADATA
# title: Genesys Cloud user access
# custom:
#   controls: [CC6.2, CC6.3]
package soc2.genesys.access

import rego.v1

params := data.soc2.genesys.params

# Per-tenant parameters live in tenants/<tenant>/data.json beside this file.
tenant := object.get(data.soc2.genesys, ["tenants", input.metadata.tenant], {})

approved_admins := object.get(tenant, "approved_admins", [])

admin_role_ids contains r.id if {
	some r in input.resources.roles
	r.name in params.admin_role_names
}

# METADATA
# title: Only approved people hold the admin role
# description: Holders of the built-in admin role must be on the tenant's approved list (tenants/<tenant>/data.json, approved_admins).
# custom:
#   id: GC-CC6.3-01
#   severity: critical
#   remediation: Remove the admin role from the user, or add the user to the tenant's approved_admins through a reviewed change.
deny_unapproved_admin contains finding if {
	some u in input.resources.users
	u.state != "deleted"
	some r in u.authorization.roles
	r.id in admin_role_ids
	not u.id in approved_admins
	finding := {
		"msg": sprintf("%s holds the admin role but is not an approved administrator", [u.name]),
		"resource": {"type": "users", "id": u.id, "name": u.name},
		"path": sprintf("/authorization/roles/%s", [r.id]),
	}
}

# METADATA
# title: Inactive and deleted users hold no roles beyond the default
# description: Access must be removed when a user leaves or is deactivated.
# custom:
#   id: GC-CC6.2-01
#   severity: medium
#   controls: [CC6.2]
#   remediation: Remove the roles from the user (Admin > People > Roles).
deny_inactive_user_with_roles contains finding if {
	some u in input.resources.users
	u.state in {"inactive", "deleted"}
	some r in u.authorization.roles
	r.name != "employee"
	finding := {
		"msg": sprintf("%s is %s but still holds role %q", [u.name, u.state, r.name]),
		"resource": {"type": "users", "id": u.id, "name": u.name},
		"path": sprintf("/authorization/roles/%s", [r.id]),
	}
}
