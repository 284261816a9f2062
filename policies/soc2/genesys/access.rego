# METADATA
# title: Genesys Cloud user access
# description: Users (GET /api/v2/users?state=any&expand=authorization) and roles (GET /api/v2/authorization/roles).
# custom:
#   platform: genesys-cloud
package soc2.genesys.access

import data.soc2.genesys.lib
import rego.v1

user_ref(u) := {"type": "users", "id": u.id, "name": u.name}

# Roles that grant access (telephony administration). A user's permissions are the union of
# their roles' permissions, so a user holds a duty exactly when one of their roles grants it:
# deciding it per role, once, keeps the per-user work to two set intersections.
access_granting_role_ids contains r.id if {
	some r in input.resources.roles
	lib.covers_any(r.permissions, lib.setting("access_granting_permissions"))
}

telephony_admin_role_ids contains r.id if {
	some r in input.resources.roles
	lib.covers_any(r.permissions, lib.setting("telephony_admin_permissions"))
}

# Whether user u holds one of the roles `ids`.
holds_any(u, ids) if {
	some r in u.authorization.roles
	r.id in ids
}

# Roles that carry a privileged permission.
privileged_role_ids contains r.id if {
	some r in input.resources.roles
	lib.covers_any(r.permissions, lib.setting("privileged_permissions"))
}

# METADATA
# title: Only approved people hold privileged roles
# description: Holders of roles that grant privileged permissions (admin, grants, user administration, telephony administration) must be on the tenant's approved_privileged_users list.
# custom:
#   id: GC-CC6.3-01
#   controls: [CC6.2, CC6.3]
#   severity: critical
#   remediation: Remove the role from the user, or add the user to approved_privileged_users through a reviewed change.
deny_unapproved_privileged contains finding if {
	lib.applies
	some u in input.resources.users
	u.state != "deleted"
	some r in u.authorization.roles
	r.id in privileged_role_ids
	not u.id in lib.setting("approved_privileged_users")
	finding := {
		"msg": sprintf("%s holds privileged role %q but is not an approved privileged user", [u.name, lib.role_by_id[r.id].name]),
		"resource": user_ref(u),
		"path": sprintf("/authorization/roles/%s", [r.id]),
	}
}

# METADATA
# title: Nobody can both grant access and administer telephony
# description: Segregation of duties - one person holding both access-granting and telephony-administration permissions can route calls to themselves and hide it.
# custom:
#   id: GC-CC6.3-02
#   controls: [CC6.3]
#   severity: high
#   remediation: Split the duties across two people, or record a break-glass exception in the tenant's sod_exceptions.
deny_segregation_of_duties contains finding if {
	lib.applies
	some u in input.resources.users
	u.state == "active"
	holds_any(u, access_granting_role_ids)
	holds_any(u, telephony_admin_role_ids)
	not u.id in lib.setting("sod_exceptions")
	finding := {
		"msg": sprintf("%s can both grant access and administer telephony", [u.name]),
		"resource": user_ref(u),
		"path": "/authorization/roles",
	}
}

# METADATA
# title: Only the built-in admin role uses wildcard permissions
# description: A custom role with a '*' permission grows silently whenever the platform adds permissions.
# custom:
#   id: GC-CC6.3-03
#   controls: [CC6.3]
#   severity: medium
#   remediation: Replace the wildcard with the explicit permissions the role needs.
deny_wildcard_role contains finding if {
	lib.applies
	some r in input.resources.roles
	not object.get(r, "defaultRoleId", "") in lib.setting("builtin_admin_role_ids")
	some p in r.permissions
	contains(p, "*")
	finding := {
		"msg": sprintf("role %q grants wildcard permission %s", [r.name, p]),
		"resource": {"type": "roles", "id": r.id, "name": r.name},
		"path": "/permissions",
		"permission": p,
	}
}

# METADATA
# title: Inactive and deleted users hold no roles beyond the default
# description: Access must be removed when a user leaves or is deactivated.
# custom:
#   id: GC-CC6.2-01
#   controls: [CC6.2]
#   severity: medium
#   remediation: Remove the roles from the user (Admin > People > Roles).
deny_inactive_user_with_roles contains finding if {
	lib.applies
	some u in input.resources.users
	u.state in {"inactive", "deleted"}
	some r in u.authorization.roles
	not object.get(lib.role_by_id, [r.id, "defaultRoleId"], "") in lib.setting("default_role_ids")
	finding := {
		"msg": sprintf("%s is %s but still holds role %q", [u.name, u.state, object.get(lib.role_by_id, [r.id, "name"], r.id)]),
		"resource": user_ref(u),
		"path": sprintf("/authorization/roles/%s", [r.id]),
	}
}
