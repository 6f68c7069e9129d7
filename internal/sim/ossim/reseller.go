package ossim

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The Reseller API of pluscloud open ("pco-api-expansion", a FastAPI service) under /reseller,
// as pco-reseller-operator and the pco-reseller-cli use it. It shares the state of the
// simulated Keystone: its projects and users are Keystone projects and users in the reseller
// domain (Seed.ResellerDomain), so users made through it authenticate to Keystone and boot
// servers on the shared network.
//
//	POST   /api/v1/auth/login/access-token          form grant_type, username, password -> 200 token (401, 422)
//	POST   /api/v1/auth/login/test-token            -> 200 VaultUser (not enveloped)
//	GET    /api/v1/project/                         -> 200 [ProjectCreatedResponse]
//	POST   /api/v1/project/                         ProjectCreate -> 201 (409, 422)
//	GET    /api/v1/project/{project_id}             -> 200 (404)
//	PUT    /api/v1/project/{project_id}             ProjectUpdate -> 200 (404, 409, 422)
//	DELETE /api/v1/project/{project_id}             -> 204 (404)
//	GET    /api/v1/project/{project_id}/user        -> 200 [{project, user}] (404)
//	POST   /api/v1/project/{project_id}/user/{uid}  -> 200 {project, user} (404)
//	DELETE /api/v1/project/{project_id}/user/{uid}  -> 204 (404, also when not a member)
//	GET    /api/v1/project/{project_id}/quota       -> 200 UpdateQuota (404)
//	PUT    /api/v1/project/{project_id}/quota       UpdateQuota -> 200 the stored quota (404, 422)
//	GET    /api/v1/user/                            -> 200 [CreatedOpenStackUser]
//	POST   /api/v1/user/                            CreateOpenStackUser -> 201 (404 default_project, 409, 422)
//	GET    /api/v1/user/{user_id}                   -> 200 (404)
//	PUT    /api/v1/user/{user_id}                   UpdateOpenStackUser -> 200 (404, 409, 422)
//	DELETE /api/v1/user/{user_id}                   -> 204 (404)
//
// Every route but the login needs "Authorization: Bearer <access_token>"; without a valid one
// the answer is 401 {"detail":"Could not validate credentials"} with "WWW-Authenticate: Bearer".
// Successes are enveloped {"status": <code>, "data": ..., "message": "..."}, and so are 404,
// 405, 409, 429 and 5xx (data null); request validation fails with FastAPI's 422
// {"detail": [{"loc": [...], "msg": "...", "type": "..."}]} in pydantic v1's words. A path
// without its trailing slash is redirected (307) to the one with it, as FastAPI does.
//
// Simulator choices where the real API is not known in detail: the messages; a name given to
// PUT /project/{id} is prefixed unless it already carries the prefix; a default_project of a
// user grants no role (POST /project/{id}/user/{uid} does: member); new projects get
// OpenStack's default quota, which Nova, Neutron (ports) and Cinder then enforce.
func (s *Sim) resellerRoutes(mux *http.ServeMux) {
	r := func(method, path string, h func(*call)) *route {
		return s.handle(mux, "reseller", resellerPrefix, method, path, h)
	}
	r("POST", "/api/v1/auth/login/access-token", (*call).resellerLogin).public = true
	r("POST", "/api/v1/auth/login/test-token", (*call).resellerTestToken)
	r("GET", "/api/v1/project/", (*call).resellerListProjects)
	r("POST", "/api/v1/project/", (*call).resellerCreateProject)
	r("GET", "/api/v1/project/{project_id}", (*call).resellerGetProject)
	r("PUT", "/api/v1/project/{project_id}", (*call).resellerUpdateProject)
	r("DELETE", "/api/v1/project/{project_id}", (*call).resellerDeleteProject)
	r("GET", "/api/v1/project/{project_id}/user", (*call).resellerListMembers)
	r("POST", "/api/v1/project/{project_id}/user/{user_id}", (*call).resellerAddMember)
	r("DELETE", "/api/v1/project/{project_id}/user/{user_id}", (*call).resellerRemoveMember)
	r("GET", "/api/v1/project/{project_id}/quota", (*call).resellerGetQuota)
	r("PUT", "/api/v1/project/{project_id}/quota", (*call).resellerUpdateQuota)
	r("GET", "/api/v1/user/", (*call).resellerListUsers)
	r("POST", "/api/v1/user/", (*call).resellerCreateUser)
	r("GET", "/api/v1/user/{user_id}", (*call).resellerGetUser)
	r("PUT", "/api/v1/user/{user_id}", (*call).resellerUpdateUser)
	r("DELETE", "/api/v1/user/{user_id}", (*call).resellerDeleteUser)

	mux.HandleFunc(resellerPrefix+"/", func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r, s: s, service: "reseller"}
		s.mu.Lock()
		s.counts["reseller "+r.Method+" (unrouted)"]++
		s.mu.Unlock()
		// FastAPI's redirect_slashes: the path with or without the trailing slash its route has.
		p := r.URL.Path
		for _, rt := range s.routes {
			if rt.service != "reseller" || rt.method != r.Method {
				continue
			}
			canon := ""
			switch slash := strings.HasSuffix(rt.template, "/"); {
			case slash && !strings.HasSuffix(p, "/") && rt.path.MatchString(p+"/"):
				canon = p + "/"
			case !slash && strings.HasSuffix(p, "/") && rt.path.MatchString(p):
				canon = strings.TrimSuffix(p, "/")
			}
			if canon != "" {
				if r.URL.RawQuery != "" {
					canon += "?" + r.URL.RawQuery
				}
				w.Header().Set("Location", canon)
				w.WriteHeader(http.StatusTemporaryRedirect)
				return
			}
		}
		for _, rt := range s.routes {
			if rt.service == "reseller" && rt.path.MatchString(r.URL.Path) {
				c.resellerError(http.StatusMethodNotAllowed, "Method Not Allowed")
				return
			}
		}
		c.resellerError(http.StatusNotFound, "Not Found")
	})
}

