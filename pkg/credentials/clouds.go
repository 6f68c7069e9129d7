package credentials

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// defaultCloudName is the cloud used when a clouds.yaml has several and the Secret's "cloud" key
// picks none; it is the name the OpenStack CLI falls back to as well.
const defaultCloudName = "openstack"

// maxListedClouds caps how many cloud names an error lists.
const maxListedClouds = 20

// cloudsFile is the part of a clouds.yaml this driver reads. Its own types rather than
// gophercloud's openstack/config/clouds: that package decodes with YAML 1.1 rules into typed
// fields, and sigs.k8s.io/yaml would turn an unquoted password such as 0123 or yes into 83 or
// true. go.yaml.in/yaml/v3 keeps a scalar's text when the field is a string. Keys this driver
// has no use for (compute_api_version, api_timeout, ...) are ignored, as the CLI ignores keys
// of other tools.
type cloudsFile struct {
	Clouds map[string]cloudEntry `yaml:"clouds"`
}

type cloudEntry struct {
	Auth               *cloudAuth    `yaml:"auth"`
	AuthType           string        `yaml:"auth_type"`
	Profile            string        `yaml:"profile"`
	RegionName         string        `yaml:"region_name"`
	Regions            []cloudRegion `yaml:"regions"`
	Interface          string        `yaml:"interface"`
	EndpointType       string        `yaml:"endpoint_type"`
	IdentityAPIVersion string        `yaml:"identity_api_version"`
	Verify             *bool         `yaml:"verify"`
	CACertFile         string        `yaml:"cacert"`
	ClientCertFile     string        `yaml:"cert"`
	ClientKeyFile      string        `yaml:"key"`
}

type cloudAuth struct {
	AuthURL                     string `yaml:"auth_url"`
	Username                    string `yaml:"username"`
	UserID                      string `yaml:"user_id"`
	Password                    string `yaml:"password"`
	ProjectName                 string `yaml:"project_name"`
	ProjectID                   string `yaml:"project_id"`
	TenantName                  string `yaml:"tenant_name"` // keystoneauth's older alias of project_name
	TenantID                    string `yaml:"tenant_id"`   // and of project_id
	ProjectDomainName           string `yaml:"project_domain_name"`
	ProjectDomainID             string `yaml:"project_domain_id"`
	UserDomainName              string `yaml:"user_domain_name"`
	UserDomainID                string `yaml:"user_domain_id"`
	DomainName                  string `yaml:"domain_name"`
	DomainID                    string `yaml:"domain_id"`
	DefaultDomainName           string `yaml:"default_domain_name"`
	DefaultDomainID             string `yaml:"default_domain_id"`
	ApplicationCredentialID     string `yaml:"application_credential_id"`
	ApplicationCredentialName   string `yaml:"application_credential_name"`
	ApplicationCredentialSecret string `yaml:"application_credential_secret"`
}

// cloudRegion is an entry of "regions": a plain name or {name: ..., values: ...}.
type cloudRegion struct {
	Name string
}

func (r *cloudRegion) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind == yaml.ScalarNode {
		r.Name = node.Value
		return nil
	}
	var full struct {
		Name string `yaml:"name"`
	}
	if err := node.Decode(&full); err != nil {
		return err
	}
	r.Name = full.Name
	return nil
}

// Auth types, as keystoneauth names its plugins. Token-based ones cannot work for a controller:
// a token expires and nothing could renew it.
var (
	passwordAuthTypes = []string{"password", "v3password"}
	appCredAuthTypes  = []string{"v3applicationcredential"}
)

var yamlLine = regexp.MustCompile(`line (\d+)`)

