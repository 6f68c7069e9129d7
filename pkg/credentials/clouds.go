package credentials

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// defaultCloudName is used when the clouds.yaml has several clouds and no "cloud" key picks one.
const defaultCloudName = "openstack"

// cloudsPaths names clouds.yaml's auth fields in errors.
var cloudsPaths = fieldNames{
	authURL: "auth_url", domainName: "project_domain_name", domainID: "project_domain_id", projectName: "project_name",
	projectID: "project_id", username: "username", userID: "user_id", password: "password",
	appCredID: "application_credential_id", appCredName: "application_credential_name", appCredSecret: "application_credential_secret",
}

// fromCloudsYAML reads the cloud named by the "cloud" key (or the only cloud, or "openstack")
// from a clouds.yaml. File paths in it (cacert, cert, key) cannot be read from a Secret: the PEM
// goes into the caCert / clientCert / clientKey keys instead.
func fromCloudsYAML(data map[string][]byte, root *field.Path) (*Credentials, field.ErrorList) {
	path := root.Key(KeyCloudsYAML)
	var file clouds.Clouds
	if err := yaml.Unmarshal(data[KeyCloudsYAML], &file); err != nil {
		// The YAML error may quote the file, secrets included: report only that it failed.
		return nil, field.ErrorList{field.Invalid(path, redacted, "not a valid clouds.yaml")}
	}
	name, cloud, errs := pickCloud(file, value(data, KeyCloud), root)
	if len(errs) > 0 {
		return nil, errs
	}
	cloudPath := path.Child("clouds", name)
	auth := cloud.AuthInfo
	if auth == nil {
		return nil, field.ErrorList{field.Required(cloudPath.Child("auth"), "the cloud has no auth section")}
	}
	switch cloud.AuthType {
	case "", clouds.AuthPassword, clouds.AuthV3Password, clouds.AuthV3ApplicationCredential:
	default:
		return nil, field.ErrorList{field.NotSupported(cloudPath.Child("auth_type"), string(cloud.AuthType),
			[]string{string(clouds.AuthPassword), string(clouds.AuthV3Password), string(clouds.AuthV3ApplicationCredential)})}
	}
	c := &Credentials{
		AuthURL:                     strings.TrimSpace(auth.AuthURL),
		DomainName:                  firstOf(auth.ProjectDomainName, auth.DomainName, auth.DefaultDomain),
		DomainID:                    firstOf(auth.ProjectDomainID, auth.DomainID),
		ProjectName:                 auth.ProjectName,
		ProjectID:                   auth.ProjectID,
		Username:                    auth.Username,
		UserID:                      auth.UserID,
		Password:                    auth.Password,
		UserDomainName:              firstOf(auth.UserDomainName, auth.DefaultDomain),
		UserDomainID:                auth.UserDomainID,
		ApplicationCredentialID:     auth.ApplicationCredentialID,
		ApplicationCredentialName:   auth.ApplicationCredentialName,
		ApplicationCredentialSecret: auth.ApplicationCredentialSecret,
		Region:                      cloud.RegionName,
		Interface:                   firstOf(cloud.Interface, cloud.EndpointType),
		CACert:                      raw(data, KeyCACert),
		ClientCert:                  raw(data, KeyClientCert),
		ClientKey:                   raw(data, KeyClientKey),
	}
	if cloud.Verify != nil && !*cloud.Verify {
		c.Insecure = true
	}
	if v := value(data, KeyInsecure); v == "true" {
		c.Insecure = true
	}
	names := cloudsPaths
	authPath := cloudPath.Child("auth")
	names.path = func(_ *field.Path, n string) *field.Path { return authPath.Child(n) }
	errs = c.validate(root, names)
	if cloud.CACertFile != "" && len(c.CACert) == 0 {
		errs = append(errs, field.Invalid(cloudPath.Child("cacert"), redacted,
			"a file path cannot be read from a Secret; put the PEM into the "+KeyCACert+" key"))
	}
	if (cloud.ClientCertFile != "" || cloud.ClientKeyFile != "") && len(c.ClientCert) == 0 {
		errs = append(errs, field.Invalid(cloudPath.Child("cert"), redacted,
			"file paths cannot be read from a Secret; put the PEMs into the "+KeyClientCert+" and "+KeyClientKey+" keys"))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

func pickCloud(file clouds.Clouds, wanted string, root *field.Path) (string, clouds.Cloud, field.ErrorList) {
	names := make([]string, 0, len(file.Clouds))
	for n := range file.Clouds {
		names = append(names, n)
	}
	slices.Sort(names)
	switch {
	case wanted != "":
		if c, ok := file.Clouds[wanted]; ok {
			return wanted, c, nil
		}
		return "", clouds.Cloud{}, field.ErrorList{field.NotFound(root.Key(KeyCloud), wanted)}
	case len(names) == 1:
		return names[0], file.Clouds[names[0]], nil
	case len(names) == 0:
		return "", clouds.Cloud{}, field.ErrorList{field.Required(root.Key(KeyCloudsYAML).Child("clouds"), "no cloud is defined")}
	}
	if c, ok := file.Clouds[defaultCloudName]; ok {
		return defaultCloudName, c, nil
	}
	return "", clouds.Cloud{}, field.ErrorList{field.Required(root.Key(KeyCloud),
		fmt.Sprintf("the clouds.yaml defines several clouds (%s); name one", strings.Join(names, ", ")))}
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
