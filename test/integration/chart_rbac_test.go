package integration_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
)

// grant is one row of docs/install.md's RBAC table, or one rule of a rendered Role or
// ClusterRole: who may do what where.
type grant struct {
	role      string // "ClusterRole name" or "Role name"
	namespace string
	subjects  string // the role's binding subjects, sorted, comma-separated
	groups    []string
	resources []string
	names     []string
	verbs     []string
	builtIn   bool // a Kubernetes role the chart only binds
}

func (g grant) String() string {
	return fmt.Sprintf("%s (ns %q, bound to %s): groups %v resources %v names %v verbs %v", g.role, g.namespace, g.subjects, g.groups, g.resources, g.names, g.verbs)
}

// covers reports whether g, a row of the table, allows everything rule grants: same role,
// namespace and subjects, and every group, resource, name (a rule without names needs a row
// without names) and verb.
func (g grant) covers(rule grant) bool {
	if g.role != rule.role || g.namespace != rule.namespace || g.subjects != rule.subjects || g.builtIn {
		return false
	}
	subset := func(a, b []string) bool {
		return !slices.ContainsFunc(a, func(x string) bool { return !slices.Contains(b, x) })
	}
	if len(rule.names) == 0 && len(g.names) > 0 {
		return false
	}
	return subset(rule.groups, g.groups) && subset(rule.resources, g.resources) && subset(rule.names, g.names) && subset(rule.verbs, g.verbs)
}

func (g grant) equals(rule grant) bool { return g.covers(rule) && rule.covers(g) }

// rbacTable reads the RBAC table of docs/install.md.
func rbacTable() []grant {
	GinkgoHelper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "docs", "install.md"))
	Expect(err).NotTo(HaveOccurred())
	list := func(cell string) []string {
		var out []string
		for _, f := range strings.Split(cell, ",") {
			if f = strings.TrimSpace(f); f != "" {
				if f == "core" {
					f = ""
				}
				out = append(out, f)
			}
		}
		return out
	}
	var rows []grant
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| Role | Namespace | Bound to |") {
			in = true
			continue
		}
		if !in || strings.HasPrefix(line, "| ---") {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			if len(rows) > 0 {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		Expect(cells).To(HaveLen(7), "docs/install.md RBAC row %q", line)
		for i := range cells {
			cells[i] = strings.TrimSpace(strings.ReplaceAll(cells[i], "`", ""))
		}
		rows = append(rows, grant{role: cells[0], namespace: cells[1], subjects: cells[2], groups: list(cells[3]),
			resources: list(cells[4]), names: list(cells[5]), verbs: list(cells[6]), builtIn: cells[3] == "(built-in)"})
	}
	Expect(rows).NotTo(BeEmpty(), "no RBAC table in docs/install.md")
	return rows
}

