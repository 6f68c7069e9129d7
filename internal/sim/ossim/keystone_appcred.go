package ossim

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Keystone application credentials, as a user manages its own:
//
//	POST   /v3/users/{user_id}/application_credentials        201 (409 for a name the user has)
//	GET    /v3/users/{user_id}/application_credentials[?name=] 200
//	GET    /v3/users/{user_id}/application_credentials/{id}   200 (404)
//	DELETE /v3/users/{user_id}/application_credentials/{id}   204 (404)
//
// Only the user itself may do this (403 for anyone else), creating needs a project-scoped token
// (the credential is for that project) and a token made from a restricted application credential
// may neither create nor delete one (403), as in Keystone.
func (s *Sim) appCredRoutes(r func(method, path string, h func(*call)) *route) {
	r("POST", "/v3/users/{user_id}/application_credentials", (*call).createAppCred)
	r("GET", "/v3/users/{user_id}/application_credentials", (*call).listAppCreds)
	r("GET", "/v3/users/{user_id}/application_credentials/{id}", (*call).getAppCred)
	r("DELETE", "/v3/users/{user_id}/application_credentials/{id}", (*call).deleteAppCred)
}

// appCredOwner checks that the token's user is the path's user; false after answering 403.
func (c *call) appCredOwner(action string) bool {
	if c.r.PathValue("user_id") != c.token.userID {
		c.keystoneError(http.StatusForbidden, "You are not authorized to perform the requested action: identity:"+action+".")
		return false
	}
	return true
}

// appCredUnrestricted refuses tokens made from a restricted application credential.
func (c *call) appCredUnrestricted() bool {
	if ac := c.token.appCred; ac != nil && !ac.unrestricted {
		c.keystoneError(http.StatusForbidden, "You are not authorized to perform the requested action: Using method 'application_credential' is not allowed for managing additional application credentials.")
		return false
	}
	return true
}

func (c *call) createAppCred() {
	if !c.appCredOwner("create_application_credential") || !c.appCredUnrestricted() {
		return
	}
	var in struct {
		AppCred *struct {
			Name         *string `json:"name"`
			Description  *string `json:"description"`
			Secret       *string `json:"secret"`
			ExpiresAt    *string `json:"expires_at"`
			Unrestricted *bool   `json:"unrestricted"`
		} `json:"application_credential"`
	}
	if !c.decode(&in) {
		return
	}
	if in.AppCred == nil {
		c.keystoneError(http.StatusBadRequest, "Invalid input for field 'application_credential': None is not of type 'object'")
		return
	}
	in2 := in.AppCred
	if in2.Name == nil || *in2.Name == "" || len(*in2.Name) > 255 {
		c.keystoneError(http.StatusBadRequest, "Invalid input for field 'name': 'name' is a required property")
		return
	}
	if c.token.projectID == "" {
		c.keystoneError(http.StatusForbidden, "You are not authorized to perform the requested action: Application credentials must be created with a project-scoped token.")
		return
	}
	for _, a := range c.st.appCreds {
		if a.userID == c.token.userID && a.name == *in2.Name {
			c.keystoneError(http.StatusConflict, "Conflict occurred attempting to store application_credential - Duplicate entry found with name "+a.name+".")
			return
		}
	}
	ac := &appCred{id: newHexID(), name: *in2.Name, userID: c.token.userID, projectID: c.token.projectID, roles: []string{"member", "reader"}}
	if in2.Description != nil {
		ac.description = *in2.Description
	}
	if in2.Unrestricted != nil {
		ac.unrestricted = *in2.Unrestricted
	}
	if in2.ExpiresAt != nil && *in2.ExpiresAt != "" {
		t, ok := parseKeystoneTime(*in2.ExpiresAt)
		if !ok {
			c.keystoneError(http.StatusBadRequest, "Invalid input for field 'expires_at': '"+*in2.ExpiresAt+"' is not a 'date-time'")
			return
		}
		ac.expires = t
	}
	if in2.Secret != nil && *in2.Secret != "" {
		ac.secret = *in2.Secret
	} else {
		b := make([]byte, 64)
		_, _ = rand.Read(b)
		ac.secret = base64.RawURLEncoding.EncodeToString(b)[:86]
	}
	c.st.appCreds[ac.id] = ac
	body := c.appCredJSON(ac)
	body["secret"] = ac.secret // shown once, in this answer
	c.json(http.StatusCreated, map[string]any{"application_credential": body})
}

