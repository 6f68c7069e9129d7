package framework

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// This file finds secrets where they must not be: it knows a set of secret values (Secrets) and
// looks for every one of them, raw and encoded, in logs, objects and metrics (Scanner),
// reporting where without ever printing a value. make chaos and the integration suite use it.

// Secrets are the secret values a run knows of.
type Secrets struct {
	mu      sync.Mutex
	entries []secret
	known   map[string]bool // values
}

// secret is a secret value; part names a piece of a longer secret (found on the same line as the
// whole, it is one finding).
type secret struct{ name, part, value string }

// NewSecrets returns an empty set.
func NewSecrets() *Secrets {
	return &Secrets{known: map[string]bool{}}
}

// Add adds a secret value under a name (which must not contain the value: findings are reported
// by name). Empty and known values are ignored.
func (s *Secrets) Add(name, value string) { s.AddPart(name, "", value) }

// AddPart adds a piece of the secret name, such as the secret half of a bootstrap token.
func (s *Secrets) AddPart(name, part, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if value == "" || s.known[value] {
		return
	}
	s.known[value] = true
	s.entries = append(s.entries, secret{name, part, value})
}

// Len counts the secrets (not their parts).
func (s *Secrets) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.entries {
		if e.part == "" {
			n++
		}
	}
	return n
}

// TooShort counts the secrets (not their parts) shorter than MinShort, which AllNeedles does
// not look for: none since MinShort is 1 (Needles still skips those shorter than Window).
func (s *Secrets) TooShort() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.entries {
		if e.part == "" && len(e.value) < MinShort {
			n++
		}
	}
	return n
}

// Kinds counts the secrets (not their parts) by kind: their names, with the numbered ones
// (bootstrap tokens, Keystone tokens, servers' userData) together, sorted; no values.
func (s *Secrets) Kinds() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	count := map[string]int{}
	for _, e := range s.entries {
		if e.part == "" {
			count[secretKind(e.name)]++
		}
	}
	kinds := make([]string, 0, len(count))
	for k, n := range count {
		kinds = append(kinds, fmt.Sprintf("%s x%d", k, n))
	}
	sort.Strings(kinds)
	return strings.Join(kinds, ", ")
}

// CollectBootstrapTokens adds MCM's bootstrap token Secrets (kube-system), which live only while
// a machine is being created.
func (s *Secrets) CollectBootstrapTokens(ctx context.Context, cs kubernetes.Interface) {
	list, err := cs.CoreV1().Secrets(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("type", string(corev1.SecretTypeBootstrapToken)).String()})
	if err == nil {
		for i := range list.Items {
			s.addBootstrapToken(&list.Items[i])
		}
	}
}

func (s *Secrets) addBootstrapToken(sec *corev1.Secret) {
	id, secret := string(sec.Data["token-id"]), string(sec.Data["token-secret"])
	if secret != "" {
		s.Add("bootstrap token "+id, id+"."+secret)
		s.AddPart("bootstrap token "+id, "secret part", secret)
	}
}

// CollectSimUserData adds the bootstrap tokens of the userData the simulator's servers got
// (kubernetes/examples' userData says "with token <token>"). Simulator only: a real Nova does
// not show user data to a project.
func (s *Secrets) CollectSimUserData(sim *ossim.Sim) {
	for _, srv := range sim.Servers() {
		if i := strings.Index(srv.UserData, "with token "); i >= 0 {
			tok := strings.Fields(srv.UserData[i+len("with token "):])
			if len(tok) > 0 {
				tok[0] = strings.Trim(tok[0], `"'`)
				if parts := strings.SplitN(tok[0], ".", 2); len(parts) == 2 {
					s.Add("bootstrap token "+parts[0], tok[0])
					s.AddPart("bootstrap token "+parts[0], "secret part", parts[1])
				}
			}
		}
	}
}

// helmReleaseType is the type of the Secrets Helm keeps its release records in: the chart's
// manifests and values, which hold no credential here, as one gzipped blob.
const helmReleaseType = "helm.sh/release.v1"