// renderedGrants renders the chart with helm template and returns every rule of its Roles and
// ClusterRoles with the subjects bound to them, and the roles it binds without defining them.
func renderedGrants(args ...string) (rules []grant, boundOnly []grant) {
	GinkgoHelper()
	bin, err := testenv.HelmBinary()
	Expect(err).NotTo(HaveOccurred())
	chart := filepath.Join(testenv.RepoRoot(), "charts", "mcm-provider-pco")
	out, err := exec.Command(bin, append([]string{"template", "pco", chart, "--namespace", "garden"}, args...)...).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "helm template:\n%s", out)

	type roleKey struct{ role, namespace string }
	roles := map[roleKey][]rbacv1.PolicyRule{}
	subjects := map[roleKey][]string{}
	for _, doc := range strings.Split(string(out), "\n---") {
		var head struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		Expect(yaml.Unmarshal([]byte(doc), &head)).To(Succeed())
		switch head.Kind {
		case "Role", "ClusterRole":
			var r rbacv1.ClusterRole // same rules field as Role
			Expect(yaml.Unmarshal([]byte(doc), &r)).To(Succeed())
			roles[roleKey{head.Kind + " " + head.Metadata.Name, head.Metadata.Namespace}] = r.Rules
		case "RoleBinding", "ClusterRoleBinding":
			var rb rbacv1.RoleBinding
			Expect(yaml.Unmarshal([]byte(doc), &rb)).To(Succeed())
			ns := head.Metadata.Namespace
			if rb.RoleRef.Kind == "ClusterRole" {
				ns = "" // a ClusterRole bound in a namespace would be namespaced; the chart does not do that
				Expect(head.Kind).To(Equal("ClusterRoleBinding"), "RoleBinding %s binds ClusterRole %s", head.Metadata.Name, rb.RoleRef.Name)
			}
			k := roleKey{rb.RoleRef.Kind + " " + rb.RoleRef.Name, ns}
			for _, s := range rb.Subjects {
				name := s.Name
				if s.Kind != "ServiceAccount" {
					name = s.Kind + " " + s.Name
				} else {
					Expect(s.Namespace).To(Equal("garden"), "binding %s: a ServiceAccount of another namespace", head.Metadata.Name)
				}
				if !slices.Contains(subjects[k], name) {
					subjects[k] = append(subjects[k], name)
				}
			}
		}
	}
	for k, subs := range subjects {
		slices.Sort(subs)
		if _, ok := roles[k]; !ok {
			boundOnly = append(boundOnly, grant{role: k.role, namespace: k.namespace, subjects: strings.Join(subs, ", ")})
		}
	}
	for k, rs := range roles {
		subs := subjects[k]
		Expect(subs).NotTo(BeEmpty(), "%s in %q is bound to no one", k.role, k.namespace)
		for _, r := range rs {
			Expect(r.NonResourceURLs).To(BeEmpty(), k.role)
			rules = append(rules, grant{role: k.role, namespace: k.namespace, subjects: strings.Join(subs, ", "),
				groups: r.APIGroups, resources: r.Resources, names: r.ResourceNames, verbs: r.Verbs})
		}
	}
	return rules, boundOnly
}

var _ = Describe("chart RBAC", func() {
	// Every option that adds rules; see docs/install.md.
	everything := []string{"--set", "reseller.enabled=true", "--set", "authapi.enabled=true", "--set", "authapi.grantAuthenticated=true",
		"--set", "registrar.targetAuthSecret=team-a/target-auth", "--set", "registrar.connectConfigNamespaces={team-a}",
		"--set", "reseller.namespaces={team-a}"}

	It("grants no rule broader than docs/install.md lists, and lists no rule it does not grant", func() {
		table := rbacTable()
		var all []grant
		for _, extra := range [][]string{nil, {"--set", "authapi.certMode=certManager"}} {
			rules, boundOnly := renderedGrants(append(slices.Clone(everything), extra...)...)
			for _, rule := range rules {
				Expect(slices.ContainsFunc(table, func(row grant) bool { return row.covers(rule) })).To(BeTrue(),
					"the chart grants a rule docs/install.md does not list (or lists narrower): %s", rule)
			}
			for _, b := range boundOnly {
				Expect(slices.ContainsFunc(table, func(row grant) bool {
					return row.builtIn && row.role == b.role && row.namespace == b.namespace && row.subjects == b.subjects
				})).To(BeTrue(), "the chart binds %s, which it does not define and docs/install.md does not list", b)
			}
			all = append(all, rules...)
		}
		for _, row := range table {
			if row.builtIn {
				continue
			}
			Expect(slices.ContainsFunc(all, func(rule grant) bool { return row.equals(rule) })).To(BeTrue(),
				"docs/install.md lists a rule the chart does not grant as written: %s", row)
		}
	})

	It("writes Secrets only in the release, kube-system (bootstrap tokens) and the listed namespaces", func() {
		rules, _ := renderedGrants(everything...)
		writes := []string{"create", "update", "patch", "delete", "deletecollection", "*"}
		for _, r := range rules {
			if !slices.Contains(r.resources, "secrets") && !slices.Contains(r.resources, "*") {
				continue
			}
			if slices.ContainsFunc(r.verbs, func(v string) bool { return slices.Contains(writes, v) }) {
				Expect(r.namespace).To(BeElementOf("garden", "kube-system", "team-a"), "%s", r)
			}
		}
	})

	It("names the Lease of every Lease rule except create", func() {
		rules, _ := renderedGrants(everything...)
		for _, r := range rules {
			if slices.Contains(r.resources, "leases") && !slices.Equal(r.verbs, []string{"create"}) {
				Expect(r.names).NotTo(BeEmpty(), "%s", r)
			}
		}
	})
})
