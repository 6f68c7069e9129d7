package ossim

import (
	"slices"
	"strings"
)

// ResellerProject is a project of the reseller domain, as tests see it.
type ResellerProject struct {
	ID, Name, Description string // Name with the "<ResellerDomain>-" prefix
	Enabled               bool
	NetworkPreconfigure   bool
	Members               []string // IDs of the users with a role on it
}

// ResellerUser is a user of the reseller domain, as tests see it.
type ResellerUser struct {
	ID, Name, Description string
	DefaultProject        string
	Enabled               bool
	Projects              []string // IDs of the projects it has a role on
}

// ResellerProjects lists the projects of the reseller domain, oldest first.
func (s *Sim) ResellerProjects() []ResellerProject {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []ResellerProject{}
	for _, p := range s.resellerProjects() {
		rp := ResellerProject{ID: p.id, Name: p.name, Description: p.description, Enabled: !p.disabled,
			NetworkPreconfigure: p.networkPreconfigure, Members: []string{}}
		for _, u := range s.resellerUsers() {
			if u.memberOf(p.id) {
				rp.Members = append(rp.Members, u.id)
			}
		}
		out = append(out, rp)
	}
	return out
}

// ResellerUsers lists the users of the reseller domain, oldest first.
func (s *Sim) ResellerUsers() []ResellerUser {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []ResellerUser{}
	for _, u := range s.resellerUsers() {
		ru := ResellerUser{ID: u.id, Name: u.name, Description: u.description, DefaultProject: u.projectID,
			Enabled: !u.disabled, Projects: []string{}}
		for _, p := range s.resellerProjects() {
			if u.memberOf(p.id) {
				ru.Projects = append(ru.Projects, p.id)
			}
		}
		out = append(out, ru)
	}
	return out
}

// ApplicationCredentials lists the names of a user's Keystone application credentials, sorted.
func (s *Sim) ApplicationCredentials(userID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []string{}
	for _, ac := range s.st.appCreds {
		if ac.userID == userID {
			out = append(out, ac.name)
		}
	}
	slices.SortFunc(out, strings.Compare)
	return out
}

// ExpireResellerTokens ends every Reseller API bearer token now, as if its lifetime had run out,
// and returns how many there were: the next request with one gets 401. Tests expire tokens at a
// point of their choosing with it instead of racing a short ResellerTokenTTL.
func (s *Sim) ExpireResellerTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.st.resellerTokens)
	clear(s.st.resellerTokens)
	return n
}
