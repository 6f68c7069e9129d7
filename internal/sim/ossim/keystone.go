package ossim

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
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
			System any        `json:"system"`
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

const authFailed = "The request you have made requires authentication."

func (s *Sim) keystoneRoutes(mux *http.ServeMux) {
	s.doc(mux, "identity", identityPrefix, []string{"", "/"}, (*call).identityVersions)
	s.doc(mux, "identity", identityPrefix, []string{"/v3", "/v3/"}, (*call).identityVersion)
	r := func(method, path string, h func(*call)) *route {
		return s.handle(mux, "identity", identityPrefix, method, path, h)
	}
	r("POST", "/v3/auth/tokens", (*call).issueToken).public = true
	r("GET", "/v3/auth/tokens", (*call).validateToken)
	r("HEAD", "/v3/auth/tokens", (*call).validateToken)
	r("DELETE", "/v3/auth/tokens", (*call).revokeToken)
	r("GET", "/v3/auth/catalog", (*call).authCatalog)
	r("GET", "/v3/auth/projects", (*call).authProjects)
	r("GET", "/v3/users/{id}", (*call).getUser)
	r("GET", "/v3/projects/{id}", (*call).getProject)
	s.appCredRoutes(r)
	s.unrouted(mux, "identity", identityPrefix+"/v3/")
}

func (s *Sim) identityVersionDoc() map[string]any {
	return map[string]any{
		"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
		"links":       []map[string]any{{"rel": "self", "href": s.url + identityPrefix + "/v3/"}},
		"media-types": []map[string]any{{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}},
	}
}

// identityVersions is Keystone's root: 300 Multiple Choices listing v3 only (v2.0 is gone).
func (c *call) identityVersions() {
	c.json(http.StatusMultipleChoices, map[string]any{"versions": map[string]any{"values": []any{c.s.identityVersionDoc()}}})
}

func (c *call) identityVersion() {
	c.json(http.StatusOK, map[string]any{"version": c.s.identityVersionDoc()})
}

// issueToken authenticates (password, token or application credential), scopes (project by ID
// or by name and domain, else the user's default project) and answers 201 with the token in
// X-Subject-Token and its body, catalog included unless ?nocatalog.
func (c *call) issueToken() {
	var req keystoneAuth
	if !c.decode(&req) {
		return
	}
	st := c.st
	id := req.Auth.Identity
	if len(id.Methods) == 0 {
		c.keystoneError(http.StatusBadRequest, "Invalid input for field 'identity/methods': [] is too short")
		return
	}
	var (
		u       *user
		ac      *appCred
		prev    *token
		methods = slices.Clone(id.Methods)
	)
	for _, m := range id.Methods {
		var who *user
		switch {
		case m == "password" && id.Password != nil:
			if !c.checkUserRef(id.Password.User) {
				return
			}
			who = c.s.findUser(id.Password.User)
			if who == nil || who.disabled || who.password != id.Password.User.Password {
				c.keystoneError(http.StatusUnauthorized, authFailed)
				return
			}
		case m == "token" && id.Token != nil:
			prev = st.tokens[id.Token.ID]
			if prev == nil || !time.Now().Before(prev.expires) {
				c.keystoneError(http.StatusNotFound, "Could not find token: "+id.Token.ID+".")
				return
			}
			who = st.users[prev.userID]
			methods = dedupe(append(slices.Clone(prev.methods), "token"))
		case m == "application_credential" && id.ApplicationCredential != nil:
			ref := id.ApplicationCredential
			if ref.ID != "" {
				ac = st.appCreds[ref.ID]
			} else if ref.User != nil {
				if !c.checkUserRef(*ref.User) {
					return
				}
				if owner := c.s.findUser(*ref.User); owner != nil {
					for _, a := range st.appCreds {
						if a.name == ref.Name && a.userID == owner.id {
							ac = a
						}
					}
				}
			}
			if ac == nil || ac.secret != ref.Secret || (!ac.expires.IsZero() && !time.Now().Before(ac.expires)) {
				c.keystoneError(http.StatusUnauthorized, authFailed)
				return
			}
			who = st.users[ac.userID]
			if who == nil || who.disabled {
				c.keystoneError(http.StatusUnauthorized, authFailed)
				return
			}
		default:
			c.keystoneError(http.StatusUnauthorized, "Attempted to authenticate with an unsupported method.")
			return
		}
		if u != nil && who.id != u.id {
			c.keystoneError(http.StatusUnauthorized, authFailed)
			return
		}
		u = who
	}

	projectID, ok := c.scope(&req, u, ac)
	if !ok {
		return
	}
	now := time.Now().UTC()
	tok := &token{id: newToken(), userID: u.id, projectID: projectID, methods: methods, appCred: ac, issued: now, expires: now.Add(c.s.opts.TokenTTL)}
	if prev != nil {
		// A token made from a token keeps the original's expiry: re-scoping does not extend it.
		tok.expires = prev.expires
	}
	st.tokens[tok.id] = tok
	c.w.Header().Set("X-Subject-Token", tok.id)
	c.json(http.StatusCreated, map[string]any{"token": c.s.tokenBody(tok, c.r.URL.Query()["nocatalog"] == nil)})
}

