package ossim

import (
	"crypto/ed25519"
	"crypto/md5" //nolint:gosec // G501: for Nova's MD5 keypair fingerprint, not for security
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

func (s *Sim) novaRoutes(mux *http.ServeMux) {
	s.doc(mux, "compute", "/compute", []string{"", "/"}, (*call).computeVersions)
	s.doc(mux, "compute", "/compute", []string{"/v2.1", "/v2.1/"}, (*call).computeVersion)
	r := func(method, path string, h func(*call)) { s.handle(mux, "compute", computePrefix, method, path, h) }
	r("POST", "/servers", (*call).createServer)
	r("GET", "/servers", func(c *call) { c.listServers(false) })
	r("GET", "/servers/detail", func(c *call) { c.listServers(true) })
	r("GET", "/servers/{id}", (*call).getServer)
	r("DELETE", "/servers/{id}", (*call).deleteServer)
	r("GET", "/servers/{id}/tags", (*call).serverTags)
	r("PUT", "/servers/{id}/tags", (*call).replaceServerTags)
	r("DELETE", "/servers/{id}/tags", (*call).deleteServerTags)
	r("GET", "/servers/{id}/tags/{tag}", (*call).checkServerTag)
	r("PUT", "/servers/{id}/tags/{tag}", (*call).addServerTag)
	r("DELETE", "/servers/{id}/tags/{tag}", (*call).deleteServerTag)
	r("GET", "/servers/{id}/metadata", (*call).serverMetadata)
	r("POST", "/servers/{id}/metadata", func(c *call) { c.setServerMetadata(false) })
	r("PUT", "/servers/{id}/metadata", func(c *call) { c.setServerMetadata(true) })
	r("GET", "/servers/{id}/metadata/{key}", (*call).serverMetadataItem)
	r("PUT", "/servers/{id}/metadata/{key}", (*call).setServerMetadataItem)
	r("DELETE", "/servers/{id}/metadata/{key}", (*call).deleteServerMetadataItem)
	r("GET", "/images", func(c *call) { c.listProxyImages(false) })
	r("GET", "/images/detail", func(c *call) { c.listProxyImages(true) })
	r("GET", "/images/{id}", (*call).getProxyImage)
	r("GET", "/flavors", func(c *call) { c.listFlavors(false) })
	r("GET", "/flavors/detail", func(c *call) { c.listFlavors(true) })
	r("GET", "/flavors/{id}", (*call).getFlavor)
	r("GET", "/os-keypairs", (*call).listKeypairs)
	r("POST", "/os-keypairs", (*call).createKeypair)
	r("GET", "/os-keypairs/{name}", (*call).getKeypair)
	r("DELETE", "/os-keypairs/{name}", (*call).deleteKeypair)
	r("GET", "/os-server-groups", (*call).listServerGroups)
	r("POST", "/os-server-groups", (*call).createServerGroup)
	r("GET", "/os-server-groups/{id}", (*call).getServerGroup)
	r("DELETE", "/os-server-groups/{id}", (*call).deleteServerGroup)
	r("GET", "/os-availability-zone", (*call).availabilityZones)
	r("GET", "/limits", (*call).limits)
	s.unrouted(mux, "compute", computePrefix+"/")
}

func (s *Sim) computeVersionDoc() map[string]any {
	return map[string]any{"id": "v2.1", "status": "CURRENT", "version": computeMax.String(), "min_version": computeMin.String(),
		"updated": "2013-07-23T11:33:21Z", "links": []map[string]any{{"rel": "self", "href": s.url + computePrefix + "/"}},
		"media-types": []map[string]any{{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}}}
}

func (c *call) computeVersions() {
	c.json(http.StatusOK, map[string]any{"versions": []any{
		map[string]any{"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "", "updated": "2011-01-21T11:33:21Z",
			"links": []map[string]any{{"rel": "self", "href": c.s.url + "/compute/v2/"}}},
		c.s.computeVersionDoc(),
	}})
}

func (c *call) computeVersion() {
	c.json(http.StatusOK, map[string]any{"version": c.s.computeVersionDoc()})
}

// novaTime is the timestamp format of Nova's API.
func novaTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// --- flavors ---------------------------------------------------------------------------------

func (c *call) flavorJSON(f *flavor, detail bool) map[string]any {
	d := map[string]any{"id": f.id, "name": f.name, "links": []map[string]any{
		{"rel": "self", "href": c.s.url + computePrefix + "/flavors/" + f.id},
		{"rel": "bookmark", "href": c.s.url + "/compute/flavors/" + f.id}}}
	if c.micro.atLeast(2, 55) {
		d["description"] = nil
	}
	if !detail {
		return d
	}
	d["vcpus"], d["ram"], d["disk"] = f.vcpus, f.ramMB, f.diskGB
	// swap is "" when there is none up to 2.74, an integer from 2.75 on.
	d["swap"] = any("")
	if c.micro.atLeast(2, 75) {
		d["swap"] = 0
	}
	d["OS-FLV-EXT-DATA:ephemeral"], d["OS-FLV-DISABLED:disabled"], d["os-flavor-access:is_public"], d["rxtx_factor"] = 0, false, true, 1.0
	if c.micro.atLeast(2, 61) {
		d["extra_specs"] = f.extraSpecs
	}
	return d
}

// listFlavors serves the flavor lists: sorted by flavorid, filtered by minDisk and minRam,
// paginated like every Nova list.
func (c *call) listFlavors(detail bool) {
	minDisk, minRAM := atoiOr(c.query("minDisk"), 0), atoiOr(c.query("minRam"), 0)
	var list []*flavor
	for _, f := range c.st.flavors {
		if f.diskGB >= minDisk && f.ramMB >= minRAM {
			list = append(list, f)
		}
	}
	slices.SortFunc(list, func(a, b *flavor) int { return strings.Compare(a.id, b.id) })
	if c.query("sort_dir") == "desc" {
		slices.Reverse(list)
	}
	path := computePrefix + "/flavors"
	if detail {
		path += "/detail"
	}
	novaList(c, "flavors", path, list, func(f *flavor) string { return f.id }, func(f *flavor) map[string]any { return c.flavorJSON(f, detail) })
}

func (c *call) getFlavor() {
	f := c.st.flavors[c.r.PathValue("id")]
	if f == nil {
		c.fail(http.StatusNotFound, "Flavor "+c.r.PathValue("id")+" could not be found.")
		return
	}
	c.json(http.StatusOK, map[string]any{"flavor": c.flavorJSON(f, true)})
}

// novaList answers one page of a Nova (or Cinder) list. The next link appears whenever the page
// is full, even if nothing follows: Nova cannot tell, so the client asks once more and gets an
// empty page.
func novaList[T any](c *call, key, path string, items []T, id func(T) string, render func(T) map[string]any) {
	limit, ok := c.pageLimit(c.s.opts.MaxLimit)
	if !ok {
		return
	}
	marker := c.query("marker")
	pageItems, found := pageOf(items, id, marker, limit)
	if !found {
		if c.service == "volume" {
			c.fail(http.StatusBadRequest, "Marker "+marker+" could not be found.")
		} else {
			c.fail(http.StatusBadRequest, "marker ["+marker+"] not found")
		}
		return
	}
	out := make([]map[string]any, 0, len(pageItems))
	for _, it := range pageItems {
		out = append(out, render(it))
	}
	body := map[string]any{key: out}
	if len(pageItems) > 0 && len(pageItems) == limit {
		body[key+"_links"] = []map[string]any{{"rel": "next", "href": c.nextLink(path, id(pageItems[len(pageItems)-1]))}}
	}
	c.json(http.StatusOK, body)
}

// --- keypairs --------------------------------------------------------------------------------

func (c *call) keypairJSON(k *keypair, full bool) map[string]any {
	d := map[string]any{"name": k.name, "public_key": k.publicKey, "fingerprint": k.fingerprint}
	if c.micro.atLeast(2, 2) {
		d["type"] = k.keyType
	}
	if full {
		d["user_id"], d["created_at"], d["deleted"], d["deleted_at"], d["updated_at"], d["id"] =
			k.userID, k.created.UTC().Format("2006-01-02T15:04:05.000000"), false, nil, nil, k.id
	}
	return d
}

func (c *call) listKeypairs() {
	var list []*keypair
	for _, k := range c.st.keypairs {
		if k.userID == c.token.userID {
			list = append(list, k)
		}
	}
	slices.SortFunc(list, func(a, b *keypair) int { return strings.Compare(a.name, b.name) })
	out := []map[string]any{}
	for _, k := range list {
		out = append(out, map[string]any{"keypair": c.keypairJSON(k, false)})
	}
	c.json(http.StatusOK, map[string]any{"keypairs": out})
}

func (c *call) keypairOf() *keypair {
	k := c.st.keypairs[c.token.userID+"/"+c.r.PathValue("name")]
	if k == nil {
		c.fail(http.StatusNotFound, "Keypair "+c.r.PathValue("name")+" not found for user "+c.token.userID)
	}
	return k
}

func (c *call) getKeypair() {
	if k := c.keypairOf(); k != nil {
		c.json(http.StatusOK, map[string]any{"keypair": c.keypairJSON(k, true)})
	}
}

var keypairName = regexp.MustCompile(`^[a-zA-Z0-9 _-]+$`)

// createKeypair imports a public key or, below 2.92, generates an RSA key pair and returns the
// private key once, as Nova does.
func (c *call) createKeypair() {
	var body struct {
		Keypair struct {
			Name      string `json:"name"`
			PublicKey string `json:"public_key"`
			Type      string `json:"type"`
		} `json:"keypair"`
	}
	if !c.decode(&body) {
		return
	}
	in := body.Keypair
	namePattern := keypairName
	if c.micro.atLeast(2, 92) {
		namePattern = regexp.MustCompile(`^[a-zA-Z0-9 @._-]+$`)
	}
	if len(in.Name) > 255 || !namePattern.MatchString(in.Name) {
		c.fail(http.StatusBadRequest, fmt.Sprintf("Invalid input for field/attribute name. Value: %s. '%s' does not match '%s'", in.Name, in.Name, namePattern))
		return
	}
	key := c.token.userID + "/" + in.Name
	if c.st.keypairs[key] != nil {
		c.fail(http.StatusConflict, "Key pair '"+in.Name+"' already exists.")
		return
	}
	k := &keypair{id: len(c.st.keypairs) + 1, name: in.Name, userID: c.token.userID, keyType: "ssh", created: time.Now()}
	private := ""
	if in.PublicKey == "" {
		if c.micro.atLeast(2, 92) {
			c.fail(http.StatusBadRequest, "Invalid input for field/attribute keypair. Value: {...}. 'public_key' is a required property")
			return
		}
		k.publicKey, private = generateRSAKeypair()
	} else {
		k.publicKey = strings.TrimSpace(in.PublicKey)
	}
	fp, err := fingerprint(k.publicKey)
	if err != nil {
		c.fail(http.StatusBadRequest, "Keypair data is invalid: failed to generate fingerprint")
		return
	}
	k.fingerprint = fp
	c.st.keypairs[key] = k
	out := c.keypairJSON(k, false)
	out["user_id"] = k.userID
	if private != "" {
		out["private_key"] = private
	}
	code := http.StatusOK
	if c.micro.atLeast(2, 2) {
		code = http.StatusCreated
	}
	c.json(code, map[string]any{"keypair": out})
}

func (c *call) deleteKeypair() {
	if k := c.keypairOf(); k != nil {
		delete(c.st.keypairs, k.userID+"/"+k.name)
		if c.micro.atLeast(2, 2) {
			c.status(http.StatusNoContent)
		} else {
			c.status(http.StatusAccepted)
		}
	}
}

// fingerprint is Nova's keypair fingerprint: the MD5 of the key blob, colon-separated. It fails
// for anything that is not "<type> <base64 blob of that type> [comment]".
func fingerprint(publicKey string) (string, error) {
	fields := strings.Fields(publicKey)
	if len(fields) < 2 {
		return "", errors.New("not an OpenSSH public key")
	}
	blob, err := base64.StdEncoding.DecodeString(fields[1])
	if err != nil || len(blob) < 4 {
		return "", errors.New("key is not base64")
	}
	n := binary.BigEndian.Uint32(blob)
	if int(n) > len(blob)-4 || string(blob[4:4+n]) != fields[0] {
		return "", errors.New("key type does not match its blob")
	}
	sum := md5.Sum(blob) //nolint:gosec // G401: Nova's keypair fingerprint is the MD5 of the key blob by definition
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02x", b)
	}
	return strings.Join(parts, ":"), nil
}

