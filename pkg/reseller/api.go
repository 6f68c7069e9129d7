package reseller

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

func projectPath(id string) string { return "/api/v1/project/" + url.PathEscape(id) }

func userPath(id string) string { return "/api/v1/user/" + url.PathEscape(id) }

// TestToken logs in (if needed) and returns the account the token belongs to; it is how a
// Region's credentials are checked.
func (c *Client) TestToken(ctx context.Context) (*Identity, error) {
	var out Identity
	if err := c.do(ctx, http.MethodPost, "/api/v1/auth/login/test-token", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListProjects lists the reseller domain's projects.
func (c *Client) ListProjects(ctx context.Context) ([]Project, error) {
	var out []Project
	if err := c.do(ctx, http.MethodGet, "/api/v1/project/", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetProject gets a project by ID.
func (c *Client) GetProject(ctx context.Context, id string) (*Project, error) {
	var out Project
	if err := c.do(ctx, http.MethodGet, projectPath(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateProject creates a project (409 when the name is taken, see IsConflict).
func (c *Client) CreateProject(ctx context.Context, in ProjectCreate) (*Project, error) {
	var out Project
	if err := c.do(ctx, http.MethodPost, "/api/v1/project/", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateProject changes a project.
func (c *Client) UpdateProject(ctx context.Context, id string, in ProjectUpdate) (*Project, error) {
	var out Project
	if err := c.do(ctx, http.MethodPut, projectPath(id), in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteProject deletes a project (404 when there is none, see IsNotFound).
func (c *Client) DeleteProject(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, projectPath(id), nil, nil)
}

// ListProjectMembers lists the users with a role on a project.
func (c *Client) ListProjectMembers(ctx context.Context, projectID string) ([]ProjectMember, error) {
	var out []ProjectMember
	if err := c.do(ctx, http.MethodGet, projectPath(projectID)+"/user", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// AddProjectMember gives a user a role on a project (the API picks the role).
func (c *Client) AddProjectMember(ctx context.Context, projectID, userID string) error {
	return c.do(ctx, http.MethodPost, projectPath(projectID)+"/user/"+url.PathEscape(userID), nil, nil)
}

// RemoveProjectMember takes a user's role on a project away (404 when it has none).
func (c *Client) RemoveProjectMember(ctx context.Context, projectID, userID string) error {
	return c.do(ctx, http.MethodDelete, projectPath(projectID)+"/user/"+url.PathEscape(userID), nil, nil)
}

// GetQuota gets a project's quota.
func (c *Client) GetQuota(ctx context.Context, projectID string) (*Quota, error) {
	var out Quota
	if err := c.do(ctx, http.MethodGet, projectPath(projectID)+"/quota", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateQuota sets a project's quota and returns it as stored.
func (c *Client) UpdateQuota(ctx context.Context, projectID string, q Quota) (*Quota, error) {
	var out Quota
	if err := c.do(ctx, http.MethodPut, projectPath(projectID)+"/quota", q, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListUsers lists the reseller domain's users.
func (c *Client) ListUsers(ctx context.Context) ([]User, error) {
	var out []User
	if err := c.do(ctx, http.MethodGet, "/api/v1/user/", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetUser gets a user by ID.
func (c *Client) GetUser(ctx context.Context, id string) (*User, error) {
	var out User
	if err := c.do(ctx, http.MethodGet, userPath(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateUser creates a user (409 when the name is taken).
func (c *Client) CreateUser(ctx context.Context, in UserCreate) (*User, error) {
	var out User
	if err := c.do(ctx, http.MethodPost, "/api/v1/user/", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateUser changes a user.
func (c *Client) UpdateUser(ctx context.Context, id string, in UserUpdate) (*User, error) {
	var out User
	if err := c.do(ctx, http.MethodPut, userPath(id), in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteUser deletes a user, and with it its Keystone application credentials.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, userPath(id), nil, nil)
}

// FindProjectByName finds a project by the name it was created with: the API stores it as
// "<domain>-<name>" (the domain has no '-') and has no name filter, so this lists the projects
// and takes the one named name exactly or "<prefix>-<name>" with a prefix without '-'. It
// returns nil and no error when there is none, and an error when several match.
func (c *Client) FindProjectByName(ctx context.Context, name string) (*Project, error) {
	list, err := c.ListProjects(ctx)
	if err != nil {
		return nil, err
	}
	var exact, prefixed []int
	for i, p := range list {
		switch {
		case p.Name == name:
			exact = append(exact, i)
		case hasDomainPrefix(p.Name, name):
			prefixed = append(prefixed, i)
		}
	}
	for _, matches := range [][]int{exact, prefixed} {
		switch len(matches) {
		case 0:
			continue
		case 1:
			p := list[matches[0]]
			return &p, nil
		default:
			return nil, fmt.Errorf("reseller API: %d projects match the name %q", len(matches), name)
		}
	}
	return nil, nil
}

func hasDomainPrefix(full, name string) bool {
	prefix, ok := strings.CutSuffix(full, "-"+name)
	return ok && prefix != "" && !strings.Contains(prefix, "-")
}

// FindUserByName finds a user by its (unprefixed, e-mail shaped) name; nil and no error when
// there is none.
func (c *Client) FindUserByName(ctx context.Context, name string) (*User, error) {
	list, err := c.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range list {
		if u.Name == name {
			return &u, nil
		}
	}
	return nil, nil
}