// AddSecret adds the secret values of a Kubernetes Secret: a bootstrap token, or the data
// under keys that name a secret (SecretKey), and inside those, when they are YAML or JSON
// (clouds.yaml, kubeconfig), the values under such keys too.
func (s *Secrets) AddSecret(sec *corev1.Secret) {
	switch sec.Type {
	case corev1.SecretTypeBootstrapToken:
		s.addBootstrapToken(sec)
		return
	case helmReleaseType:
		return
	}
	for key, v := range sec.Data {
		if SecretKey(key) {
			s.AddStructured(fmt.Sprintf("Secret %s/%s %s", sec.Namespace, sec.Name, key), string(v))
		}
	}
}

// AddStructured adds value and, when it is a YAML or JSON document, its leaves under secret
// keys (named name + " " + their path); "-data" leaves (a kubeconfig's client-key-data) are
// base64 and added decoded as well.
func (s *Secrets) AddStructured(name, value string) {
	s.Add(name, value)
	if !strings.ContainsAny(value, "\n{") {
		return
	}
	var doc any
	if err := yaml.Unmarshal([]byte(value), &doc); err != nil {
		return
	}
	var walk func(path string, v any, secretParent bool)
	walk = func(path string, v any, secretParent bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(path+"."+k, c, secretParent || SecretKey(k))
			}
		case []any:
			for i, c := range x {
				walk(path+"["+strconv.Itoa(i)+"]", c, secretParent)
			}
		case string:
			if !secretParent {
				return
			}
			s.Add(name+" "+path, x)
			if strings.HasSuffix(path, "-data") {
				if b, err := base64.StdEncoding.DecodeString(x); err == nil {
					s.AddPEM(name+" "+path+" (decoded)", b)
				}
			}
		}
	}
	walk("", doc, false)
}

// AddPEM adds a PEM document (a private key) and, as parts, each of its base64 lines, so a key
// logged line by line is found too.
func (s *Secrets) AddPEM(name string, pem []byte) {
	s.Add(name, string(pem))
	for i, line := range strings.Split(string(pem), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "-----") {
			s.AddPart(name, fmt.Sprintf("PEM line %d", i+1), line)
		}
	}
}

var (
	secretKeyWords = regexp.MustCompile(`(?i)(password|passwd|secret|token|userdata|user-data|user_data|private|credential|kubeconfig|clouds\.yaml|key-data|key_data|^key$|\.key$|privatekey)`)
	publicKeyWords = regexp.MustCompile(`(?i)(id|name|url|uri|endpoint|type|ttl|expiration|expires_at|usage-[a-z-]+|groups|description|public[a-z_-]*|ca\.crt|\.crt|certificate[a-z_-]*)$`)
)

// SecretKey tells whether a Secret data key (or a key inside a clouds.yaml or kubeconfig) names
// a secret: password, applicationCredentialSecret, token-secret, userData, client-key-data,
// clouds.yaml, kubeconfig, ..., but not applicationCredentialID, username, authURL, token-id.
func SecretKey(key string) bool {
	return secretKeyWords.MatchString(key) && !publicKeyWords.MatchString(key)
}

// Needle is one form of one secret to look for.
type Needle struct {
	Name, Form string
	Value      []byte
}

// Window is the length of the hashed prefix of every needle (the multi-pattern Rabin-Karp
// search below); Needles drops shorter ones (the Scanner searches shorter needles one by one).
const Window = 16

// MinShort is the shortest value AllNeedles looks for: every value, whatever its length (a
// lab's password such as "demo-secret" is shorter than Window).
const MinShort = 1

// minInner is the shortest piece of a base64 form taken from the middle of a longer encoded
// text: shorter pieces of a few characters would match any base64 text by chance. The encoding
// of the value alone is always looked for.
const minInner = 6

// Needles returns every secret raw and base64-encoded (standard and URL alphabet, at each of
// the three alignments it can have inside a longer encoded text), the forms of Window bytes and
// more only.
func (s *Secrets) Needles() []Needle { return s.needles(false) }

