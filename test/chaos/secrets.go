package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
)

// secrets are the secret values the run knows of.
type secrets struct {
	mu      sync.Mutex
	entries []secret
	known   map[string]bool // values
}

// secret is a secret value; part names a piece of a longer secret (found on the same line as the
// whole, it is one finding).
type secret struct{ name, part, value string }

func newSecrets() *secrets {
	return &secrets{known: map[string]bool{}}
}

func (s *secrets) add(name, value string) { s.addPart(name, "", value) }

func (s *secrets) addPart(name, part, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if value == "" || s.known[value] {
		return
	}
	s.known[value] = true
	s.entries = append(s.entries, secret{name, part, value})
}

// len counts the secrets (not their parts).
func (s *secrets) len() int {
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

// collect adds what appeared since the last call: the userData the simulator got (their
// bootstrap tokens are what matters; the canary line covers the rest) and MCM's bootstrap
// token Secrets, which live only while a machine is being created.
func (s *secrets) collect(ctx context.Context, stack *framework.Stack) {
	list, err := stack.CP.Clientset.CoreV1().Secrets(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("type", string(corev1.SecretTypeBootstrapToken)).String()})
	if err == nil {
		for _, sec := range list.Items {
			id, secret := string(sec.Data["token-id"]), string(sec.Data["token-secret"])
			if secret != "" {
				s.add("bootstrap token "+id, id+"."+secret)
				s.addPart("bootstrap token "+id, "secret part", secret)
			}
		}
	}
	for _, srv := range stack.Sim.Servers() {
		if i := strings.Index(srv.UserData, "with token "); i >= 0 {
			tok := strings.Fields(srv.UserData[i+len("with token "):])
			if len(tok) > 0 {
				tok[0] = strings.Trim(tok[0], `"'`)
				if parts := strings.SplitN(tok[0], ".", 2); len(parts) == 2 {
					s.add("bootstrap token "+parts[0], tok[0])
					s.addPart("bootstrap token "+parts[0], "secret part", parts[1])
				}
			}
		}
	}
}

// needle is one form of one secret to look for.
type needle struct {
	name, form string
	value      []byte
}

// window is the length of the hashed prefix of every needle (the multi-pattern Rabin-Karp
// search below); shorter needles are dropped, and every secret here is longer.
const window = 16

func (s *secrets) needles() []needle {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []needle
	for _, e := range s.entries {
		name, v := e.name, e.value
		add := func(name, form, v string) {
			if e.part != "" {
				form = e.part + ", " + form
			}
			if len(v) >= window {
				out = append(out, needle{name: name, form: form, value: []byte(v)})
			}
		}
		add(name, "raw", v)
		// Base64 of the value at each of the three alignments it can have inside a longer
		// encoded text (a Secret's data, a request body): the characters that depend on the
		// value alone.
		for k := range 3 {
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
				e := enc.EncodeToString(append(make([]byte, k), v...))
				from, to := (8*k+5)/6, 8*(k+len(v))/6
				if to-from >= window {
					form := "base64"
					if enc == base64.URLEncoding {
						form = "base64url"
					}
					add(name, form, e[from:to])
				}
			}
		}
	}
	// Std and URL forms are equal for most values.
	seen := map[string]bool{}
	uniq := out[:0]
	for _, n := range out {
		if !seen[string(n.value)] {
			seen[string(n.value)] = true
			uniq = append(uniq, n)
		}
	}
	return uniq
}

// finding is one secret found in one line of one place.
type finding struct {
	place, secret, form string
	line, offset        int
	source              string // the klog caller (file.go:line) of a log line, when there is one
}

// scanner finds every needle in texts with a multi-pattern Rabin-Karp search over window bytes.
type scanner struct {
	needles []needle
	table   map[uint64][]int
	filter  []uint64 // bitset of hash bits, so most windows skip the map
	pow     uint64
}

const hashBase = 1099511628211

func newScanner(needles []needle) *scanner {
	sc := &scanner{needles: needles, table: map[uint64][]int{}, filter: make([]uint64, 1<<16), pow: 1}
	for range window - 1 {
		sc.pow *= hashBase
	}
	for i, n := range needles {
		var h uint64
		for _, b := range n.value[:window] {
			h = h*hashBase + uint64(b)
		}
		sc.table[h] = append(sc.table[h], i)
		bit := h >> 42 // 22 bits
		sc.filter[bit/64] |= 1 << (bit % 64)
	}
	return sc
}