// parseCloudsYAML reads the chosen cloud of the clouds.yaml in data. File paths (cacert, cert,
// key) cannot be read from inside a Secret: their PEM goes into the caCert, clientCert and
// clientKey keys instead, which tlsKeys carries. It returns the cloud's credentials and the
// names of its fields for error messages.
func parseCloudsYAML(data map[string][]byte, root *field.Path, tlsKeys tlsSettings) (*Credentials, names, field.ErrorList) {
	filePath := root.Key(KeyCloudsYAML)
	var file cloudsFile
	if err := yaml.Unmarshal(data[KeyCloudsYAML], &file); err != nil {
		return nil, names{}, field.ErrorList{field.Invalid(filePath, field.OmitValueType{}, "is not a valid clouds.yaml"+yamlWhere(err))}
	}
	name, cloud, errs := pickCloud(file, strings.TrimSpace(string(data[KeyCloud])), root)
	if len(errs) > 0 {
		return nil, names{}, errs
	}
	cloudPath := filePath.Child("clouds").Key(clip(name))
	authPath := cloudPath.Child("auth")
	n := cloudsNames(cloudPath, authPath)
	if cloud.Auth == nil {
		return nil, n, field.ErrorList{field.Required(authPath, "the cloud has no auth section")}
	}
	a := cloud.Auth
	t := func(s string) string { return strings.TrimSpace(s) }
	c := &Credentials{
		AuthURL:     t(a.AuthURL),
		Username:    t(a.Username),
		UserID:      t(a.UserID),
		Password:    t(a.Password),
		ProjectName: firstOf(a.ProjectName, a.TenantName),
		ProjectID:   firstOf(a.ProjectID, a.TenantID),
		Region:      t(cloud.RegionName),
	}
	// keystoneauth's fallbacks: a project's domain is project_domain_*, else domain_*, else
	// default_domain_*; a user's domain is user_domain_*, else domain_*, else default_domain_*.
	// Each pair is taken as a whole, so an ID from one level never mixes with a name from another.
	c.DomainName, c.DomainID = firstPair([2]string{a.ProjectDomainName, a.ProjectDomainID},
		[2]string{a.DomainName, a.DomainID}, [2]string{a.DefaultDomainName, a.DefaultDomainID})
	c.UserDomainName, c.UserDomainID = firstPair([2]string{a.UserDomainName, a.UserDomainID},
		[2]string{a.DomainName, a.DomainID}, [2]string{a.DefaultDomainName, a.DefaultDomainID})

	authType := strings.TrimSpace(cloud.AuthType)
	switch {
	case authType == "" || slices.Contains(passwordAuthTypes, authType) || slices.Contains(appCredAuthTypes, authType):
	default:
		// The value is a plugin name, not a secret, but it is left out all the same.
		errs = append(errs, field.NotSupported(cloudPath.Child("auth_type"), field.OmitValueType{},
			append(slices.Clone(passwordAuthTypes), appCredAuthTypes...)))
	}
	// An explicit auth type decides which fields count; keystoneauth ignores the others too.
	if authType == "" || slices.Contains(appCredAuthTypes, authType) {
		c.ApplicationCredentialID = t(a.ApplicationCredentialID)
		c.ApplicationCredentialName = t(a.ApplicationCredentialName)
		c.ApplicationCredentialSecret = t(a.ApplicationCredentialSecret)
	}
	switch {
	case slices.Contains(appCredAuthTypes, authType):
		c.Password = ""
		n.method = methodAppCred
	case slices.Contains(passwordAuthTypes, authType):
		n.method = methodPassword
	}

	if c.Region == "" && len(cloud.Regions) == 1 {
		c.Region = t(cloud.Regions[0].Name)
	}
	if v := t(cloud.IdentityAPIVersion); v != "" && v != "3" && !strings.HasPrefix(v, "3.") {
		errs = append(errs, field.NotSupported(cloudPath.Child("identity_api_version"), clip(v), []string{"3"}))
	}
	ifacePath, iface := cloudPath.Child("interface"), cloud.Interface
	if iface == "" {
		ifacePath, iface = cloudPath.Child("endpoint_type"), cloud.EndpointType
	}
	if iface != "" {
		var ok bool
		if c.Interface, ok = normalizeInterface(iface); !ok {
			errs = append(errs, field.NotSupported(ifacePath, clip(iface), []string{InterfacePublic, InterfaceInternal, InterfaceAdmin}))
		}
	}
	if p := t(cloud.Profile); p != "" {
		errs = append(errs, field.Forbidden(cloudPath.Child("profile"),
			"vendor profiles are not available to the driver; write the cloud's settings (auth_url, region_name, ...) into the entry"))
	}

	if cloud.Verify != nil {
		c.Insecure = !*cloud.Verify
		if tlsKeys.insecureSet && tlsKeys.insecure != c.Insecure {
			errs = append(errs, field.Invalid(cloudPath.Child("verify"), field.OmitValueType{},
				fmt.Sprintf("contradicts %s", root.Key(KeyInsecure))))
		}
	}
	if t(cloud.CACertFile) != "" && len(tlsKeys.caCert) == 0 {
		errs = append(errs, field.Invalid(cloudPath.Child("cacert"), field.OmitValueType{},
			fmt.Sprintf("a file path cannot be read from a Secret; put the PEM certificate into %s", root.Key(KeyCACert))))
	}
	if t(cloud.ClientCertFile) != "" && len(tlsKeys.clientCert) == 0 {
		errs = append(errs, field.Invalid(cloudPath.Child("cert"), field.OmitValueType{},
			fmt.Sprintf("a file path cannot be read from a Secret; put the PEM certificate into %s", root.Key(KeyClientCert))))
	}
	if t(cloud.ClientKeyFile) != "" && len(tlsKeys.clientKey) == 0 {
		errs = append(errs, field.Invalid(cloudPath.Child("key"), field.OmitValueType{},
			fmt.Sprintf("a file path cannot be read from a Secret; put the PEM key into %s", root.Key(KeyClientKey))))
	}

	errs = append(errs, c.validate(n)...)
	if len(errs) > 0 {
		return nil, n, errs
	}
	return c, n, nil
}

