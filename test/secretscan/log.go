package secretscan

import (
	"bytes"
	"encoding/hex"
	"regexp"
)

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
