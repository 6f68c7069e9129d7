package secretscan

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

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
