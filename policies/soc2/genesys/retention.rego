# METADATA
# title: Genesys Cloud recordings and their retention
# description: Queues (GET /api/v2/routing/queues) and media retention policies (GET /api/v2/recording/mediaretentionpolicies). Which queues handle confidential data and how long recordings may be kept (the tenant's committed retention) are parameters.
# custom:
#   platform: genesys-cloud
package soc2.genesys.retention

import data.soc2.genesys.lib
import rego.v1

policy_ref(p) := {"type": "media_retention_policies", "id": p.id, "name": p.name}

confidential(q) if q.name in lib.setting("confidential_queues")

confidential(q) if q.id in lib.setting("confidential_queues")

enabled_policies contains p if {
	some p in input.resources.media_retention_policies
	p.enabled == true
}

# Each set of actions of a policy with where it is: the policy-wide `actions`, and the
# actions of each media type's policy (`mediaPolicies.callPolicy`, ...).
action_sets(p) := {["/actions", p.actions] | p.actions} | {[sprintf("/mediaPolicies/%s/actions", [m]), mp.actions] |
	some m, mp in object.get(p, "mediaPolicies", {})
	mp.actions
}

# Whether a set of actions deletes the recordings it keeps, and after how many days.
deletes(a) if a.alwaysDelete == true

deletes(a) if {
	a.retainRecording == false
	a.deleteRecording == true
}

deletes(a) if a.retentionDuration.deleteRetention.days > 0

keeps_forever(a) if {
	object.get(a, "retainRecording", true) == true
	not deletes(a)
}

# METADATA
# title: Queues that handle confidential data do not record in queue
# description: Audio of a queue named in confidential_queues (card payments, health data) must not be recorded while the caller waits or is transferred (suppressInQueueCallRecording), so the confidential part of the call is not kept.
# custom:
#   id: GC-C1.1-01
#   controls: [C1.1]
#   severity: high
#   remediation: Enable "Suppress in-queue call recording" on the queue, or remove it from confidential_queues through a reviewed change.
deny_confidential_queue_records contains finding if {
	lib.applies
	some q in input.resources.queues
	confidential(q)
	object.get(q, "suppressInQueueCallRecording", false) != true
	finding := {
		"msg": sprintf("confidential queue %q records in-queue audio", [q.name]),
		"resource": {"type": "queues", "id": q.id, "name": q.name},
		"path": "/suppressInQueueCallRecording",
	}
}

# METADATA
# title: No retention policy keeps recordings indefinitely
# description: An enabled media retention policy whose actions keep recordings without a deletion (no deleteRetention, no deleteRecording, no alwaysDelete) keeps confidential and personal data beyond any committed period.
# custom:
#   id: GC-C1.2-01
#   controls: [C1.2, P4.2]
#   severity: high
#   remediation: Give the policy a deleteRetention period within the committed retention, or disable it.
deny_indefinite_retention contains finding if {
	lib.applies
	some p in enabled_policies
	some [path, a] in action_sets(p)
	keeps_forever(a)
	finding := {
		"msg": sprintf("retention policy %q keeps recordings with no deletion", [p.name]),
		"resource": policy_ref(p),
		"path": path,
	}
}

# METADATA
# title: Recordings are deleted within the committed retention period
# description: The deleteRetention days of every enabled policy may not exceed recording_retention_days, the period the tenant committed to (contract, privacy notice).
# custom:
#   id: GC-C1.2-02
#   controls: [C1.2, P4.2]
#   severity: medium
#   remediation: Lower the policy's deleteRetention days to the committed period.
deny_retention_beyond_commitment contains finding if {
	lib.applies
	limit := lib.setting("recording_retention_days")
	limit != null
	some p in enabled_policies
	some [path, a] in action_sets(p)
	days := a.retentionDuration.deleteRetention.days
	days > limit
	finding := {
		"msg": sprintf("retention policy %q deletes recordings after %d days, beyond the committed %d", [p.name, days, limit]),
		"resource": policy_ref(p),
		"path": sprintf("%s/retentionDuration/deleteRetention/days", [path]),
	}
}

# METADATA
# title: Recordings are disposed of
# description: At least one enabled media retention policy must delete recordings; without one, Genesys Cloud keeps every recording until someone deletes it by hand.
# custom:
#   id: GC-C1.2-03
#   controls: [C1.2, P4.3]
#   severity: high
#   remediation: Create a media retention policy that deletes recordings after the committed period.
deny_no_disposal contains finding if {
	lib.applies
	input.resources.media_retention_policies
	count({p |
		some p in enabled_policies
		some [_, a] in action_sets(p)
		deletes(a)
	}) == 0
	finding := {"msg": "no enabled media retention policy deletes recordings", "resource": lib.org_ref}
}

# METADATA
# title: The committed retention period can be verified
# description: With recording_retention_days not configured, retention periods are not compared with a commitment.
# custom:
#   id: GC-C1.2-04
#   controls: [C1.2, P4.2]
#   severity: info
#   remediation: Set recording_retention_days in the tenant's data file.
warn_retention_commitment_missing contains finding if {
	lib.applies
	lib.setting("recording_retention_days") == null
	count(enabled_policies) > 0
	finding := {"msg": "recording_retention_days is not configured: retention periods were not compared with a commitment", "resource": lib.org_ref}
}

# The call-recording actions of a policy and their conditions: its callPolicy, else the
# policy-wide ones.
call_rules(p) := [[p.mediaPolicies.callPolicy.actions, object.get(p.mediaPolicies.callPolicy, "conditions", {})]] if {
	p.mediaPolicies.callPolicy.actions
} else := [[p.actions, object.get(p, "conditions", {})]] if {
	p.actions
} else := []

# Whether conditions match every call of queue q: nothing narrows them but forQueues, which
# is empty (every queue) or lists q.
covers_queue(conditions, q) if {
	narrowing := {k | some k, v in conditions; k != "forQueues"; v != null; v != []; v != {}}
	count(narrowing) == 0
	queues := object.get(conditions, "forQueues", [])
	any_queue_or(queues, q)
}

any_queue_or(queues, _) if count(queues) == 0

any_queue_or(queues, q) if {
	some x in queues
	x.id == q.id
}

# METADATA
# title: Every queue's call recordings are disposed of
# description: Each queue must be covered by an enabled media retention policy whose call actions delete recordings and whose conditions match all of the queue's calls (no condition but forQueues, empty or naming the queue); a queue outside every such policy keeps its recordings until someone deletes them.
# custom:
#   id: GC-C1.2-05
#   controls: [C1.2, P4.3]
#   severity: medium
#   remediation: Add the queue to a deleting retention policy's queues, or widen a deleting policy to all queues.
deny_queue_without_disposal contains finding if {
	lib.applies
	input.resources.media_retention_policies
	some q in input.resources.queues
	not disposed(q)
	finding := {
		"msg": sprintf("no enabled retention policy deletes all call recordings of queue %q", [q.name]),
		"resource": {"type": "queues", "id": q.id, "name": q.name},
	}
}

disposed(q) if {
	some p in enabled_policies
	some [a, conditions] in call_rules(p)
	deletes(a)
	covers_queue(conditions, q)
}