// sshString is the SSH wire encoding of a string or mpint body.
func sshString(b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...) //nolint:gosec // G115: SSH key parts are far below 4 GiB
}

func ed25519PublicKey(seed []byte, comment string) string {
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	blob := append(sshString([]byte("ssh-ed25519")), sshString(pub)...)
	return "ssh-ed25519 " + base64.StdEncoding.EncodeToString(blob) + " " + comment
}

// generateRSAKeypair makes what Nova hands out for a generated keypair: an OpenSSH RSA public
// key and the PEM private key.
func generateRSAKeypair() (public, private string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	mpint := func(n *big.Int) []byte {
		b := n.Bytes()
		if len(b) > 0 && b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return sshString(b)
	}
	blob := append(sshString([]byte("ssh-rsa")), mpint(big.NewInt(int64(key.E)))...)
	blob = append(blob, mpint(key.N)...)
	public = "ssh-rsa " + base64.StdEncoding.EncodeToString(blob) + " Generated-by-Nova"
	private = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	return public, private
}

// --- server groups ---------------------------------------------------------------------------

var groupPolicies = []string{"affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"}

func (c *call) serverGroupJSON(g *serverGroup) map[string]any {
	d := map[string]any{"id": g.id, "name": g.name, "members": orEmpty(slices.Clone(g.members))}
	if c.micro.atLeast(2, 13) {
		d["project_id"], d["user_id"] = g.projectID, g.userID
	}
	if c.micro.atLeast(2, 64) {
		d["policy"], d["rules"] = g.policy, map[string]any{}
	} else {
		d["policies"], d["metadata"] = []string{g.policy}, map[string]any{}
	}
	return d
}

