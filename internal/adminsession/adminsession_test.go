package adminsession_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/adminsession"
)

func TestWriteAllowed(t *testing.T) {
	cases := []struct {
		name    string
		method  string
		headers map[string]string
		want    bool
	}{
		{"a read", "GET", nil, true},
		{"a HEAD", "HEAD", nil, true},
		{"a write with the console's header", "POST", map[string]string{adminsession.WriteHeader: "1"}, true},
		{"a same-origin write with the header", "PATCH", map[string]string{adminsession.WriteHeader: "1", "Sec-Fetch-Site": "same-origin"}, true},
		{"a write without the header", "POST", nil, false},
		{"a write with another value", "DELETE", map[string]string{adminsession.WriteHeader: "yes"}, false},
		{"a cross-site write, header and all", "POST", map[string]string{adminsession.WriteHeader: "1", "Sec-Fetch-Site": "cross-site"}, false},
		{"a write from a sibling site", "POST", map[string]string{adminsession.WriteHeader: "1", "Sec-Fetch-Site": "same-site"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, "/admin/api/v1/idps", nil)
			for k, v := range c.headers {
				r.Header.Set(k, v)
			}
			if got := adminsession.WriteAllowed(r); got != c.want {
				t.Errorf("WriteAllowed = %v, want %v", got, c.want)
			}
		})
	}
}

func TestCookies(t *testing.T) {
	for _, secure := range []bool{false, true} {
		w := httptest.NewRecorder()
		adminsession.Set(w, adminsession.ConsoleCookie, "s3cret", time.Hour, secure)
		adminsession.Clear(w, adminsession.SetupCookie, secure)
		cs := (&http.Response{Header: w.Header()}).Cookies()
		if len(cs) != 2 {
			t.Fatalf("cookies %+v", cs)
		}
		set, cleared := cs[0], cs[1]
		if set.Name != adminsession.ConsoleCookie || set.Value != "s3cret" || set.MaxAge != 3600 || set.Path != "/" || !set.HttpOnly ||
			set.SameSite != http.SameSiteStrictMode || set.Secure != secure {
			t.Errorf("secure=%v: the session cookie %+v", secure, set)
		}
		if cleared.Name != adminsession.SetupCookie || cleared.MaxAge >= 0 || cleared.Value != "" || cleared.Secure != secure {
			t.Errorf("secure=%v: the cleared cookie %+v", secure, cleared)
		}
	}
}
