package ossim

import (
	"maps"
	"net/http"
)

// quotaField is one field of the Reseller API's UpdateQuota, with OpenStack's default.
type quotaField struct {
	name     string
	required bool // in the API's schema, when its section is given
	def      int64
}

// resellerQuotaFields are UpdateQuota's sections and fields (snake_case, as Nova's, Neutron's
// and Cinder's quota APIs name them); fields outside these are ignored, as pydantic does.
var resellerQuotaFields = map[string][]quotaField{
	"compute": {
		{"instances", true, 10}, {"cores", false, 20}, {"ram", false, 51200}, {"key_pairs", true, 100},
		{"metadata_items", true, 128}, {"server_groups", true, 10}, {"server_group_members", false, 10},
		{"injected_files", false, 5}, {"injected_file_content_bytes", false, 10240}, {"injected_file_path_bytes", false, 255},
	},
	"network": {
		{"network", true, 100}, {"subnet", true, 100}, {"router", true, 10}, {"security_group", true, 10},
		{"security_group_rule", true, 100}, {"floatingip", false, 50}, {"port", false, 500}, {"subnetpool", false, -1},
		{"rbac_policy", false, 10},
	},
	"volume": {
		{"volumes", true, 10}, {"gigabytes", false, 1000}, {"snapshots", false, 10}, {"backups", true, 10},
		{"backup_gigabytes", true, 1000}, {"per_volume_gigabytes", false, -1}, {"groups", false, 10},
	},
}

var quotaSections = []string{"compute", "network", "volume"}

func defaultResellerQuota() map[string]map[string]int64 {
	q := map[string]map[string]int64{}
	for sec, fields := range resellerQuotaFields {
		q[sec] = map[string]int64{}
		for _, f := range fields {
			q[sec][f.name] = f.def
		}
	}
	return q
}

// setResellerQuota stores a project's quota and hands the fields the simulator enforces to its
// Quota: compute instances, cores and ram, network port, volume volumes and gigabytes.
func (s *Sim) setResellerQuota(projectID string, q map[string]map[string]int64) {
	s.st.resellerQuota[projectID] = q
	s.st.quotas[projectID] = Quota{Instances: int(q["compute"]["instances"]), Cores: int(q["compute"]["cores"]),
		RAMMB: int(q["compute"]["ram"]), Ports: int(q["network"]["port"]), Volumes: int(q["volume"]["volumes"]),
		Gigabytes: int(q["volume"]["gigabytes"])}
}

// resellerQuotaView is the stored quota with the enforced fields as they are now (SetQuota may
// have changed them).
func (s *Sim) resellerQuotaView(projectID string) map[string]map[string]int64 {
	stored := s.st.resellerQuota[projectID]
	if stored == nil {
		stored = defaultResellerQuota()
	}
	out := map[string]map[string]int64{}
	for sec, fields := range stored {
		out[sec] = maps.Clone(fields)
	}
	q := s.st.quota(projectID)
	out["compute"]["instances"], out["compute"]["cores"], out["compute"]["ram"] = int64(q.Instances), int64(q.Cores), int64(q.RAMMB)
	out["network"]["port"] = int64(q.Ports)
	out["volume"]["volumes"], out["volume"]["gigabytes"] = int64(q.Volumes), int64(q.Gigabytes)
	return out
}

func (c *call) resellerGetQuota() {
	if p := c.pathProject(); p != nil {
		c.envelope(http.StatusOK, c.s.resellerQuotaView(p.id), "Quota retrieved")
	}
}

// resellerUpdateQuota merges the sections given into the project's quota; within a section
// given, the schema's required fields must be there.
func (c *call) resellerUpdateQuota() {
	p := c.pathProject()
	if p == nil {
		return
	}
	b, ok := c.resellerBody()
	if !ok {
		return
	}
	q := c.s.resellerQuotaView(p.id)
	for _, sec := range quotaSections {
		obj := b.object(sec)
		if obj == nil {
			continue
		}
		for _, f := range resellerQuotaFields[sec] {
			if v, ok := b.integer(obj, []any{"body", sec, f.name}, f.required); ok {
				q[sec][f.name] = v
			}
		}
	}
	if !b.ok() {
		return
	}
	c.s.setResellerQuota(p.id, q)
	c.envelope(http.StatusOK, c.s.resellerQuotaView(p.id), "Quota updated")
}
