# METADATA
# title: Genesys Cloud recovery infrastructure
# description: Sites, trunks and their trunk base settings (GET /api/v2/telephony/providers/edges/sites, /trunks, /trunkbasesettings) and queues (GET /api/v2/routing/queues). What counts as enough trunks and which queues are critical are parameters.
# custom:
#   platform: genesys-cloud
package soc2.genesys.resilience

import data.soc2.genesys.lib
import rego.v1

# The site of each trunk base setting.
base_site[b.id] := b.site.id if {
	some b in input.resources.trunk_base_settings
	b.site.id
}

# External trunks in service, per site.
site_trunks[site] := {t.id |
	some t in input.resources.trunks
	t.trunkType == "EXTERNAL"
	t.inService == true
	base_site[t.trunkBase.id] == site
} if {
	some site in {s | some s in base_site}
}

critical(q) if q.name in lib.setting("critical_queues")

critical(q) if q.id in lib.setting("critical_queues")

# METADATA
# title: Sites that carry PSTN trunks have redundant trunks or a failover site
# description: A site whose trunk bases carry external trunks must have at least min_trunks_per_site external trunks in service, or secondary sites to fail over to; one trunk is one carrier or edge failure from no calls.
# custom:
#   id: GC-A1.2-01
#   controls: [A1.2]
#   severity: medium
#   remediation: Add a second external trunk (another carrier or edge) at the site, or configure secondary sites for failover.
deny_site_without_redundancy contains finding if {
	lib.applies
	some s in input.resources.sites
	trunks := site_trunks[s.id]
	count(trunks) < lib.setting("min_trunks_per_site")
	count(object.get(s, "secondarySites", [])) == 0
	finding := {
		"msg": sprintf("site %q has %d external trunk(s) in service and no secondary site (at least %d wanted)", [s.name, count(trunks), lib.setting("min_trunks_per_site")]),
		"resource": {"type": "sites", "id": s.id, "name": s.name},
		"path": "/secondarySites",
	}
}

# METADATA
# title: Critical queues overflow when their first agents are unavailable
# description: A queue named in critical_queues must widen its routing when no agent takes the interaction (bullseye routing with at least two rings, or conditional group routing rules).
# custom:
#   id: GC-A1.2-02
#   controls: [A1.2]
#   severity: medium
#   remediation: Configure bullseye rings or conditional group routing on the queue.
deny_critical_queue_without_overflow contains finding if {
	lib.applies
	some q in input.resources.queues
	critical(q)
	count(object.get(q, ["bullseye", "rings"], [])) < 2
	count(object.get(q, ["conditionalGroupRouting", "rules"], [])) == 0
	finding := {
		"msg": sprintf("critical queue %q has no overflow (fewer than two bullseye rings and no conditional group routing)", [q.name]),
		"resource": {"type": "queues", "id": q.id, "name": q.name},
		"path": "/bullseye/rings",
	}
}
