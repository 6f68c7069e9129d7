package connect

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

// userAccess is one user (or team) of the access rules, with its merged rules.
type userAccess struct {
	user         string // as in the spec; teams as team:<team>
	slug         string // sanitized, used in object names
	rules        []rbacv1.PolicyRule
	verbs        []string
	subresources []string
}

// slugOf turns a user name into a DNS label part: lower case letters, digits and '-';
// when that changed the name (or it was long) a hash of the original keeps it unique, so
// "a.b" and "a-b" do not share credentials.
func slugOf(user string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(user) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == user && len(out) <= 40 {
		return out
	}
	if len(out) > 40 {
		out = strings.TrimRight(out[:40], "-")
	}
	sum := sha256.Sum256([]byte(user))
	if out == "" {
		return "u-" + hex.EncodeToString(sum[:4])
	}
	return out + "-" + hex.EncodeToString(sum[:4])
}

// rulesFor turns an access rule into RBAC: the verbs on the subresources, treated as
// resources of every API group ("*" when none are listed); a rule for "*" resources also
// allows the verbs on every non-resource URL, so verbs and subresources "*" is cluster-admin.
func rulesFor(verbs, subresources []string) []rbacv1.PolicyRule {
	resources := slices.Clone(subresources)
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	rules := []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: resources, Verbs: slices.Clone(verbs)}}
	if slices.Contains(resources, "*") {
		rules = append(rules, rbacv1.PolicyRule{NonResourceURLs: []string{"*"}, Verbs: slices.Clone(verbs)})
	}
	return rules
}

// usersOf collects the users of the access rules and the admin user; a user in several
// rules gets all of them (one ClusterRole, one RBAC rule per access rule).
func usersOf(adminUser string, access []regv1.Access) ([]*userAccess, error) {
	byName := map[string]*userAccess{}
	var order []string
	add := func(name string, verbs, subresources []string) {
		u := byName[name]
		if u == nil {
			u = &userAccess{user: name, slug: slugOf(name)}
			byName[name] = u
			order = append(order, name)
		}
		u.rules = append(u.rules, rulesFor(verbs, subresources)...)
		u.verbs = union(u.verbs, verbs)
		if len(subresources) == 0 {
			subresources = []string{"*"}
		}
		u.subresources = union(u.subresources, subresources)
	}
	for i, a := range access {
		verbs := slices.DeleteFunc(slices.Clone(a.Verbs), func(s string) bool { return strings.TrimSpace(s) == "" })
		if len(verbs) == 0 {
			return nil, fmt.Errorf("clusterTemplate.access[%d] has no verbs", i)
		}
		for _, u := range a.Users {
			if u = strings.TrimSpace(u); u != "" {
				add(u, verbs, a.Subresources)
			}
		}
		for _, team := range a.Teams {
			if team = strings.TrimSpace(team); team != "" {
				add("team:"+team, verbs, a.Subresources)
			}
		}
	}
	if u := strings.TrimSpace(adminUser); u != "" {
		add(u, []string{"*"}, []string{"*"})
	}
	slugs := map[string]string{}
	out := make([]*userAccess, 0, len(order))
	for _, name := range order {
		u := byName[name]
		if other, dup := slugs[u.slug]; dup {
			return nil, fmt.Errorf("users %q and %q map to the same object name %s", other, name, u.slug)
		}
		slugs[u.slug] = name
		out = append(out, u)
	}
	return out, nil
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}
