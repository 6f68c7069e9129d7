package controllers

import (
	"fmt"
	"sort"
	"strings"
)

// secretScope is the set of namespaces whose Secrets the controller reads and writes
// (--secret-namespaces). Limiting the manager's Secret cache to them lets the controller run
// without a cluster-wide read of Secrets; an object that needs a Secret elsewhere is told so
// in its condition instead of failing on the cache's "unknown namespace".
type secretScope struct {
	namespaces map[string]bool // nil: every namespace
}

func newSecretScope(namespaces []string, own string) secretScope {
	if len(namespaces) == 0 {
		return secretScope{}
	}
	s := secretScope{namespaces: map[string]bool{own: true}}
	for _, ns := range namespaces {
		s.namespaces[ns] = true
	}
	return s
}

// allows says whether Secrets in ns are read and written.
func (s secretScope) allows(ns string) bool { return s.namespaces == nil || s.namespaces[ns] }

// list is the namespaces, sorted; nil for every namespace.
func (s secretScope) list() []string {
	if s.namespaces == nil {
		return nil
	}
	out := make([]string, 0, len(s.namespaces))
	for ns := range s.namespaces {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// refusal says why a Secret in ns is out of reach.
func (s secretScope) refusal(what, ns string) string {
	return fmt.Sprintf("%s is in namespace %s, whose Secrets this controller does not read (--secret-namespaces=%s): add the namespace there (the chart's reseller.namespaces)",
		what, ns, strings.Join(s.list(), ","))
}
