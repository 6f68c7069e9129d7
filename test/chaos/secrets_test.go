package main

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestScannerFindsRawAndBase64AtAnyAlignment(t *testing.T) {
	s := newSecrets()
	s.add("pw", "pco-demo-password-0")
	sc := newScanner(s.needles())
	for prefix := range 3 {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", prefix) + "pco-demo-password-0" + "tail"))
		text := "I0101 00:00:00.000000 1 request.go:1212] line one\nI0101 00:00:00.000000 1 foo.go:7] body " + enc + "\n"
		got := sc.scan("log", []byte(text))
		if len(got) != 1 || got[0].line != 2 || got[0].source != "foo.go:7" || got[0].form != "base64" {
			t.Fatalf("prefix %d: got %+v", prefix, got)
		}
	}
	got := sc.scan("log", []byte("a\nb\nc pco-demo-password-0 and pco-demo-password-0\nd pco-demo-password-0"))
	if len(got) != 2 || got[0].line != 3 || got[1].line != 4 || got[0].form != "raw" {
		t.Fatalf("raw: got %+v", got)
	}
	if got := sc.scan("log", []byte("pco-demo-password-1 nothing here at all")); len(got) != 0 {
		t.Fatalf("false positive %+v", got)
	}
}

func TestScannerFindsSecretsInHexDumps(t *testing.T) {
	s := newSecrets()
	s.add("pw", "pco-demo-password-0")
	sc := newScanner(s.needles())
	body := append([]byte("k8s\x00\x0a\x0c\x0a\x02v1\x12\x06Secret-padding-"), "pco-demo-password-0\x12\x00"...)
	text := "I1127 03:58:05.930925   18099 round_trippers.go:632] x\nI1127 03:58:05.930970   18099 type.go:165] \"Response Body\" body=<\n"
	for _, l := range strings.Split(strings.TrimRight(hex.Dump(body), "\n"), "\n") {
		text += "\t" + l + "\n"
	}
	text += " >\n"
	got := sc.scanLog("log", []byte(text))
	if len(got) != 1 || got[0].source != "type.go:165" || got[0].line != 4 || !strings.Contains(got[0].form, "hex dump") {
		t.Fatalf("got %+v\n%s", got, text)
	}
}