func cloudsNames(cloudPath, authPath *field.Path) names {
	return names{
		path: func(name string) *field.Path {
			if name == "region_name" {
				return cloudPath.Child(name)
			}
			return authPath.Child(name)
		},
		authURL: "auth_url", username: "username", userID: "user_id", password: "password",
		projectName: "project_name", projectID: "project_id", domainName: "project_domain_name", domainID: "project_domain_id",
		userDomainName: "user_domain_name", userDomainID: "user_domain_id", region: "region_name",
		appCredID: "application_credential_id", appCredName: "application_credential_name",
		appCredSecret:     "application_credential_secret",
		projectDomainHint: "project_domain_name, project_domain_id, domain_name or domain_id",
		userDomainHint:    "user_domain_name, user_domain_id, domain_name or domain_id",
	}
}

// pickCloud chooses the cloud named by the Secret's "cloud" key, else the only cloud, else the
// one named "openstack". Cloud names are not secret and are listed to help pick one.
func pickCloud(file cloudsFile, wanted string, root *field.Path) (string, cloudEntry, field.ErrorList) {
	available := make([]string, 0, len(file.Clouds))
	for name := range file.Clouds {
		available = append(available, name)
	}
	slices.Sort(available)
	// The names an error lists: not secret, but there may be many and they may be long.
	listed := make([]string, 0, min(len(available), maxListedClouds))
	for _, name := range available[:min(len(available), maxListedClouds)] {
		listed = append(listed, clip(name))
	}
	switch {
	case len(available) == 0:
		return "", cloudEntry{}, field.ErrorList{field.Required(root.Key(KeyCloudsYAML).Child("clouds"), "the clouds.yaml defines no cloud")}
	case wanted != "":
		if c, ok := file.Clouds[wanted]; ok {
			return wanted, c, nil
		}
		return "", cloudEntry{}, field.ErrorList{field.NotSupported(root.Key(KeyCloud), clip(wanted), listed)}
	case len(available) == 1:
		return available[0], file.Clouds[available[0]], nil
	}
	if c, ok := file.Clouds[defaultCloudName]; ok {
		return defaultCloudName, c, nil
	}
	return "", cloudEntry{}, field.ErrorList{field.Required(root.Key(KeyCloud),
		fmt.Sprintf("the clouds.yaml defines several clouds and none is called %q; name one of: %s",
			defaultCloudName, strings.Join(listed, ", ")))}
}

// normalizeInterface accepts the interface names of clouds.yaml, including the publicURL form of
// endpoint_type.
func normalizeInterface(s string) (string, bool) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.TrimSuffix(v, "url")
	switch v {
	case InterfacePublic, InterfaceInternal, InterfaceAdmin:
		return v, true
	}
	return "", false
}

// yamlWhere keeps only the line numbers of a YAML error: the messages of go-yaml quote the
// offending scalar, which may be a password.
func yamlWhere(err error) string {
	var lines []string
	for _, m := range yamlLine.FindAllStringSubmatch(err.Error(), 5) {
		if !slices.Contains(lines, m[1]) {
			lines = append(lines, m[1])
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return " (see line " + strings.Join(lines, ", ") + ")"
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// firstPair returns the first (name, id) pair with either half set.
func firstPair(pairs ...[2]string) (string, string) {
	for _, p := range pairs {
		name, id := strings.TrimSpace(p[0]), strings.TrimSpace(p[1])
		if name != "" || id != "" {
			return name, id
		}
	}
	return "", ""
}

// clip shortens a non-secret value repeated in a message.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return strings.ToValidUTF8(s[:limit], "") + "..."
}
