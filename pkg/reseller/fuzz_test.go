package reseller

import (
	"net/http"
	"testing"
)

// FuzzDecodeEnvelope feeds the response decoder and the error parser arbitrary bodies: they
// may fail, never panic.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, seed := range []string{
		`{"status":200,"data":[{"id":"a","name":"d-x","description":"d","enabled":true,"network_preconfigure":false}],"message":"ok"}`,
		`{"status":201,"data":{"id":"a"},"message":"created"}`,
		`{"status":404,"data":null,"message":"Project not found"}`,
		`{"detail":[{"loc":["body","name"],"msg":"field required","type":"value_error.missing"}]}`,
		`{"detail":"Could not validate credentials"}`,
		`{"domain_id":"x","project_prefix":"d","username":"u"}`,
		`[]`, `null`, ``, `{`, `{"data":`, `{"status":"x","data":1}`, `{"detail":[{"loc":[1,{"a":2}],"msg":3}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var projects []Project
		_ = decodeEnvelope(body, &projects)
		var p Project
		_ = decodeEnvelope(body, &p)
		var q Quota
		_ = decodeEnvelope(body, &q)
		var id Identity
		_ = decodeEnvelope(body, &id)
		_ = decodeEnvelope(body, nil)
		for _, code := range []int{401, 404, 422, 429, 503} {
			e := parseAPIError("GET", "/api/v1/project/", code, http.Header{"Retry-After": {string(body)}}, body)
			_ = e.Error()
		}
	})
}