func (c *call) listServerGroups() {
	var list []*serverGroup
	for _, g := range c.st.serverGroups {
		if g.projectID == c.token.projectID {
			list = append(list, g)
		}
	}
	slices.SortFunc(list, func(a, b *serverGroup) int { return strings.Compare(a.id, b.id) })
	out := []map[string]any{}
	for _, g := range list {
		out = append(out, c.serverGroupJSON(g))
	}
	c.json(http.StatusOK, map[string]any{"server_groups": out})
}

// createServerGroup takes "policies" (a list of one) below 2.64 and "policy" from 2.64 on.
func (c *call) createServerGroup() {
	var body struct {
		ServerGroup map[string]any `json:"server_group"`
	}
	if !c.decode(&body) {
		return
	}
	in := body.ServerGroup
	name, _ := in["name"].(string)
	var policy string
	if c.micro.atLeast(2, 64) {
		if _, ok := in["policies"]; ok {
			c.fail(http.StatusBadRequest, "Invalid input for field/attribute server_group. Value: {...}. Additional properties are not allowed ('policies' was unexpected)")
			return
		}
		policy, _ = in["policy"].(string)
	} else if list, ok := in["policies"].([]any); ok && len(list) == 1 {
		policy, _ = list[0].(string)
	}
	if name == "" || !slices.Contains(groupPolicies, policy) {
		c.fail(http.StatusBadRequest, fmt.Sprintf("Invalid input for field/attribute server_group. Value: %v. The server group needs a name and one of the policies %v", in, groupPolicies))
		return
	}
	g := &serverGroup{id: newID(), name: name, projectID: c.token.projectID, userID: c.token.userID, policy: policy}
	c.st.serverGroups[g.id] = g
	c.json(http.StatusOK, map[string]any{"server_group": c.serverGroupJSON(g)})
}

