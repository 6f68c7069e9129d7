package ossim

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// fieldError is one entry of FastAPI's 422 body, in pydantic v1's words.
type fieldError struct {
	Loc  []any          `json:"loc"`
	Msg  string         `json:"msg"`
	Type string         `json:"type"`
	Ctx  map[string]any `json:"ctx,omitempty"`
}

// strRule checks a string field; nil is fine.
type strRule func(string) *fieldError

// regexRule is pydantic's constr(regex=...): python is the pattern as the API declares it (for
// the message), re its Go equivalent (Python's \w is Unicode-aware, Go's is not).
func regexRule(python, goPattern string) strRule {
	re := regexp.MustCompile(goPattern)
	return func(v string) *fieldError {
		if re.MatchString(v) {
			return nil
		}
		return &fieldError{Msg: `string does not match regex "` + python + `"`, Type: "value_error.str.regex", Ctx: map[string]any{"pattern": python}}
	}
}

var (
	nameRule        = regexRule(`^(?:\w|-)+$`, `^(?:[\p{L}\p{N}_]|-)+$`)
	descriptionRule = regexRule(`^[\w-]+(?: +[\w-]+)*$`, `^[\p{L}\p{N}_-]+(?: +[\p{L}\p{N}_-]+)*$`)
	hex32Rule       = regexRule(`^[0-9a-fA-F]{32}$`, `^[0-9a-fA-F]{32}$`)
	emailPattern    = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$`)
)

func emailRule(v string) *fieldError {
	if len(v) <= 254 && emailPattern.MatchString(v) {
		return nil
	}
	return &fieldError{Msg: "value is not a valid email address", Type: "value_error.email"}
}

func maxLen254(v string) *fieldError {
	if len([]rune(v)) <= 254 {
		return nil
	}
	return &fieldError{Msg: "ensure this value has at most 254 characters", Type: "value_error.any_str.max_length", Ctx: map[string]any{"limit_value": 254}}
}

// resellerBody is a JSON object request body being validated field by field; like pydantic it
// collects every error, ignores unknown fields, and ok answers the 422.
type resellerBody struct {
	c    *call
	raw  map[string]json.RawMessage
	errs []fieldError
}

// resellerBody reads the body; false after answering 422 for no body, no JSON or no object.
func (c *call) resellerBody() (*resellerBody, bool) {
	data, _ := io.ReadAll(io.LimitReader(c.r.Body, 1<<20))
	b := &resellerBody{c: c}
	var fe *fieldError
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		fe = &fieldError{Loc: []any{"body"}, Msg: "field required", Type: "value_error.missing"}
	case !json.Valid(data):
		fe = &fieldError{Loc: []any{"body", 0}, Msg: "Expecting value", Type: "value_error.jsondecode"}
	case json.Unmarshal(data, &b.raw) != nil || b.raw == nil:
		fe = &fieldError{Loc: []any{"body"}, Msg: "value is not a valid dict", Type: "type_error.dict"}
	}
	if fe != nil {
		c.json(http.StatusUnprocessableEntity, map[string]any{"detail": []fieldError{*fe}})
		return nil, false
	}
	return b, true
}

func (b *resellerBody) fail(loc []any, fe fieldError) {
	fe.Loc = loc
	b.errs = append(b.errs, fe)
}

// ok answers 422 when a field failed.
func (b *resellerBody) ok() bool {
	if len(b.errs) == 0 {
		return true
	}
	b.c.json(http.StatusUnprocessableEntity, map[string]any{"detail": b.errs})
	return false
}

// field is a present, non-null field; a missing or null required one is an error.
func (b *resellerBody) field(obj map[string]json.RawMessage, loc []any, required bool) (json.RawMessage, bool) {
	raw, present := obj[loc[len(loc)-1].(string)]
	switch {
	case !present:
		if required {
			b.fail(loc, fieldError{Msg: "field required", Type: "value_error.missing"})
		}
		return nil, false
	case string(raw) == "null":
		if required {
			b.fail(loc, fieldError{Msg: "none is not an allowed value", Type: "type_error.none.not_allowed"})
		}
		return nil, false
	}
	return raw, true
}

// str is a string field; nil when absent or invalid.
func (b *resellerBody) str(name string, required bool, rules ...strRule) *string {
	loc := []any{"body", name}
	raw, ok := b.field(b.raw, loc, required)
	if !ok {
		return nil
	}
	var v string
	if json.Unmarshal(raw, &v) != nil {
		b.fail(loc, fieldError{Msg: "str type expected", Type: "type_error.str"})
		return nil
	}
	for _, r := range rules {
		if fe := r(v); fe != nil {
			b.fail(loc, *fe)
			return nil
		}
	}
	return &v
}

// boolean is a bool field as pydantic v1 reads one (true, 1, "yes", "on", ...); nil when absent.
func (b *resellerBody) boolean(name string) *bool {
	loc := []any{"body", name}
	raw, ok := b.field(b.raw, loc, false)
	if !ok {
		return nil
	}
	var v any
	_ = json.Unmarshal(raw, &v)
	t, f := true, false
	switch x := v.(type) {
	case bool:
		return &x
	case float64:
		switch x {
		case 1:
			return &t
		case 0:
			return &f
		}
	case string:
		switch strings.ToLower(x) {
		case "1", "on", "t", "true", "y", "yes":
			return &t
		case "0", "off", "f", "false", "n", "no":
			return &f
		}
	}
	b.fail(loc, fieldError{Msg: "value could not be parsed to a boolean", Type: "type_error.bool"})
	return nil
}

// integer reads an int field of obj (an integral number or a string of one, as pydantic v1
// coerces); ok is false when absent or invalid.
func (b *resellerBody) integer(obj map[string]json.RawMessage, loc []any, required bool) (int64, bool) {
	raw, ok := b.field(obj, loc, required)
	if !ok {
		return 0, false
	}
	var v any
	_ = json.Unmarshal(raw, &v)
	var n int64
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			ok = false
		}
		n = int64(x)
	case string:
		var err error
		n, err = strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		ok = err == nil
	default:
		ok = false
	}
	if !ok {
		b.fail(loc, fieldError{Msg: "value is not a valid integer", Type: "type_error.integer"})
		return 0, false
	}
	if n < -1 {
		b.fail(loc, fieldError{Msg: "ensure this value is greater than or equal to -1", Type: "value_error.number.not_ge", Ctx: map[string]any{"limit_value": -1}})
		return 0, false
	}
	return n, true
}

// object reads an object field; nil when absent, null or invalid.
func (b *resellerBody) object(name string) map[string]json.RawMessage {
	loc := []any{"body", name}
	raw, ok := b.field(b.raw, loc, false)
	if !ok {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		b.fail(loc, fieldError{Msg: "value is not a valid dict", Type: "type_error.dict"})
		return nil
	}
	return obj
}
