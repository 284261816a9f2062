# Helpers shared by the Genesys Cloud pack. No rule here produces findings.
package soc2.genesys.lib

import rego.v1

params := data.soc2.genesys.params

# The tenant's own parameters: tenants/<tenant>/data.json beside this file (undefined when
# the tenant has none). Only the data subtree is read: data.soc2.genesys as a whole also
# holds this pack's rules, and reading it from a rule would be a cycle.
tenant := data.soc2.genesys.tenants[input.metadata.tenant]

# A parameter: the tenant's value when it sets one, else the pack's default.
setting(key) := tenant[key] if {
	tenant[key] != null
} else := params[key]

# Whether a held permission ("domain:entity:action", any part may be "*") covers a wanted one.
grants(held, wanted) if {
	h := split(held, ":")
	w := split(wanted, ":")
	count(h) == count(w)
	every i, part in w {
		h[i] in {"*", part}
	}
}

role_by_id[r.id] := r if {
	some r in input.resources.roles
}

# Whether permission list `held` covers any of `wanted`.
covers_any(held, wanted) if {
	some h in held
	some w in wanted
	grants(h, w)
}

# The organization item, for findings about the whole tenant.
org_ref := {"type": "organization", "id": o.id, "name": o.name} if {
	some o in input.resources.organization
} else := {"type": "organization", "id": input.metadata.tenant}

# Whether the snapshot is of this pack's platform. Every rule of the pack starts with it, so
# that evaluating the whole bundle (as `opa eval` does) gives exactly driftgate's findings,
# which only evaluates a pack's rules on its own platform (`custom.platform`).
applies if input.metadata.platform == "genesys-cloud"