// AllNeedles returns every form of every secret, whatever its length: raw; base64 (standard
// and URL alphabet, alone and at each alignment inside a longer encoded text); hex (lower and
// upper case); and, when they differ from the raw value, JSON-escaped, Go-quoted and
// URL-escaped (query and path). A userData with quotes and newlines appears escaped in a JSON
// object or a klog key="value", a password URL-escaped in a query or a form body.
func (s *Secrets) AllNeedles() []Needle { return s.needles(true) }

func (s *Secrets) needles(all bool) []Needle {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Needle
	for _, e := range s.entries {
		name, v := e.name, e.value
		add := func(name, form, v string) {
			if e.part != "" {
				form = e.part + ", " + form
			}
			if len(v) >= Window || all && len(v) >= MinShort {
				out = append(out, Needle{Name: name, Form: form, Value: []byte(v)})
			}
		}
		add(name, "raw", v)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			form := "base64"
			if enc == base64.URLEncoding {
				form = "base64url"
			}
			if all {
				// The value encoded alone, without padding.
				add(name, form, strings.TrimRight(enc.EncodeToString([]byte(v)), "="))
			}
			// Base64 of the value at each of the three alignments it can have inside a longer
			// encoded text (a Secret's data, a request body): the characters that depend on the
			// value alone.
			for k := range 3 {
				e := enc.EncodeToString(append(make([]byte, k), v...))
				from, to := (8*k+5)/6, 8*(k+len(v))/6
				if to-from >= Window || all && to-from >= minInner {
					add(name, form, e[from:to])
				}
			}
		}
		if all {
			add(name, "hex", hex.EncodeToString([]byte(v)))
			add(name, "HEX", strings.ToUpper(hex.EncodeToString([]byte(v))))
			escaped := map[string]string{}
			if j, err := json.Marshal(v); err == nil {
				escaped["JSON-escaped"] = string(j[1 : len(j)-1])
			}
			q := strconv.Quote(v)
			escaped["Go-quoted"] = q[1 : len(q)-1]
			escaped["URL-escaped"] = url.QueryEscape(v)
			escaped["URL-path-escaped"] = url.PathEscape(v)
			for _, form := range []string{"JSON-escaped", "Go-quoted", "URL-escaped", "URL-path-escaped"} {
				if escaped[form] != v {
					add(name, form, escaped[form])
				}
			}
		}
	}
	// Std and URL forms (and the escaped ones) are equal for most values.
	seen := map[string]bool{}
	uniq := out[:0]
	for _, n := range out {
		if !seen[string(n.Value)] {
			seen[string(n.Value)] = true
			uniq = append(uniq, n)
		}
	}
	return uniq
}

// Finding is one secret found in one line of one place.
type Finding struct {
	Place, Secret, Form string
	Line, Offset        int
	Source              string // the klog caller (file.go:line) of a log line, when there is one
}

// Scanner finds every needle in texts with a multi-pattern Rabin-Karp search over Window bytes
// (and needles shorter than that one by one).
type Scanner struct {
	Needles []Needle
	// TokenShapes also reports what has the shape of a token or key whatever its value:
	// Keystone's Fernet tokens (and the simulator's, made to look like them), JWTs (Reseller
	// API and service account tokens) and PEM private keys, so tokens nobody recorded are found
	// as well.
	TokenShapes bool
	short       []int // the needles shorter than Window
	table       map[uint64][]int
	filter      []uint64 // bitset of hash bits, so most windows skip the map
	pow         uint64
}

const hashBase = 1099511628211

// NewScanner prepares a search for needles.
func NewScanner(needles []Needle) *Scanner {
	sc := &Scanner{Needles: needles, table: map[uint64][]int{}, filter: make([]uint64, 1<<16), pow: 1}
	for range Window - 1 {
		sc.pow *= hashBase
	}
	for i, n := range needles {
		if len(n.Value) < Window {
			sc.short = append(sc.short, i)
			continue
		}
		var h uint64
		for _, b := range n.Value[:Window] {
			h = h*hashBase + uint64(b)
		}
		sc.table[h] = append(sc.table[h], i)
		bit := h >> 42 // 22 bits
		sc.filter[bit/64] |= 1 << (bit % 64)
	}
	return sc
}