// scope resolves the project a new token is scoped to; "" is an unscoped token.
func (c *call) scope(req *keystoneAuth, u *user, ac *appCred) (string, bool) {
	sc := req.Auth.Scope
	if ac != nil {
		if sc != nil {
			c.keystoneError(http.StatusUnauthorized, "Application credentials cannot request a scope.")
			return "", false
		}
		if p := c.st.projects[ac.projectID]; p == nil || p.disabled || !u.memberOf(p.id) {
			// Keystone checks that the user still has the credential's roles on its project.
			c.keystoneError(http.StatusUnauthorized, authFailed)
			return "", false
		}
		return ac.projectID, true
	}
	switch {
	case sc == nil:
		// Keystone scopes to the user's default project when no scope is asked for and the
		// user has a role there; otherwise the token is unscoped.
		if p := c.st.projects[u.projectID]; p != nil && !p.disabled && u.memberOf(p.id) {
			return p.id, true
		}
		return "", true
	case sc.Project != nil:
		if sc.Project.ID == "" && sc.Project.Domain == nil {
			c.keystoneError(http.StatusBadRequest, "Expecting to find domain in project. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.")
			return "", false
		}
		p := c.s.findProject(sc.Project.ID, sc.Project.Name, sc.Project.Domain)
		if p == nil {
			name := sc.Project.ID
			if name == "" {
				name = sc.Project.Name
			}
			c.keystoneError(http.StatusUnauthorized, "Could not find project: "+name+".")
			return "", false
		}
		if !u.memberOf(p.id) {
			c.keystoneError(http.StatusUnauthorized, "User "+u.id+" has no access to project "+p.id)
			return "", false
		}
		if p.disabled {
			c.keystoneError(http.StatusUnauthorized, "Project "+p.id+" is disabled.")
			return "", false
		}
		return p.id, true
	case sc.Domain != nil:
		c.keystoneError(http.StatusUnauthorized, "User "+u.id+" has no access to domain "+sc.Domain.ID+sc.Domain.Name)
	default:
		c.keystoneError(http.StatusUnauthorized, "User "+u.id+" has no access to the system")
	}
	return "", false
}

// checkUserRef answers Keystone's 400 for a user named without a domain.
func (c *call) checkUserRef(ref keystoneUser) bool {
	if ref.ID == "" && ref.Domain == nil {
		c.keystoneError(http.StatusBadRequest, "Expecting to find domain in user. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.")
		return false
	}
	return true
}

// subjectToken is the token named by X-Subject-Token, or nil after answering 404.
func (c *call) subjectToken() *token {
	tok := c.st.tokens[c.r.Header.Get("X-Subject-Token")]
	if tok == nil || !time.Now().Before(tok.expires) {
		c.keystoneError(http.StatusNotFound, "Could not find token: "+c.r.Header.Get("X-Subject-Token")+".")
		return nil
	}
	return tok
}

func (c *call) validateToken() {
	tok := c.subjectToken()
	if tok == nil {
		return
	}
	c.w.Header().Set("X-Subject-Token", tok.id)
	if c.r.Method == http.MethodHead {
		c.status(http.StatusOK)
		return
	}
	c.json(http.StatusOK, map[string]any{"token": c.s.tokenBody(tok, c.r.URL.Query()["nocatalog"] == nil)})
}

// revokeToken revokes the subject token; requests with it get 401 from then on.
func (c *call) revokeToken() {
	if tok := c.subjectToken(); tok != nil {
		delete(c.st.tokens, tok.id)
		c.status(http.StatusNoContent)
	}
}

