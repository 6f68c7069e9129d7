package v1alpha1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// maxEchoLen caps how much of a user-supplied name or value an error message repeats, so a
// pasted blob does not end up in every event and log line.
const maxEchoLen = 64

// maxMessageLen caps a library's error message (YAML errors quote the input).
const maxMessageLen = 160

// omit makes a field.Error print no value: decode errors describe what is wrong, they do not
// repeat the input.
var omit = field.OmitValueType{}

// DecodeError lists every problem Decode found. The paths of its Errors are relative to the
// providerSpec document ("spec.flavourName", "apiVersion"); an error about the document as a whole
// has an empty Field.
//
// +kubebuilder:object:generate=false
type DecodeError struct {
	Errors field.ErrorList
}

func (e *DecodeError) Error() string {
	msgs := make([]string, 0, len(e.Errors))
	for _, fe := range e.Errors {
		if fe.Field == "" {
			msgs = append(msgs, fe.ErrorBody())
		} else {
			msgs = append(msgs, fe.Error())
		}
	}
	return "invalid providerSpec: " + strings.Join(msgs, "; ")
}

// Decode reads a providerSpec as MCM stores it (JSON; YAML is accepted too, for tests and tools).
// Decoding is strict, like the peer driver's: an unknown field (a typo such as flavourName) or a
// field given twice is an error instead of a setting that silently does nothing. apiVersion and
// kind must be this API's. The error is a *DecodeError naming field paths; it never repeats
// more than a short piece of the input.
func Decode(raw []byte) (*MachineProviderConfig, error) {
	config, errs := DecodeAt(raw, nil)
	if len(errs) > 0 {
		return nil, &DecodeError{Errors: errs}
	}
	return config, nil
}

// DecodeAt is Decode for callers that report field errors: every error's path starts at fldPath
// (for example "providerSpec"). A nil fldPath gives paths relative to the document, as Decode.
//
// When the document could be read but has errors (an unknown field, a wrong type, another
// kind), DecodeAt returns what it read along with them, so a validator can report the spec's
// other problems in the same round. Such a config must not be acted on. When nothing could be
// read, config is nil.
func DecodeAt(raw []byte, fldPath *field.Path) (*MachineProviderConfig, field.ErrorList) {
	// whole tags an error about the entire document: with no fldPath it has no path at all
	// (rather than field's "<nil>").
	whole := func(e *field.Error) field.ErrorList {
		if fldPath == nil {
			e.Field = ""
		}
		return field.ErrorList{e}
	}

	doc := bytes.TrimSpace(raw)
	if len(doc) == 0 {
		return nil, whole(field.Required(fldPath, "the providerSpec is empty"))
	}
	if !json.Valid(doc) {
		converted, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			detail := "not valid YAML: " + yamlProblem(err)
			if doc[0] == '{' || doc[0] == '[' {
				var syntaxErr *json.SyntaxError
				if jsonErr := json.Unmarshal(doc, new(any)); errors.As(jsonErr, &syntaxErr) {
					detail = fmt.Sprintf("not valid JSON (at byte %d): %s", syntaxErr.Offset, clipTo(syntaxErr.Error(), maxMessageLen))
				}
			}
			return nil, whole(field.Invalid(fldPath, omit, detail))
		}
		doc = converted
	}

	config := &MachineProviderConfig{}
	var errs field.ErrorList
	strictErrs, err := sigsjson.UnmarshalStrict(doc, config)
	if err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field == "":
			return nil, whole(field.Invalid(fldPath, omit, "must be an object, not "+article(kindOf(typeErr))))
		case errors.As(err, &typeErr):
			// encoding/json finishes decoding after a type error, so the other checks below
			// still see everything else that was given.
			errs = append(errs, typeError(fldPath, typeErr))
		default:
			if isSyntax, offset := sigsjson.SyntaxErrorOffset(err); isSyntax {
				return nil, whole(field.Invalid(fldPath, omit, fmt.Sprintf("not valid JSON (at byte %d)", offset)))
			}
			return nil, whole(field.Invalid(fldPath, omit, "cannot be decoded: "+clipTo(err.Error(), maxMessageLen)))
		}
	}
	for _, se := range strictErrs {
		errs = append(errs, strictError(fldPath, se))
	}

	switch {
	case config.APIVersion == "":
		errs = append(errs, field.Required(fldPath.Child("apiVersion"), "must be "+APIVersion))
	case config.APIVersion != APIVersion:
		errs = append(errs, field.NotSupported(fldPath.Child("apiVersion"), clip(config.APIVersion), []string{APIVersion}))
	}
	switch {
	case config.Kind == "":
		errs = append(errs, field.Required(fldPath.Child("kind"), "must be "+Kind))
	case config.Kind != Kind:
		errs = append(errs, field.NotSupported(fldPath.Child("kind"), clip(config.Kind), []string{Kind}))
	}
	return config, errs
}