// Scan reports the findings in text, one per line and secret (the first form found).
func (sc *Scanner) Scan(place string, text []byte) []Finding {
	out := sc.scanNeedles(place, text)
	if sc.TokenShapes {
		out = append(out, shapeFindings(place, text, out)...)
	}
	return out
}

func (sc *Scanner) scanNeedles(place string, text []byte) []Finding {
	seen := map[string]bool{}
	out := sc.scanLong(place, text, seen)
	if len(sc.short) == 0 {
		return out
	}
	for _, idx := range sc.short {
		n := sc.Needles[idx]
		line, counted := 1, 0
		for from := 0; ; {
			i := bytes.Index(text[from:], n.Value)
			if i < 0 {
				break
			}
			pos := from + i
			from = pos + len(n.Value)
			line += bytes.Count(text[counted:pos], []byte{'\n'})
			counted = pos
			key := fmt.Sprint(line, "\x00", n.Name)
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, Finding{Place: place, Secret: n.Name, Form: n.Form, Line: line, Offset: pos, Source: KlogSource(text, pos)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out
}

// scanLong is the Rabin-Karp search for the needles of Window bytes and more.
func (sc *Scanner) scanLong(place string, text []byte, seen map[string]bool) []Finding {
	var out []Finding
	if len(text) < Window || len(sc.table) == 0 {
		return nil
	}
	line, counted := 1, 0
	var h uint64
	for i := 0; i < Window; i++ {
		h = h*hashBase + uint64(text[i])
	}
	for pos := 0; ; pos++ {
		bit := h >> 42
		if sc.filter[bit/64]&(1<<(bit%64)) != 0 {
			for _, idx := range sc.table[h] {
				n := sc.Needles[idx]
				if !bytes.HasPrefix(text[pos:], n.Value) {
					continue
				}
				line += bytes.Count(text[counted:pos], []byte{'\n'})
				counted = pos
				key := fmt.Sprint(line, "\x00", n.Name)
				if seen[key] {
					continue
				}
				seen[key] = true
				out = append(out, Finding{Place: place, Secret: n.Name, Form: n.Form, Line: line, Offset: pos, Source: KlogSource(text, pos)})
			}
		}
		if pos+Window >= len(text) {
			break
		}
		h = (h-uint64(text[pos])*sc.pow)*hashBase + uint64(text[pos+Window])
	}
	return out
}

// tokenShapes are what a token or private key looks like, whatever its value.
var tokenShapes = []struct {
	name string
	re   *regexp.Regexp
}{
	// Fernet tokens are base64url of 0x80 and a 64-bit timestamp: they begin with "gAAAAA".
	{"Keystone token (by its Fernet form)", regexp.MustCompile(`gAAAAA[A-Za-z0-9_-]{40,}`)},
	{"bearer token (by its JWT form)", regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}`)},
	{"private key (by its PEM header)", regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)},
}

// shapeFindings finds token shapes in text; a line where a known secret was found already
// (known) is not reported twice.
func shapeFindings(place string, text []byte, known []Finding) []Finding {
	lines := map[int]bool{}
	for _, f := range known {
		lines[f.Line] = true
	}
	var out []Finding
	for _, shape := range tokenShapes {
		seen := map[int]bool{}
		for _, m := range shape.re.FindAllIndex(text, -1) {
			if m[0] > 0 && isTokenByte(text[m[0]-1]) {
				continue // the middle of a longer base64 text
			}
			line := 1 + bytes.Count(text[:m[0]], []byte{'\n'})
			if lines[line] || seen[line] {
				continue
			}
			seen[line] = true
			out = append(out, Finding{Place: place, Secret: shape.name, Form: "shape", Line: line, Offset: m[0], Source: KlogSource(text, m[0])})
		}
	}
	return out
}

func isTokenByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '-' || b == '_' || b == '.'
}

// ScanLog scans a log file, and also the bytes of the hex dumps in it: client-go logs protobuf
// bodies at -v=8 and up as hex.Dump output, which splits every value over lines (klog's
// multi-line values) or over "\n" escapes inside one line (a JSON logger such as zap's).
func (sc *Scanner) ScanLog(place string, text []byte) []Finding {
	out := sc.Scan(place, text)
	for _, d := range hexDumps(text) {
		for _, f := range sc.Scan(place, d.data) {
			f.Form += ", in a hex dump"
			f.Line = d.line
			if !d.oneLine {
				f.Line += f.Offset / 16
			}
			f.Source = d.source
			out = append(out, f)
		}
	}
	return out
}

// hexDump is the data of one hex.Dump block of a log.
type hexDump struct {
	line    int    // of its first row
	oneLine bool   // all of it on that line, its rows separated by "\n" escapes
	source  string // klog caller of the line before it
	data    []byte
}

// hexRowStart finds the first row of a hex dump inside a logged string ("body": "00000000  6b ...").
var hexRowStart = regexp.MustCompile(`[0-9a-f]{8}  [0-9a-f]{2} `)

// hexDumps decodes the hex.Dump blocks of a log: rows like
// "\t00000010  65 74 12 df 04 0a 97 02  0a 0f 70 63 6f 2d 63 72  |et........pco-cr|", one a line,
// or escaped into one line.
func hexDumps(text []byte) []hexDump {
	var out []hexDump
	var cur *hexDump
	end := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	line, source := 0, ""
	for len(text) > 0 {
		line++
		row := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			row, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		if data, ok := hexRow(row); ok {
			if cur == nil {
				cur = &hexDump{line: line, source: source}
			}
			cur.data = append(cur.data, data...)
			continue
		}
		end()
		if src := KlogSource(row, len(row)); src != "" {
			source = src
		}
		if !bytes.Contains(row, []byte(`\n`)) {
			continue
		}
		for i, seg := range splitEscapedLines(row) {
			if i == 0 {
				loc := hexRowStart.FindIndex(seg)
				if loc == nil {
					continue
				}
				seg = seg[loc[0]:]
			}
			data, ok := hexRow(seg)
			if !ok {
				end()
				continue
			}
			if cur == nil {
				cur = &hexDump{line: line, oneLine: true, source: source}
			}
			cur.data = append(cur.data, data...)
		}
		end()
	}
	end()
	return out
}

// splitEscapedLines splits a line at its "\n" escapes (an escaped backslash followed by an n is
// no line break).
func splitEscapedLines(line []byte) [][]byte {
	var out [][]byte
	start := 0
	for i := 0; i < len(line); i++ {
		if line[i] != '\\' || i+1 == len(line) {
			continue
		}
		if line[i+1] == 'n' {
			out = append(out, line[start:i])
			start = i + 2
		}
		i++ // the escaped character
	}
	return append(out, line[start:])
}

// hexRow decodes one row of hex.Dump output.
func hexRow(row []byte) ([]byte, bool) {
	row = bytes.TrimLeft(row, "\t ")
	if len(row) < 12 || row[8] != ' ' || row[9] != ' ' {
		return nil, false
	}
	if _, err := hex.DecodeString(string(row[:8])); err != nil {
		return nil, false
	}
	hexPart := row[10:]
	if i := bytes.IndexByte(hexPart, '|'); i >= 0 {
		hexPart = hexPart[:i]
	}
	data, err := hex.DecodeString(string(bytes.ReplaceAll(hexPart, []byte(" "), nil)))
	if err != nil || len(data) == 0 || len(data) > 16 {
		return nil, false
	}
	return data, true
}

// KlogSource returns the file:line of the klog header of the line holding pos
// ("I0102 15:04:05.000000   123 request.go:1212] ..."), or "".
func KlogSource(text []byte, pos int) string {
	start := bytes.LastIndexByte(text[:pos], '\n') + 1
	end := min(len(text), start+120)
	hdr := text[start:end]
	i := bytes.Index(hdr, []byte("] "))
	if i < 0 {
		return ""
	}
	f := bytes.Fields(hdr[:i])
	if len(f) == 0 {
		return ""
	}
	return string(f[len(f)-1])
}

// ScrapeMetrics fetches the /metrics of the controller listening on port, "" when it does not
// answer.
func ScrapeMetrics(port int) string {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// secretKind is what a secret is, without which one of its kind (bootstrap tokens and Keystone
// tokens come in numbers).
func secretKind(name string) string {
	for _, kind := range []string{"bootstrap token", "Keystone token", "userData of server"} {
		if strings.HasPrefix(name, kind+" ") {
			return kind
		}
	}
	return name
}

// ReportFindings writes the findings grouped by place, log source, kind of secret and form,
// without the secrets, and returns how many there are (one per line and secret).
func ReportFindings(w io.Writer, findings []Finding) int {
	type key struct{ place, source, kind, form string }
	type group struct {
		lines, first int
		values       map[string]bool
	}
	groups := map[key]*group{}
	var keys []key
	for _, f := range findings {
		k := key{f.Place, f.Source, secretKind(f.Secret), f.Form}
		g := groups[k]
		if g == nil {
			g = &group{first: f.Line, values: map[string]bool{}}
			groups[k] = g
			keys = append(keys, k)
		}
		g.lines++
		g.first = min(g.first, f.Line)
		g.values[f.Secret] = true
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		switch {
		case a.place != b.place:
			return a.place < b.place
		case a.source != b.source:
			return a.source < b.source
		case a.kind != b.kind:
			return a.kind < b.kind
		}
		return a.form < b.form
	})
	for _, k := range keys {
		g := groups[k]
		src := ""
		if k.source != "" {
			src = " logged by " + k.source
		}
		what := k.kind
		if n := len(g.values); n > 1 {
			what = fmt.Sprintf("%s (%d of them)", k.kind, n)
		}
		fmt.Fprintf(w, "  found %s [%s] in %s%s: %d line(s), first at line %d\n", what, k.form, k.place, src, g.lines, g.first)
	}
	return len(findings)
}

// FindingList lists findings one a line, "<secret> [<form>] at <place>:<line> (logged by
// <source>)", sorted, at most limit of them (and how many more there are); never a value.
func FindingList(findings []Finding, limit int) string {
	lines := make([]string, 0, len(findings))
	for _, f := range findings {
		l := fmt.Sprintf("%s [%s] at %s:%d", f.Secret, f.Form, f.Place, f.Line)
		if f.Source != "" {
			l += " (logged by " + f.Source + ")"
		}
		lines = append(lines, l)
	}
	sort.Strings(lines)
	if len(lines) > limit {
		lines = append(lines[:limit], fmt.Sprintf("... and %d more", len(lines)-limit))
	}
	return strings.Join(lines, "\n")
}

// TokenProxy sits between clients and a Keystone and remembers every token that passes: the
// ones Keystone issues (X-Subject-Token of the answer) and the ones the client shows
// (X-Auth-Token, X-Subject-Token of the request). The other services are reached through the
// catalog, directly, and only ever see tokens issued here.
type TokenProxy struct {
	URL    string
	server *http.Server

	mu     sync.Mutex
	tokens map[string]bool
}

// StartTokenProxy proxies to target (the simulator's base URL) on a loopback port.
func StartTokenProxy(target string) (*TokenProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &TokenProxy{URL: "http://" + ln.Addr().String(), tokens: map[string]bool{}}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		p.note(r.In.Header.Get("X-Auth-Token"), r.In.Header.Get("X-Subject-Token"))
		r.SetURL(u)
		r.Out.Host = r.In.Host // as NewSingleHostReverseProxy did: the backend sees the proxy's host
	}}
	rp.ModifyResponse = func(resp *http.Response) error {
		p.note(resp.Header.Get("X-Subject-Token"))
		return nil
	}
	p.server = &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.server.Serve(ln) }()
	return p, nil
}

func (p *TokenProxy) note(tokens ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range tokens {
		if t != "" {
			p.tokens[t] = true
		}
	}
}

// Tokens returns every token seen so far.
func (p *TokenProxy) Tokens() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.tokens))
	for t := range p.tokens {
		out = append(out, t)
	}
	return out
}

// Close stops the proxy.
func (p *TokenProxy) Close() { _ = p.server.Close() }
