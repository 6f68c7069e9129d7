package openstack

import "encoding/json"

// extractMessage finds the "message" of an OpenStack error body: Nova and Cinder wrap it as
// {"<kind>": {"code", "message"}}, Neutron as {"NeutronError": {"type", "message"}}, Keystone as
// {"error": {"message"}}. Bodies that are not JSON are returned shortened.
func extractMessage(body string) string {
	var outer map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &outer); err == nil {
		var direct struct {
			Message string `json:"message"`
		}
		if raw, ok := outer["message"]; ok {
			var s string
			if json.Unmarshal(raw, &s) == nil && s != "" {
				return s
			}
		}
		for _, raw := range outer {
			if json.Unmarshal(raw, &direct) == nil && direct.Message != "" {
				return direct.Message
			}
		}
	}
	const limit = 300
	if len(body) > limit {
		return body[:limit] + "..."
	}
	return body
}