// envelope answers a success (or a 404/405/409/5xx with data nil) in the Reseller API's wrapper.
func (c *call) envelope(code int, data any, msg string) {
	c.json(code, map[string]any{"status": code, "data": data, "message": msg})
}

// resellerError answers an error as the Reseller API does: 401 and 422 as FastAPI's
// {"detail": ...}, everything else in the envelope.
func (c *call) resellerError(code int, msg string) {
	switch code {
	case http.StatusUnauthorized:
		c.w.Header().Set("WWW-Authenticate", "Bearer")
		c.json(code, map[string]any{"detail": msg})
	case http.StatusUnprocessableEntity:
		c.json(code, map[string]any{"detail": []fieldError{{Loc: []any{"body"}, Msg: msg, Type: "value_error"}}})
	default:
		c.envelope(code, nil, msg)
	}
}

// resellerAuthenticated checks the bearer token.
func (c *call) resellerAuthenticated() bool {
	scheme, tok, ok := strings.Cut(c.r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return false
	}
	exp, found := c.st.resellerTokens[strings.TrimSpace(tok)]
	return found && time.Now().Before(exp)
}

// resellerDomain is the Keystone domain of the reseller account.
func (c *call) resellerDomain() *domain { return c.st.domains[c.s.seedInfo.ResellerDomainID] }