func (c *call) authCatalog() {
	c.json(http.StatusOK, map[string]any{"catalog": c.s.catalog(c.token.projectID),
		"links": map[string]any{"self": c.s.url + identityPrefix + "/v3/auth/catalog"}})
}

func (c *call) authProjects() {
	u := c.st.users[c.token.userID]
	var ps []*project
	for _, p := range c.st.projects {
		if u.memberOf(p.id) {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b *project) int { return a.seq - b.seq })
	out := []any{}
	for _, p := range ps {
		out = append(out, c.s.projectJSON(p))
	}
	c.json(http.StatusOK, map[string]any{"projects": out,
		"links": map[string]any{"self": c.s.url + identityPrefix + "/v3/auth/projects", "next": nil, "previous": nil}})
}

func (c *call) getUser() {
	u := c.st.users[c.r.PathValue("id")]
	if u == nil || u.id != c.token.userID {
		c.keystoneError(http.StatusForbidden, "You are not authorized to perform the requested action: identity:get_user.")
		return
	}
	c.json(http.StatusOK, map[string]any{"user": map[string]any{"id": u.id, "name": u.name, "domain_id": u.domainID,
		"enabled": !u.disabled, "default_project_id": nilIfEmpty(u.projectID), "password_expires_at": nil, "description": u.description,
		"links": map[string]any{"self": c.s.url + identityPrefix + "/v3/users/" + u.id}}})
}

func (c *call) getProject() {
	p := c.st.projects[c.r.PathValue("id")]
	if p == nil || p.id != c.token.projectID {
		c.keystoneError(http.StatusForbidden, "You are not authorized to perform the requested action: identity:get_project.")
		return
	}
	c.json(http.StatusOK, map[string]any{"project": c.s.projectJSON(p)})
}

func (s *Sim) projectJSON(p *project) map[string]any {
	return map[string]any{"id": p.id, "name": p.name, "domain_id": p.domainID, "enabled": !p.disabled, "is_domain": false,
		"parent_id": p.domainID, "description": p.description, "tags": []string{}, "options": map[string]any{},
		"links": map[string]any{"self": s.url + identityPrefix + "/v3/projects/" + p.id}}
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

// keystoneTime is Keystone's timestamp format (microseconds, Z).
func keystoneTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// tokenBody renders a token as Keystone does; project-scoped tokens carry roles and the catalog.
func (s *Sim) tokenBody(t *token, withCatalog bool) map[string]any {
	u := s.st.users[t.userID]
	d := s.st.domains[u.domainID]
	audit := sha256.Sum256([]byte(t.id))
	body := map[string]any{
		"methods":    t.methods,
		"user":       map[string]any{"id": u.id, "name": u.name, "domain": map[string]any{"id": d.id, "name": d.name}, "password_expires_at": nil},
		"audit_ids":  []string{hex.EncodeToString(audit[:11])},
		"expires_at": keystoneTime(t.expires),
		"issued_at":  keystoneTime(t.issued),
	}
	if p := s.st.projects[t.projectID]; p != nil {
		pd := s.st.domains[p.domainID]
		body["project"] = map[string]any{"id": p.id, "name": p.name, "domain": map[string]any{"id": pd.id, "name": pd.name}}
		body["roles"] = rolesJSON([]string{"member", "reader"})
		body["is_domain"] = false
		if withCatalog {
			body["catalog"] = s.catalog(p.id)
		}
	}
	if t.appCred != nil {
		body["application_credential"] = map[string]any{"id": t.appCred.id, "name": t.appCred.name, "restricted": !t.appCred.unrestricted}
	}
	return body
}

// catalog is the service catalog of a project: public, internal and admin endpoints of every
// service, all on the simulator's listener.
func (s *Sim) catalog(projectID string) []map[string]any {
	entry := func(typ, name, url string) map[string]any {
		var eps []map[string]any
		for _, iface := range []string{"public", "internal", "admin"} {
			eps = append(eps, map[string]any{"id": stableID(typ + " " + iface), "interface": iface,
				"region": s.opts.Region, "region_id": s.opts.Region, "url": url})
		}
		return map[string]any{"id": stableID(typ), "type": typ, "name": name, "endpoints": eps}
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

// stableID is an ID that stays the same for the same name (catalog and role IDs).
func stableID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:16])
}
