package jit

import (
	"testing"

	"github.com/rosterhq/roster/directory"
)

func TestSafeReturnTo(t *testing.T) {
	h, err := New(directory.New(nil), Config{BaseURL: "https://roster.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]string{
		"":                                   "/",
		"/":                                  "/",
		"/app":                               "/app",
		"/app/settings?tab=2#top":            "/app/settings?tab=2#top",
		"/a%20b":                             "/a%20b",
		"https://roster.example.com/app":     "https://roster.example.com/app",
		"https://ROSTER.example.com/app?x=1": "https://ROSTER.example.com/app?x=1",
	}
	for in, want := range ok {
		got, err := h.safeReturnTo(in)
		if err != nil || got != want {
			t.Errorf("safeReturnTo(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{
		"//evil.example",
		"//evil.example/app",
		"/\\evil.example",
		"\\\\evil.example",
		"/%2F/evil.example",
		"/%2f%2fevil.example",
		"%2F%2Fevil.example",
		"/%5Cevil.example",
		"/%252F%252Fevil.example",
		"/\t/evil.example",
		"/\n/evil.example",
		"/ /evil.example",
		"https://evil.example/",
		"http://roster.example.com/app", // another scheme is another origin
		"https://roster.example.com:8443/app",
		"https://roster.example.com.evil.example/",
		"https://user@roster.example.com/app",
		"https://roster.example.com//evil.example",
		"javascript:alert(1)",
		"JavaScript:alert(1)",
		"data:text/html,hi",
		"evil.example",
		"app",
		"/%zz",
	}
	for _, in := range bad {
		if got, err := h.safeReturnTo(in); err == nil {
			t.Errorf("safeReturnTo(%q) = %q, want refused", in, got)
		}
	}
}