// resellerLogin is the OAuth2 password flow (FastAPI's OAuth2PasswordRequestForm).
func (c *call) resellerLogin() {
	_ = c.r.ParseForm()
	form := c.r.PostForm
	var errs []fieldError
	for _, f := range []string{"username", "password"} {
		// FastAPI takes an empty form value for a missing one.
		if form.Get(f) == "" {
			errs = append(errs, fieldError{Loc: []any{"body", f}, Msg: "field required", Type: "value_error.missing"})
		}
	}
	if gt := form.Get("grant_type"); gt != "" && gt != "password" {
		errs = append(errs, fieldError{Loc: []any{"body", "grant_type"}, Msg: `string does not match regex "password"`,
			Type: "value_error.str.regex", Ctx: map[string]any{"pattern": "password"}})
	}
	if len(errs) > 0 {
		c.json(http.StatusUnprocessableEntity, map[string]any{"detail": errs})
		return
	}
	seed := c.s.seedInfo
	if form.Get("username") != seed.ResellerUsername || form.Get("password") != seed.ResellerPassword {
		c.resellerError(http.StatusUnauthorized, "Incorrect username or password")
		return
	}
	tok := newBearerToken()
	c.st.resellerTokens[tok] = time.Now().Add(c.s.opts.ResellerTokenTTL)
	c.json(http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer"})
}

// newBearerToken looks like the API's JWTs (header.payload.signature); it is opaque here.
func newBearerToken() string {
	part := func(n int) string {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + part(48) + "." + part(32)
}

func (c *call) resellerTestToken() {
	d := c.resellerDomain()
	c.json(http.StatusOK, map[string]any{"domain_id": d.id, "project_prefix": d.name, "username": c.s.seedInfo.ResellerUsername})
}

// --- projects ----------------------------------------------------------------------------------

// resellerProjects are the projects of the reseller domain, oldest first.
func (s *Sim) resellerProjects() []*project {
	var out []*project
	for _, p := range s.st.projects {
		if p.domainID == s.seedInfo.ResellerDomainID {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *project) int { return a.seq - b.seq })
	return out
}

func (s *Sim) resellerUsers() []*user {
	var out []*user
	for _, u := range s.st.users {
		if u.domainID == s.seedInfo.ResellerDomainID {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *user) int { return a.seq - b.seq })
	return out
}

func resellerProjectJSON(p *project) map[string]any {
	return map[string]any{"id": p.id, "name": p.name, "description": p.description, "enabled": !p.disabled,
		"network_preconfigure": p.networkPreconfigure}
}

// pathProject is the path's project of the reseller domain, or nil after answering 404.
func (c *call) pathProject() *project {
	p := c.st.projects[c.r.PathValue("project_id")]
	if p == nil || p.domainID != c.s.seedInfo.ResellerDomainID {
		c.resellerError(http.StatusNotFound, "Project not found")
		return nil
	}
	return p
}

func (c *call) pathResellerUser() *user {
	u := c.st.users[c.r.PathValue("user_id")]
	if u == nil || u.domainID != c.s.seedInfo.ResellerDomainID {
		c.resellerError(http.StatusNotFound, "User not found")
		return nil
	}
	return u
}

// projectNameTaken reports whether another project of the domain has the name.
func (c *call) projectNameTaken(name string, self *project) bool {
	for _, p := range c.s.resellerProjects() {
		if p != self && p.name == name {
			c.resellerError(http.StatusConflict, "Project with name "+name+" already exists")
			return true
		}
	}
	return false
}

func (c *call) resellerListProjects() {
	out := []any{}
	for _, p := range c.s.resellerProjects() {
		out = append(out, resellerProjectJSON(p))
	}
	c.envelope(http.StatusOK, out, "Projects retrieved")
}

func (c *call) resellerCreateProject() {
	b, ok := c.resellerBody()
	if !ok {
		return
	}
	name := b.str("name", true, nameRule)
	desc := b.str("description", true, maxLen254, descriptionRule)
	enabled := b.boolean("enabled")
	netPre := b.boolean("network_preconfigure")
	if !b.ok() {
		return
	}
	full := c.resellerDomain().name + "-" + *name
	if c.projectNameTaken(full, nil) {
		return
	}
	p := &project{seq: c.st.nextSeq(), id: newHexID(), name: full, domainID: c.s.seedInfo.ResellerDomainID, description: *desc,
		disabled: enabled != nil && !*enabled, networkPreconfigure: netPre != nil && *netPre}
	c.st.projects[p.id] = p
	// Neutron gives every project its "default" security group.
	c.s.newSecGroup(p.id, "default", "Default security group")
	c.s.setResellerQuota(p.id, defaultResellerQuota())
	c.envelope(http.StatusCreated, resellerProjectJSON(p), "Project created")
}

func (c *call) resellerGetProject() {
	if p := c.pathProject(); p != nil {
		c.envelope(http.StatusOK, resellerProjectJSON(p), "Project retrieved")
	}
}

func (c *call) resellerUpdateProject() {
	p := c.pathProject()
	if p == nil {
		return
	}
	b, ok := c.resellerBody()
	if !ok {
		return
	}
	name := b.str("name", false, nameRule)
	desc := b.str("description", false, maxLen254, descriptionRule)
	enabled := b.boolean("enabled")
	if !b.ok() {
		return
	}
	if name != nil {
		full := *name
		if prefix := c.resellerDomain().name + "-"; !strings.HasPrefix(full, prefix) {
			full = prefix + full
		}
		if c.projectNameTaken(full, p) {
			return
		}
		p.name = full
	}
	if desc != nil {
		p.description = *desc
	}
	if enabled != nil {
		p.disabled = !*enabled
		if p.disabled {
			c.s.revokeTokens(func(t *token) bool { return t.projectID == p.id })
		}
	}
	c.envelope(http.StatusOK, resellerProjectJSON(p), "Project updated")
}

// resellerDeleteProject deletes the Keystone project with its role assignments, application
// credentials and tokens; what runs in it (servers, ports, volumes) stays, orphaned, as in
// OpenStack.
func (c *call) resellerDeleteProject() {
	p := c.pathProject()
	if p == nil {
		return
	}
	delete(c.st.projects, p.id)
	for _, u := range c.st.users {
		delete(u.roles, p.id)
	}
	for id, ac := range c.st.appCreds {
		if ac.projectID == p.id {
			c.s.dropAppCred(id)
		}
	}
	c.s.revokeTokens(func(t *token) bool { return t.projectID == p.id })
	delete(c.st.quotas, p.id)
	delete(c.st.resellerQuota, p.id)
	c.status(http.StatusNoContent)
}

// revokeTokens forgets the Keystone tokens that match.
func (s *Sim) revokeTokens(match func(*token) bool) {
	for id, t := range s.st.tokens {
		if match(t) {
			delete(s.st.tokens, id)
		}
	}
}

// --- members -----------------------------------------------------------------------------------

func (c *call) resellerListMembers() {
	p := c.pathProject()
	if p == nil {
		return
	}
	out := []any{}
	for _, u := range c.s.resellerUsers() {
		if u.memberOf(p.id) {
			out = append(out, map[string]any{"project": p.id, "user": u.id})
		}
	}
	c.envelope(http.StatusOK, out, "Project users retrieved")
}

// resellerAddMember gives the user the member role on the project (idempotent).
func (c *call) resellerAddMember() {
	p := c.pathProject()
	if p == nil {
		return
	}
	u := c.pathResellerUser()
	if u == nil {
		return
	}
	if u.roles == nil {
		u.roles = map[string]bool{}
	}
	u.roles[p.id] = true
	c.envelope(http.StatusOK, map[string]any{"project": p.id, "user": u.id}, "User added to project")
}

// resellerRemoveMember takes the role away; as Keystone does, it revokes the user's tokens on
// the project and deletes the user's application credentials for it.
func (c *call) resellerRemoveMember() {
	p := c.pathProject()
	if p == nil {
		return
	}
	u := c.pathResellerUser()
	if u == nil {
		return
	}
	if !u.memberOf(p.id) {
		c.resellerError(http.StatusNotFound, "User is not a member of the project")
		return
	}
	delete(u.roles, p.id)
	c.s.revokeTokens(func(t *token) bool { return t.userID == u.id && t.projectID == p.id })
	for id, ac := range c.st.appCreds {
		if ac.userID == u.id && ac.projectID == p.id {
			c.s.dropAppCred(id)
		}
	}
	c.status(http.StatusNoContent)
}

// --- users -------------------------------------------------------------------------------------

func resellerUserJSON(u *user) map[string]any {
	return map[string]any{"id": u.id, "name": u.name, "description": u.description, "default_project": nilIfEmpty(u.projectID),
		"enabled": !u.disabled}
}

func (c *call) userNameTaken(name string, self *user) bool {
	for _, u := range c.s.resellerUsers() {
		if u != self && u.name == name {
			c.resellerError(http.StatusConflict, "User with name "+name+" already exists")
			return true
		}
	}
	return false
}

// defaultProjectKnown answers 404 for a default_project that is no project of the domain.
func (c *call) defaultProjectKnown(id *string) bool {
	if id == nil || *id == "" {
		return true
	}
	if p := c.st.projects[*id]; p == nil || p.domainID != c.s.seedInfo.ResellerDomainID {
		c.resellerError(http.StatusNotFound, "Project not found")
		return false
	}
	return true
}

func (c *call) resellerListUsers() {
	out := []any{}
	for _, u := range c.s.resellerUsers() {
		out = append(out, resellerUserJSON(u))
	}
	c.envelope(http.StatusOK, out, "Users retrieved")
}

func (c *call) resellerCreateUser() {
	b, ok := c.resellerBody()
	if !ok {
		return
	}
	name := b.str("name", true, emailRule)
	desc := b.str("description", true, maxLen254, descriptionRule)
	password := b.str("password", true, maxLen254)
	defProject := b.str("default_project", false, hex32Rule)
	enabled := b.boolean("enabled")
	if !b.ok() || c.userNameTaken(*name, nil) || !c.defaultProjectKnown(defProject) {
		return
	}
	u := &user{seq: c.st.nextSeq(), id: newHexID(), name: *name, domainID: c.s.seedInfo.ResellerDomainID, password: *password,
		description: *desc, disabled: enabled != nil && !*enabled, roles: map[string]bool{}}
	if defProject != nil {
		u.projectID = *defProject
	}
	c.st.users[u.id] = u
	c.envelope(http.StatusCreated, resellerUserJSON(u), "User created")
}

func (c *call) resellerGetUser() {
	if u := c.pathResellerUser(); u != nil {
		c.envelope(http.StatusOK, resellerUserJSON(u), "User retrieved")
	}
}

// resellerUpdateUser changes a user; a new password or disabling revokes its Keystone tokens,
// as Keystone does.
func (c *call) resellerUpdateUser() {
	u := c.pathResellerUser()
	if u == nil {
		return
	}
	b, ok := c.resellerBody()
	if !ok {
		return
	}
	name := b.str("name", false, emailRule)
	desc := b.str("description", false, maxLen254, descriptionRule)
	password := b.str("password", false, maxLen254)
	defProject := b.str("default_project", false, hex32Rule)
	enabled := b.boolean("enabled")
	if !b.ok() || (name != nil && c.userNameTaken(*name, u)) || !c.defaultProjectKnown(defProject) {
		return
	}
	revoke := false
	if name != nil {
		u.name = *name
	}
	if desc != nil {
		u.description = *desc
	}
	if password != nil && *password != u.password {
		u.password, revoke = *password, true
	}
	if defProject != nil {
		u.projectID = *defProject
	}
	if enabled != nil {
		u.disabled = !*enabled
		revoke = revoke || u.disabled
	}
	if revoke {
		c.s.revokeTokens(func(t *token) bool { return t.userID == u.id })
	}
	c.envelope(http.StatusOK, resellerUserJSON(u), "User updated")
}

// resellerDeleteUser deletes the Keystone user, its tokens and its application credentials.
func (c *call) resellerDeleteUser() {
	u := c.pathResellerUser()
	if u == nil {
		return
	}
	for id, ac := range c.st.appCreds {
		if ac.userID == u.id {
			c.s.dropAppCred(id)
		}
	}
	c.s.revokeTokens(func(t *token) bool { return t.userID == u.id })
	delete(c.st.users, u.id)
	c.status(http.StatusNoContent)
}
