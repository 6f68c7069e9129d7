package controllers

import (
	"encoding/json"
)

// quotaFields turns one section of the spec's quotas (a struct of *int64 with the API's JSON
// names) into the API's map, leaving out what the spec does not set.
func quotaFields(section any) map[string]int64 {
	b, err := json.Marshal(section)
	if err != nil || string(b) == "null" {
		return nil
	}
	var out map[string]int64
	if err := json.Unmarshal(b, &out); err != nil {
		return nil
	}
	return out
}
