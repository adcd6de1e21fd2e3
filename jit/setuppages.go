package jit

import (
	"html/template"
	"net/http"
)

// The pages of self-service set-up that the sign-in edge shows: the result of a test
// sign-in, and home-realm discovery's chooser and "no single sign-on" page. Like every page
// of the sign-in, they run no script and may not be framed.

const setupPageHead = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{template "title" .}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#222}
.ok{color:#176b2c}.warn{color:#8a4b00}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{text-align:left;vertical-align:top;border-bottom:1px solid #ddd;padding:.3rem .5rem}th{width:14rem;font-weight:600}
code{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px;word-break:break-all}ul.warnings li{margin:.3rem 0}
.ref{color:#666;font-size:.9rem}a.idp{display:block;margin:.5rem 0;font-size:1.1rem}</style>
</head>
<body>
`

var testPage = template.Must(template.New("test").Parse(`{{define "title"}}Test sign-in {{if .Passed}}passed{{else}}has warnings{{end}}{{end}}` + setupPageHead + `
<h1 id="verdict" class="{{if .Passed}}ok{{else}}warn{{end}}">{{template "title" .}}</h1>
<p>Identity provider <code>{{.IdP}}</code> ({{.Protocol}}) of organization <code>{{.Org}}</code>. Nothing about this person was stored.</p>
{{if .Warnings}}<h2>Warnings</h2>
<ul class="warnings" id="warnings">{{range .Warnings}}<li class="warn">{{.}}</li>{{end}}</ul>{{end}}
<h2>The key</h2>
<table id="key">
<tr><th>uniqueUserId</th><td>{{if .UniqueUserID}}<code>{{.UniqueUserID}}</code>{{else}}none{{end}}</td></tr>
<tr><th>Source</th><td>{{if .KeySource}}{{.KeySource}}{{else}}none{{end}}{{if .KeyAttribute}} (<code>{{.KeyAttribute}}</code>){{end}}</td></tr>
<tr><th>Why</th><td>{{.KeyExplanation}}</td></tr>
<tr><th>{{.Subject.Kind}}</th><td><code>{{.Subject.Value}}</code>{{if not .Subject.Persistent}} (not persistent){{end}}</td></tr>
</table>
<h2>What the rules would decide</h2>
<table id="decision">
<tr><th>Decision</th><td>{{.Decision.Action}} ({{.Decision.Event}}){{if .Decision.Code}} [{{.Decision.Code}}]{{end}}</td></tr>
<tr><th>Rule</th><td><code>{{.Decision.Rule}}</code></td></tr>
<tr><th>Reason</th><td>{{.Decision.Reason}}</td></tr>
</table>
<h2>The person, as mapped</h2>
<table id="identity">
<tr><th>firstName</th><td>{{.Identity.FirstName}}</td></tr>
<tr><th>lastName</th><td>{{.Identity.LastName}}</td></tr>
<tr><th>email</th><td>{{.Identity.Email}}{{if .Identity.EmailVerified}} (verified){{end}}</td></tr>
<tr><th>groups</th><td>{{if .Identity.GroupsAsserted}}{{range $i, $g := .Identity.Groups}}{{if $i}}, {{end}}{{$g}}{{end}}{{else}}not sent{{end}}</td></tr>
</table>
<h2>Every attribute received</h2>
<table id="claims">{{range .Claims}}
<tr><th><code>{{.Name}}</code></th><td>{{range $i, $v := .Values}}{{if $i}}<br>{{end}}{{$v}}{{end}}</td></tr>{{end}}
</table>
<p class="ref">Recorded as event <code id="reference">{{.EventID}}</code> (login.tested).</p>
<script type="application/json" id="roster-test-result">{{.}}</script>
</body>
</html>
`))

// discoveryPage is home-realm discovery's page: a chooser between the IdPs of the
// organization, or, without IdPs, the one page for every domain without single sign-on.
var discoveryPage = template.Must(template.New("discovery").Parse(`{{define "title"}}{{if .IdPs}}Choose how to sign in{{else}}No single sign-on for this address{{end}}{{end}}` + setupPageHead + `
<h1>{{template "title" .}}</h1>
{{if .IdPs}}<p>Your organization signs in through one of these:</p>
{{range .IdPs}}<a class="idp" href="{{.LoginURL}}">{{.Name}}</a>
{{end}}{{else}}<p>Single sign-on is not set up for the domain of this email address. Sign in another way, or ask your administrator.</p>{{end}}
</body>
</html>
`))

// renderTemplate writes a page of the sign-in with a status. No such page may be framed: a
// framed refusal or sign-in page is the start of a clickjacking attack.
func renderTemplate(w http.ResponseWriter, status int, t *template.Template, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = t.Execute(w, data)
}
