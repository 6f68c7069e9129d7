package authapi

import (
	"slices"
	"strings"

	"k8s.io/apiserver/pkg/authentication/user"
)

// teamPrefix marks a ClusterUserAuth made for a team (a group) rather than a user: the
// registrar writes spec.user "team:<team>" for an access rule's teams.
const teamPrefix = "team:"

// caller is who asks, as ClusterUserAuths' spec.user names them.
type caller struct {
	name   string
	groups []string
}

func callerOf(u user.Info) caller { return caller{name: u.GetName(), groups: u.GetGroups()} }

// owns says whether a ClusterUserAuth with this spec.user is the caller's. "team:<team>"
// entries belong to the members of group <team>, and only to them: a user whose name is
// literally "team:<team>" (a client certificate's CN, a token's username) is not the team.
func (c caller) owns(specUser string) bool {
	if team, ok := strings.CutPrefix(specUser, teamPrefix); ok {
		return team != "" && slices.Contains(c.groups, team)
	}
	return specUser == c.name
}

// keys are the spec.user values the caller owns: their name (unless it looks like a team
// entry) and team:<group> for each of their groups.
func (c caller) keys() []string {
	out := make([]string, 0, len(c.groups)+1)
	if !strings.HasPrefix(c.name, teamPrefix) {
		out = append(out, c.name)
	}
	for _, g := range c.groups {
		if g != "" {
			out = append(out, teamPrefix+g)
		}
	}
	return out
}
