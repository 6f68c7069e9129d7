package reseller

// Project is ProjectCreatedResponse. Name carries the API's "<domain>-" prefix.
type Project struct {
	ID                  string `json:"id"`
	Name                string `json:"name"`
	Description         string `json:"description"`
	Enabled             bool   `json:"enabled"`
	NetworkPreconfigure bool   `json:"network_preconfigure"`
}

// ProjectCreate is the body of a project create. Name must match ^(?:\w|-)+$ (the API prefixes
// it with the domain); Description is required, at most 254 characters of words separated by
// single spaces (^[\w-]+(?: +[\w-]+)*$, no punctuation). Enabled nil means the API's default,
// true.
type ProjectCreate struct {
	Name                string `json:"name"`
	Description         string `json:"description"`
	Enabled             *bool  `json:"enabled,omitempty"`
	NetworkPreconfigure bool   `json:"network_preconfigure"`
}

// ProjectUpdate changes the fields that are not nil.
type ProjectUpdate struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	Enabled     *bool   `json:"enabled,omitempty"`
}

// User is CreatedOpenStackUser, a Keystone user of the reseller domain.
type User struct {
	ID             string `json:"id"`
	Name           string `json:"name"` // e-mail shaped
	Description    string `json:"description"`
	DefaultProject string `json:"default_project,omitempty"`
	Enabled        bool   `json:"enabled"`
}

// UserCreate is CreateOpenStackUser: Name e-mail shaped, Description as for projects, Password at
// most 254 characters, DefaultProject a project ID (32 hex digits) or empty. Enabled nil means
// true. The default project grants no role: add the user to the project for that.
type UserCreate struct {
	Name           string `json:"name"`
	Description    string `json:"description"`
	Password       string `json:"password"`
	DefaultProject string `json:"default_project,omitempty"`
	Enabled        *bool  `json:"enabled,omitempty"`
}

// UserUpdate is UpdateOpenStackUser: the fields that are not nil change.
type UserUpdate struct {
	Name           *string `json:"name,omitempty"`
	Description    *string `json:"description,omitempty"`
	Password       *string `json:"password,omitempty"`
	DefaultProject *string `json:"default_project,omitempty"`
	Enabled        *bool   `json:"enabled,omitempty"`
}

// ProjectMember is a user's membership (role) in a project.
type ProjectMember struct {
	Project string `json:"project"`
	User    string `json:"user"`
}

// Quota is UpdateQuota: per section the OpenStack quota names in snake_case, e.g.
// Compute["instances"], Compute["cores"], Compute["ram"] (MiB), Network["floatingip"],
// Volume["gigabytes"]; -1 is unlimited. The API requires, within a section that is sent,
// compute instances, key_pairs, metadata_items, server_groups; network network, subnet,
// router, security_group, security_group_rule; volume volumes, backups, backup_gigabytes.
type Quota struct {
	Compute map[string]int64 `json:"compute,omitempty"`
	Network map[string]int64 `json:"network,omitempty"`
	Volume  map[string]int64 `json:"volume,omitempty"`
}

// Identity is the reseller account a token belongs to (the API's VaultUser): its Keystone
// domain and the prefix project names get.
type Identity struct {
	DomainID      string `json:"domain_id"`
	ProjectPrefix string `json:"project_prefix"`
	Username      string `json:"username"`
}