// scan reports the findings in text, one per line and secret (the first form found).
func (sc *scanner) scan(place string, text []byte) []finding {
	var out []finding
	if len(text) < window || len(sc.needles) == 0 {
		return nil
	}
	seen := map[string]bool{}
	line, counted := 1, 0
	var h uint64
	for i := 0; i < window; i++ {
		h = h*hashBase + uint64(text[i])
	}
	for pos := 0; ; pos++ {
		bit := h >> 42
		if sc.filter[bit/64]&(1<<(bit%64)) != 0 {
			for _, idx := range sc.table[h] {
				n := sc.needles[idx]
				if !bytes.HasPrefix(text[pos:], n.value) {
					continue
				}
				line += bytes.Count(text[counted:pos], []byte{'\n'})
				counted = pos
				key := fmt.Sprint(line, "\x00", n.name)
				if seen[key] {
					continue
				}
				seen[key] = true
				out = append(out, finding{place: place, secret: n.name, form: n.form, line: line, offset: pos, source: klogSource(text, pos)})
			}
		}
		if pos+window >= len(text) {
			break
		}
		h = (h-uint64(text[pos])*sc.pow)*hashBase + uint64(text[pos+window])
	}
	return out
}

// scanLog scans a log file, and also the bytes of the hex dumps in it: client-go logs protobuf
// bodies at -v=8 and up as hex.Dump output, which splits every value over lines.
func (sc *scanner) scanLog(place string, text []byte) []finding {
	out := sc.scan(place, text)
	for _, d := range hexDumps(text) {
		for _, f := range sc.scan(place, d.data) {
			f.form += ", in a hex dump"
			f.line = d.line + f.offset/16
			f.source = d.source
			out = append(out, f)
		}
	}
	return out
}

// hexDump is the data of one hex.Dump block of a log.
type hexDump struct {
	line   int    // of its first row
	source string // klog caller of the line before it
	data   []byte
}

// hexDumps decodes the hex.Dump blocks of a log: rows like
// "\t00000010  65 74 12 df 04 0a 97 02  0a 0f 70 63 6f 2d 63 72  |et........pco-cr|".
func hexDumps(text []byte) []hexDump {
	var out []hexDump
	var cur *hexDump
	line, source := 0, ""
	for len(text) > 0 {
		line++
		row := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			row, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		data, ok := hexRow(row)
		if !ok {
			if cur != nil {
				out = append(out, *cur)
				cur = nil
			}
			if src := klogSource(row, len(row)); src != "" {
				source = src
			}
			continue
		}
		if cur == nil {
			cur = &hexDump{line: line, source: source}
		}
		cur.data = append(cur.data, data...)
	}
	if cur != nil {
		out = append(out, *cur)
	}
	return out
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

// klogSource returns the file:line of the klog header of the line holding pos
// ("I0102 15:04:05.000000   123 request.go:1212] ..."), or "".
func klogSource(text []byte, pos int) string {
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

// scrapeMetrics fetches the machine-controller's /metrics, "" when it does not answer.
func scrapeMetrics(port int) string {
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
	for _, kind := range []string{"bootstrap token", "Keystone token"} {
		if strings.HasPrefix(name, kind+" ") {
			return kind
		}
	}
	return name
}

// reportFindings prints the findings grouped by place, log source, kind of secret and form,
// without the secrets, and returns how many there are (one per line and secret).
func reportFindings(findings []finding) int {
	type key struct{ place, source, kind, form string }
	type group struct {
		lines, first int
		values       map[string]bool
	}
	groups := map[key]*group{}
	var keys []key
	for _, f := range findings {
		k := key{f.place, f.source, secretKind(f.secret), f.form}
		g := groups[k]
		if g == nil {
			g = &group{first: f.line, values: map[string]bool{}}
			groups[k] = g
			keys = append(keys, k)
		}
		g.lines++
		g.first = min(g.first, f.line)
		g.values[f.secret] = true
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
		fmt.Printf("  found %s [%s] in %s%s: %d line(s), first at line %d\n", what, k.form, k.place, src, g.lines, g.first)
	}
	return len(findings)
}
