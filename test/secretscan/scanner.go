package secretscan

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
)

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
			out = record(out, seen, place, text, n, line, pos)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out
}

// record adds the finding of needle n at pos, once per line and secret.
func record(out []Finding, seen map[string]bool, place string, text []byte, n Needle, line, pos int) []Finding {
	key := fmt.Sprint(line, "\x00", n.Name)
	if seen[key] {
		return out
	}
	seen[key] = true
	return append(out, Finding{Place: place, Secret: n.Name, Form: n.Form, Line: line, Offset: pos, Source: KlogSource(text, pos)})
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
				out = record(out, seen, place, text, n, line, pos)
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