func (c *call) listAppCreds() {
	if !c.appCredOwner("list_application_credentials") {
		return
	}
	name, filtered := c.r.URL.Query()["name"]
	var list []*appCred
	for _, a := range c.st.appCreds {
		if a.userID == c.token.userID && (!filtered || a.name == name[0]) {
			list = append(list, a)
		}
	}
	slices.SortFunc(list, func(a, b *appCred) int { return strings.Compare(a.name, b.name) })
	out := []any{}
	for _, a := range list {
		out = append(out, c.appCredJSON(a))
	}
	c.json(http.StatusOK, map[string]any{"application_credentials": out, "links": map[string]any{
		"self": c.s.url + c.r.URL.Path, "previous": nil, "next": nil}})
}

// pathAppCred is the path's credential of the path's user, or nil after answering 404.
func (c *call) pathAppCred() *appCred {
	ac := c.st.appCreds[c.r.PathValue("id")]
	if ac == nil || ac.userID != c.r.PathValue("user_id") {
		c.keystoneError(http.StatusNotFound, "Could not find application credential: "+c.r.PathValue("id")+".")
		return nil
	}
	return ac
}

func (c *call) getAppCred() {
	if !c.appCredOwner("get_application_credential") {
		return
	}
	if ac := c.pathAppCred(); ac != nil {
		c.json(http.StatusOK, map[string]any{"application_credential": c.appCredJSON(ac)})
	}
}

// deleteAppCred deletes a credential; the tokens made from it stop working, as Keystone
// revokes them.
func (c *call) deleteAppCred() {
	if !c.appCredOwner("delete_application_credential") || !c.appCredUnrestricted() {
		return
	}
	ac := c.pathAppCred()
	if ac == nil {
		return
	}
	c.s.dropAppCred(ac.id)
	c.status(http.StatusNoContent)
}

// dropAppCred forgets a credential and revokes the tokens made from it.
func (s *Sim) dropAppCred(id string) {
	delete(s.st.appCreds, id)
	for tid, t := range s.st.tokens {
		if t.appCred != nil && t.appCred.id == id {
			delete(s.st.tokens, tid)
		}
	}
}

func (c *call) appCredJSON(ac *appCred) map[string]any {
	var expires any
	if !ac.expires.IsZero() {
		expires = ac.expires.UTC().Format("2006-01-02T15:04:05.000000")
	}
	return map[string]any{"id": ac.id, "name": ac.name, "description": nilIfEmpty(ac.description), "user_id": ac.userID,
		"project_id": ac.projectID, "roles": rolesJSON(ac.roles), "expires_at": expires, "unrestricted": ac.unrestricted,
		"system": nil, "access_rules": []any{},
		"links": map[string]any{"self": c.s.url + identityPrefix + "/v3/users/" + ac.userID + "/application_credentials/" + ac.id}}
}

// rolesJSON renders role names as Keystone does in tokens and application credentials.
func rolesJSON(names []string) []map[string]any {
	out := []map[string]any{}
	for _, n := range names {
		out = append(out, map[string]any{"id": stableID("role " + n), "name": n, "domain_id": nil})
	}
	return out
}

// parseKeystoneTime reads the timestamps clients send Keystone: RFC 3339, or without a zone
// (UTC, as gophercloud sends expires_at).
func parseKeystoneTime(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
