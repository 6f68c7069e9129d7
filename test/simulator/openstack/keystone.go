package ossim

import (
	"net/http"
	"time"
)

// keystoneAuth is the body of POST /v3/auth/tokens.
type keystoneAuth struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password *struct {
				User keystoneUser `json:"user"`
			} `json:"password"`
			Token *struct {
				ID string `json:"id"`
			} `json:"token"`
			ApplicationCredential *struct {
				ID     string        `json:"id"`
				Name   string        `json:"name"`
				Secret string        `json:"secret"`
				User   *keystoneUser `json:"user"`
			} `json:"application_credential"`
		} `json:"identity"`
		Scope *struct {
			Project *struct {
				ID     string     `json:"id"`
				Name   string     `json:"name"`
				Domain *domainRef `json:"domain"`
			} `json:"project"`
			Domain *domainRef `json:"domain"`
		} `json:"scope"`
	} `json:"auth"`
}

type keystoneUser struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Password string     `json:"password"`
	Domain   *domainRef `json:"domain"`
}

type domainRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (s *Sim) keystoneRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+identityPrefix+"/{$}", s.identityVersions)
	mux.HandleFunc("GET "+identityPrefix+"/v3", s.identityVersion)
	mux.HandleFunc("GET "+identityPrefix+"/v3/{$}", s.identityVersion)
	s.route(mux, "identity", identityPrefix, "POST", "/v3/auth/tokens", (*call).issueToken)
	s.route(mux, "identity", identityPrefix, "GET", "/v3/auth/tokens", (*call).validateToken)
	s.route(mux, "identity", identityPrefix, "DELETE", "/v3/auth/tokens", (*call).revokeToken)
}

func (s *Sim) identityVersionDoc() map[string]any {
	return map[string]any{
		"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
		"links":       []map[string]any{{"rel": "self", "href": s.url + identityPrefix + "/v3/"}},
		"media-types": []map[string]any{{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}},
	}
}

func (s *Sim) identityVersions(w http.ResponseWriter, _ *http.Request) {
	(&call{w: w, s: s}).json(http.StatusMultipleChoices, map[string]any{"versions": map[string]any{"values": []any{s.identityVersionDoc()}}})
}

func (s *Sim) identityVersion(w http.ResponseWriter, _ *http.Request) {
	(&call{w: w, s: s}).json(http.StatusOK, map[string]any{"version": s.identityVersionDoc()})
}

const authFailed = "The request you have made requires authentication."

func (c *call) issueToken() {
	var req keystoneAuth
	if !c.decode(&req) {
		return
	}
	st := c.s.st
	id := req.Auth.Identity
	var u *user
	var appCredProject string
	methods := id.Methods
	switch {
	case contains(methods, "password") && id.Password != nil:
		u = c.s.findUser(id.Password.User)
		if u == nil || u.password != id.Password.User.Password {
			c.keystoneError(http.StatusUnauthorized, authFailed)
			return
		}
	case contains(methods, "application_credential") && id.ApplicationCredential != nil:
		ac := id.ApplicationCredential
		var found *appCred
		if ac.ID != "" {
			found = st.appCreds[ac.ID]
		} else if ac.User != nil {
			if owner := c.s.findUser(*ac.User); owner != nil {
				for _, a := range st.appCreds {
					if a.name == ac.Name && a.userID == owner.id {
						found = a
					}
				}
			}
		}
		if found == nil || found.secret != ac.Secret {
			c.keystoneError(http.StatusUnauthorized, authFailed)
			return
		}
		if req.Auth.Scope != nil {
			c.keystoneError(http.StatusUnauthorized, "Application credentials cannot request a scope.")
			return
		}
		u, appCredProject = st.users[found.userID], found.projectID
	case contains(methods, "token") && id.Token != nil:
		old := st.tokens[id.Token.ID]
		if old == nil || !time.Now().Before(old.expires) {
			c.keystoneError(http.StatusNotFound, "Could not find token: "+id.Token.ID)
			return
		}
		u = st.users[old.userID]
	default:
		c.keystoneError(http.StatusBadRequest, "Expecting to find identity in auth - the server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.")
		return
	}

	projectID := appCredProject
	if sc := req.Auth.Scope; sc != nil && sc.Project != nil {
		p := c.s.findProject(sc.Project.ID, sc.Project.Name, sc.Project.Domain)
		if p == nil || p.id != u.projectID {
			c.keystoneError(http.StatusUnauthorized, "User "+u.id+" has no access to project")
			return
		}
		projectID = p.id
	}
	now := time.Now().UTC()
	tok := &token{id: newToken(), userID: u.id, projectID: projectID, methods: methods, issued: now, expires: now.Add(c.s.opts.TokenTTL)}
	st.tokens[tok.id] = tok
	c.w.Header().Set("X-Subject-Token", tok.id)
	c.json(http.StatusCreated, map[string]any{"token": c.s.tokenBody(tok, true)})
}

