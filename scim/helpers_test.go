package scim

import "net/url"

func query(filter string) string { return url.QueryEscape(filter) }

func resources(r response) []map[string]any {
	list, _ := r.Body["Resources"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, x := range list {
		m, _ := x.(map[string]any)
		out = append(out, m)
	}
	return out
}
