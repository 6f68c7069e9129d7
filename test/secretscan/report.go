package secretscan

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// secretKind is what a secret is, without which one of its kind (bootstrap tokens and Keystone
// tokens come in numbers).
func secretKind(name string) string {
	for _, kind := range []string{"bootstrap token", "Keystone token", "userData of server"} {
		if strings.HasPrefix(name, kind+" ") {
			return kind
		}
	}
	return name
}

// ReportFindings writes the findings grouped by place, log source, kind of secret and form,
// without the secrets, and returns how many there are (one per line and secret).
func ReportFindings(w io.Writer, findings []Finding) int {
	type key struct{ place, source, kind, form string }
	type group struct {
		lines, first int
		values       map[string]bool
	}
	groups := map[key]*group{}
	var keys []key
	for _, f := range findings {
		k := key{f.Place, f.Source, secretKind(f.Secret), f.Form}
		g := groups[k]
		if g == nil {
			g = &group{first: f.Line, values: map[string]bool{}}
			groups[k] = g
			keys = append(keys, k)
		}
		g.lines++
		g.first = min(g.first, f.Line)
		g.values[f.Secret] = true
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		switch {
		case a.place != b.place:
			return a.place < b.place
		case a.source != b.source:
			return a.source < b.source
		case a.kind != b.kind:
			return a.kind < b.kind
		}
		return a.form < b.form
	})
	for _, k := range keys {
		g := groups[k]
		src := ""
		if k.source != "" {
			src = " logged by " + k.source
		}
		what := k.kind
		if n := len(g.values); n > 1 {
			what = fmt.Sprintf("%s (%d of them)", k.kind, n)
		}
		fmt.Fprintf(w, "  found %s [%s] in %s%s: %d line(s), first at line %d\n", what, k.form, k.place, src, g.lines, g.first)
	}
	return len(findings)
}

// FindingList lists findings one a line, "<secret> [<form>] at <place>:<line> (logged by
// <source>)", sorted, at most limit of them (and how many more there are); never a value.
func FindingList(findings []Finding, limit int) string {
	lines := make([]string, 0, len(findings))
	for _, f := range findings {
		l := fmt.Sprintf("%s [%s] at %s:%d", f.Secret, f.Form, f.Place, f.Line)
		if f.Source != "" {
			l += " (logged by " + f.Source + ")"
		}
		lines = append(lines, l)
	}
	sort.Strings(lines)
	if len(lines) > limit {
		lines = append(lines[:limit], fmt.Sprintf("... and %d more", len(lines)-limit))
	}
	return strings.Join(lines, "\n")
}