// strictError turns one of sigs.k8s.io/json's strict errors (unknown or duplicate field) into a
// field error at the offending field, with a hint when an unknown field looks like a typo.
func strictError(root *field.Path, err error) *field.Error {
	var fe sigsjson.FieldError
	if !errors.As(err, &fe) {
		return field.Invalid(root, omit, clipTo(err.Error(), maxMessageLen))
	}
	path, parent, name := resolvePath(root, fe.FieldPath())
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "duplicate field"):
		return &field.Error{Type: field.ErrorTypeDuplicate, Field: path.String(), BadValue: omit,
			Detail: "the field is given more than once"}
	case strings.HasPrefix(msg, "unknown field"):
		detail := fmt.Sprintf("unknown field %q", clip(name))
		if parent != nil {
			if hint := suggest(name, jsonFields(parent)); hint != "" {
				detail += fmt.Sprintf(", did you mean %q?", hint)
			}
		}
		return field.Invalid(path, omit, detail)
	default:
		return field.Invalid(path, omit, clipTo(msg, maxMessageLen))
	}
}

// typeError explains a value of the wrong JSON type by what the field expects. The value itself
// is not repeated (encoding/json may quote a number literal of any length).
func typeError(root *field.Path, err *json.UnmarshalTypeError) *field.Error {
	path, _, _ := resolvePath(root, err.Field)
	return field.Invalid(path, omit, fmt.Sprintf("must be %s, not %s", describe(err.Type), article(kindOf(err))))
}

// kindOf is the JSON kind of the value a type error is about, without the value itself.
func kindOf(err *json.UnmarshalTypeError) string {
	kind, _, _ := strings.Cut(err.Value, " ")
	return kind
}

// resolvePath turns a decoder path ("spec.networks[0].name", "spec.tags.kubernetes.io-role-node",
// "spec.networks.name" in type errors, which carry no index) into a field path by following
// MachineProviderConfig's structure, so map keys containing dots stay one key. It also returns
// the struct type holding the last element and that element's name, for suggestions.
func resolvePath(root *field.Path, decoderPath string) (*field.Path, reflect.Type, string) {
	path := root
	t := reflect.TypeFor[MachineProviderConfig]()
	rest := decoderPath
	var parent reflect.Type
	name := ""
	for rest != "" {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Struct:
			rest = strings.TrimPrefix(rest, ".")
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			name, rest = rest[:end], rest[end:]
			parent = t
			path = path.Child(clip(name))
			f, ok := jsonFields(t)[name]
			if !ok {
				return path, parent, name
			}
			t = f
		case reflect.Slice:
			if strings.HasPrefix(rest, "[") {
				if end := strings.IndexByte(rest, ']'); end > 0 {
					if i, err := strconv.Atoi(rest[1:end]); err == nil {
						path = path.Index(i)
					}
					rest = rest[end+1:]
				}
			}
			t = t.Elem()
		case reflect.Map:
			// Our maps hold strings, so everything after the separator is the key.
			name = strings.TrimPrefix(rest, ".")
			return path.Key(clip(name)), nil, name
		default:
			return path.Child(clip(strings.TrimPrefix(rest, "."))), nil, name
		}
	}
	return path, parent, name
}

// jsonFields maps the JSON names of a struct's fields (inline embedded structs included) to
// their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			for n, ft := range jsonFields(f.Type) {
				fields[n] = ft
			}
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		fields[tag] = f.Type
	}
	return fields
}

// suggest returns the known field name closest to an unknown one when it is a likely typo: the
// same name in another case, or one or two edits away (one for short names, which two edits turn
// into almost anything).
func suggest(unknown string, known map[string]reflect.Type) string {
	maxDist := 2
	if len(unknown) < 5 {
		maxDist = 1
	}
	best, bestDist := "", maxDist+1
	for name := range known {
		if strings.EqualFold(name, unknown) {
			return name
		}
		d := editDistance(strings.ToLower(name), strings.ToLower(unknown), maxDist+1)
		if d < bestDist || (d == bestDist && name < best) {
			best, bestDist = name, d
		}
	}
	if bestDist > maxDist {
		return ""
	}
	return best
}

// editDistance is the optimal-string-alignment distance of a and b (insertions, deletions,
// substitutions and swaps of neighbours, the usual typos), or limit when it is at least limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit // also keeps a long unknown name from costing len(a)*len(b)
	}
	rows := [3][]int{make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)}
	for j := range rows[1] {
		rows[1][j] = j
	}
	for i := 1; i <= len(a); i++ {
		twoUp, prev, cur := rows[0], rows[1], rows[2]
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], twoUp[j-2]+1)
			}
		}
		rows = [3][]int{prev, cur, twoUp}
	}
	return min(rows[1][len(b)], limit)
}

// describe names what a Go type accepts in JSON terms.
func describe(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		elem := describe(t.Elem())
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(elem, "an "), "a ") + "s"
	case reflect.Map:
		return "a map of " + strings.TrimPrefix(strings.TrimPrefix(describe(t.Elem()), "an "), "a ") + "s"
	default:
		return "an object"
	}
}

// article puts "a" or "an" before a JSON kind ("string", "number", "array", "object", "bool").
func article(kind string) string {
	switch kind {
	case "":
		return "something else"
	case "array", "object":
		return "an " + kind
	case "bool":
		return "a boolean"
	default:
		return "a " + kind
	}
}

// yamlProblem keeps the position and the kind of a YAML error. sigs.k8s.io/yaml wraps go-yaml's
// message, which may quote the input; it is cut short.
func yamlProblem(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "yaml: "); i >= 0 {
		msg = msg[i+len("yaml: "):]
	}
	return clipTo(strings.Join(strings.Fields(msg), " "), maxMessageLen)
}

// clip shortens user-supplied text for an error message.
func clip(s string) string { return clipTo(s, maxEchoLen) }

func clipTo(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