func (c *call) serverGroupOf() *serverGroup {
	g := c.st.serverGroups[c.r.PathValue("id")]
	if g == nil || g.projectID != c.token.projectID {
		c.fail(http.StatusNotFound, "Instance group "+c.r.PathValue("id")+" could not be found.")
		return nil
	}
	return g
}

func (c *call) getServerGroup() {
	if g := c.serverGroupOf(); g != nil {
		c.json(http.StatusOK, map[string]any{"server_group": c.serverGroupJSON(g)})
	}
}

func (c *call) deleteServerGroup() {
	if g := c.serverGroupOf(); g != nil {
		delete(c.st.serverGroups, g.id)
		c.status(http.StatusNoContent)
	}
}

// --- availability zones and limits -----------------------------------------------------------

func (c *call) availabilityZones() {
	c.json(http.StatusOK, map[string]any{"availabilityZoneInfo": []map[string]any{
		{"zoneName": "nova", "zoneState": map[string]any{"available": true}, "hosts": nil}}})
}

// limits reports the project's absolute limits from its quota, as Nova does (-1 is unlimited).
func (c *call) limits() {
	q := c.st.quota(c.token.projectID)
	used, cores, ram := c.st.computeUsage(c.token.projectID)
	groups := 0
	for _, g := range c.st.serverGroups {
		if g.projectID == c.token.projectID {
			groups++
		}
	}
	abs := map[string]any{
		"maxTotalInstances": q.Instances, "maxTotalCores": q.Cores, "maxTotalRAMSize": q.RAMMB,
		"totalInstancesUsed": used, "totalCoresUsed": cores, "totalRAMUsed": ram,
		"maxServerMeta": maxServerMeta, "maxImageMeta": 128, "maxTotalKeypairs": 100,
		"maxServerGroups": 10, "maxServerGroupMembers": 10, "totalServerGroupsUsed": groups,
	}
	if !c.micro.atLeast(2, 36) {
		maps.Copy(abs, map[string]any{"maxSecurityGroups": -1, "maxSecurityGroupRules": -1, "maxTotalFloatingIps": -1,
			"totalSecurityGroupsUsed": 0, "totalFloatingIpsUsed": 0})
	}
	if !c.micro.atLeast(2, 57) {
		abs["maxPersonality"], abs["maxPersonalitySize"] = 5, 10240
	}
	c.json(http.StatusOK, map[string]any{"limits": map[string]any{"rate": []any{}, "absolute": abs}})
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}