func (c *call) validateToken() {
	tok := c.s.st.tokens[c.r.Header.Get("X-Subject-Token")]
	if tok == nil || !time.Now().Before(tok.expires) {
		c.keystoneError(http.StatusNotFound, "Could not find token.")
		return
	}
	c.w.Header().Set("X-Subject-Token", tok.id)
	c.json(http.StatusOK, map[string]any{"token": c.s.tokenBody(tok, c.query("nocatalog") == "")})
}

func (c *call) revokeToken() {
	id := c.r.Header.Get("X-Subject-Token")
	if c.s.st.tokens[id] == nil {
		c.keystoneError(http.StatusNotFound, "Could not find token.")
		return
	}
	delete(c.s.st.tokens, id)
	c.noContent()
}

func (s *Sim) findUser(ref keystoneUser) *user {
	if ref.ID != "" {
		return s.st.users[ref.ID]
	}
	for _, u := range s.st.users {
		if u.name == ref.Name && ref.Domain != nil && (ref.Domain.ID == u.domainID || ref.Domain.Name == s.st.domains[u.domainID].name) {
			return u
		}
	}
	return nil
}

func (s *Sim) findProject(id, name string, dom *domainRef) *project {
	if id != "" {
		return s.st.projects[id]
	}
	for _, p := range s.st.projects {
		if p.name == name && dom != nil && (dom.ID == p.domainID || dom.Name == s.st.domains[p.domainID].name) {
			return p
		}
	}
	return nil
}

// tokenBody renders a token as Keystone does, with the service catalog for project scopes.
func (s *Sim) tokenBody(t *token, withCatalog bool) map[string]any {
	u := s.st.users[t.userID]
	d := s.st.domains[u.domainID]
	body := map[string]any{
		"methods":    t.methods,
		"user":       map[string]any{"id": u.id, "name": u.name, "domain": map[string]any{"id": d.id, "name": d.name}, "password_expires_at": nil},
		"audit_ids":  []string{t.id[len(t.id)-22:]},
		"expires_at": t.expires.Format("2006-01-02T15:04:05.000000Z"),
		"issued_at":  t.issued.Format("2006-01-02T15:04:05.000000Z"),
	}
	if p := s.st.projects[t.projectID]; p != nil {
		pd := s.st.domains[p.domainID]
		body["project"] = map[string]any{"id": p.id, "name": p.name, "domain": map[string]any{"id": pd.id, "name": pd.name}}
		body["roles"] = []map[string]any{{"id": "member-role", "name": "member"}, {"id": "reader-role", "name": "reader"}}
		body["is_domain"] = false
		if withCatalog {
			body["catalog"] = s.catalog(p.id)
		}
	}
	return body
}

func (s *Sim) catalog(projectID string) []map[string]any {
	entry := func(typ, name, url string) map[string]any {
		var eps []map[string]any
		for _, iface := range []string{"public", "internal", "admin"} {
			eps = append(eps, map[string]any{"id": typ + "-" + iface, "interface": iface, "region": s.opts.Region, "region_id": s.opts.Region, "url": url})
		}
		return map[string]any{"id": typ + "-service", "type": typ, "name": name, "endpoints": eps}
	}
	volume := s.url + "/volume/v3/" + projectID
	return []map[string]any{
		entry("identity", "keystone", s.url+identityPrefix),
		entry("compute", "nova", s.url+computePrefix),
		entry("network", "neutron", s.url+networkPrefix),
		entry("image", "glance", s.url+imagePrefix),
		entry("volumev3", "cinderv3", volume),
		entry("block-storage", "cinder", volume),
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
