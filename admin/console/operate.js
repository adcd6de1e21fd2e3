// Roster console, operating pages: the dashboard, the events search, users with their
// sessions, groups, webhooks and the mode-switch preview. Loaded after app.js, whose helpers
// (el, api, view, status, errorBox, fmtTime, currentOrg, canWrite…) it uses; it fills app.js's
// pages registry. Charts are SVG built through the DOM, so the strict CSP needs no exception.
"use strict";

// --- SVG charts ---------------------------------------------------------------------------------

const SVG_NS = "http://www.w3.org/2000/svg";

function svgEl(tag, attrs, ...children) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c) e.append(c);
  return e;
}

// bucketLabel is a bucket's start time, short enough for an axis.
function bucketLabel(t, seconds) {
  const d = new Date(t);
  if (seconds >= 86400) return d.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

// seriesName names a line: its IdP, and its rule when the figure is split by rule.
function seriesName(s, byRule) {
  const idp = s.idp || "no IdP";
  if (!byRule) return idp;
  return idp + " · " + (s.rule || "protocol");
}

// lineChart draws series of counts over the buckets, one line per series, with a legend and the
// same figures as a table for screen readers and for reading exact values.
function lineChart(id, title, stats, series, byRule) {
  const W = 640, H = 220, L = 40, R = 10, T = 10, B = 28;
  const n = stats.buckets.length;
  const max = Math.max(1, ...series.flatMap((s) => s.counts));
  const x = (i) => L + (n <= 1 ? 0 : (i * (W - L - R)) / (n - 1));
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": title, class: "chart", "data-series": String(series.length) });
  for (const v of [0, Math.round(max / 2), max]) {
    svg.append(svgEl("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }),
      svgEl("text", { x: L - 6, y: y(v) + 4, class: "axis", "text-anchor": "end", text: String(v) }));
  }
  const ticks = Math.min(n, 6);
  for (let k = 0; k < ticks; k++) {
    const i = ticks <= 1 ? 0 : Math.round((k * (n - 1)) / (ticks - 1));
    svg.append(svgEl("text", { x: x(i), y: H - 8, class: "axis", "text-anchor": k === 0 ? "start" : k === ticks - 1 ? "end" : "middle",
      text: bucketLabel(stats.buckets[i], stats.bucket_seconds) }));
  }
  series.forEach((s, k) => {
    const pts = s.counts.map((v, i) => x(i) + "," + y(v)).join(" ");
    svg.append(svgEl("polyline", { points: pts, class: "line c" + (k % 8) },
      svgEl("title", { text: seriesName(s, byRule) + ": " + s.total })));
    s.counts.forEach((v, i) => { if (v) svg.append(svgEl("circle", { cx: x(i), cy: y(v), r: 2.5, class: "dot c" + (k % 8) })); });
  });
  const legend = el("ul", { class: "legend" }, series.map((s, k) =>
    el("li", {}, el("span", { class: "swatch c" + (k % 8) }), seriesName(s, byRule) + " (" + s.total + ")")));
  const table = el("details", {}, el("summary", { text: "Figures" }),
    el("table", {}, headRow(["Series", "Total"]), el("tbody", {}, series.map((s) =>
      el("tr", {}, el("td", { text: seriesName(s, byRule) }), el("td", { text: s.total }))))));
  return el("figure", { id, class: "figure" }, el("figcaption", { text: title }),
    series.length ? [svg, legend, table] : el("p", { class: "hint", text: "None in this period." }));
}

// barChart draws one horizontal bar per row: [label, value].
function barChart(id, title, rows) {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  const W = 640, row = 26, L = 170;
  const svg = svgEl("svg", { viewBox: "0 0 " + W + " " + (rows.length * row + 4), role: "img", "aria-label": title, class: "chart bars", "data-series": String(rows.length) });
  rows.forEach(([label, v], i) => {
    const w = Math.max(v ? 2 : 0, ((W - L - 60) * v) / max);
    svg.append(svgEl("text", { x: L - 8, y: i * row + 17, class: "axis", "text-anchor": "end", text: label }),
      svgEl("rect", { x: L, y: i * row + 4, width: w, height: row - 8, class: "bar c" + (i % 8) }, svgEl("title", { text: label + ": " + v })),
      svgEl("text", { x: L + w + 6, y: i * row + 17, class: "axis", text: String(v) }));
  });
  return el("figure", { id, class: "figure" }, el("figcaption", { text: title }),
    rows.length ? svg : el("p", { class: "hint", text: "None." }));
}

function sortedEntries(m) { return Object.entries(m || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])); }

// --- dashboard ----------------------------------------------------------------------------------

async function dashboardPage() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const from = params.get("from") || "24h";
  const org = currentOrg();
  const qs = orgParam(new URLSearchParams({ from }), org);
  const s = await api("GET", "/stats?" + qs.toString());
  const range = el("select", { id: "dash-range", "aria-label": "Period" },
    [["1h", "last hour"], ["24h", "last 24 hours"], ["7d", "last 7 days"], ["30d", "last 30 days"]].map(([v, t]) =>
      el("option", { value: v, text: t, selected: v === from ? true : null })));
  range.addEventListener("change", () => { location.hash = "#/dashboard?from=" + encodeURIComponent(range.value); });
  const u = s.users;
  const webhooks = s.webhooks || [];
  view(org ? "Dashboard of " + orgName(org) : "Dashboard",
    el("div", { class: "row" }, el("div", {}, el("label", { for: "dash-range", text: "Period" }), range)),
    el("p", { class: "hint", id: "dash-period" }, "From " + fmtTime(s.from) + " to " + fmtTime(s.to) + ", by " + s.bucket + ". Figures come from the event log (" + s.events_read + " events read" + (s.truncated ? ", stopped early: older events are not counted" : "") + ")."),
    el("dl", { class: "facts", id: "dash-users" },
      el("dt", { text: "Users" }), el("dd", { text: String(u.total) }),
      el("dt", { text: "Active" }), el("dd", { text: String(u.active) }),
      el("dt", { text: "Inactive" }), el("dd", { text: String(u.inactive) })),
    el("div", { class: "charts" },
      lineChart("chart-sign-ins", "Sign-ins by IdP", s, s.sign_ins, false),
      lineChart("chart-refusals", "Refusals by IdP and rule", s, s.refusals, true),
      lineChart("chart-scim", "SCIM operations by IdP", s, s.scim_operations, false),
      lineChart("chart-scim-errors", "SCIM errors by IdP and rule", s, s.scim_errors, true),
      barChart("chart-users-idp", "Users by IdP", sortedEntries(u.by_idp).map(([k, v]) => [k || "no IdP", v])),
      barChart("chart-users-owner", "Users by owner", sortedEntries(u.by_owner)),
      barChart("chart-users-status", "Users by status", [["active", u.active], ["inactive", u.inactive]]),
      seesAllOrgs() ? barChart("chart-webhook-lag", "Webhook lag (events not yet delivered)", webhooks.map((w) => [w.url.replace(/^https?:\/\//, "").slice(0, 28) + " (" + w.status + ")", w.lag])) : ""),
    el("p", {}, el("a", { href: "#/events?type=" + encodeURIComponent("login.refused,scim.refused,console.refused") }, "Refusals in the events"), " · ",
      el("a", { href: "#/users?status=inactive" }, "Inactive users")));
}

// --- events search ------------------------------------------------------------------------------

const eventFilters = [
  ["id", "Reference (event id)", "the reference a refused person reads out"],
  ["type", "Type", "comma separated; user.* for a prefix"],
  ["idp", "IdP", ""],
  ["rule", "Rule", "such as R6"],
  ["actor", "Actor", "an actor, a kind such as scim:, or a name"],
  ["subject", "Subject", "a user id or an asserted key"],
  ["from", "From", "RFC 3339, a date, or 24h / 7d"],
  ["to", "To", ""],
];

async function eventsPage() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const form = el("form", { id: "event-search", role: "search", method: "get" },
    el("div", { class: "filters" }, eventFilters.map(([name, label, hint]) => el("div", {},
      el("label", { for: "ev-" + name, text: label }),
      el("input", { id: "ev-" + name, name, type: name === "id" ? "search" : "text", autocomplete: "off", spellcheck: "false", value: params.get(name) || "", placeholder: hint || null })))),
    el("button", { type: "submit", id: "event-search-button" }, "Search"),
    el("a", { href: "#/events", class: "clear" }, "Clear"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const [name] of eventFilters) { const v = form.elements[name].value.trim(); if (v) q.set(name, v); }
    const next = "#/events" + (q.toString() ? "?" + q.toString() : "");
    if (location.hash === next) route(); else location.hash = next;
  });
  const filtered = eventFilters.some(([name]) => params.get(name));
  if (!filtered) {
    liveEvents();
    document.querySelector("#view h1").after(form);
    return;
  }
  const org = currentOrg();
  const qs = orgParam(new URLSearchParams(), org);
  for (const [name] of eventFilters) if (params.get(name)) qs.set(name, params.get(name));
  const results = el("div", { id: "event-results" });
  const exportBox = el("p", { id: "event-export" }, "Export the filtered list: ",
    exportButton("CSV", qs, "csv"), " ", exportButton("JSON Lines", qs, "jsonl"),
    el("span", { class: "hint mono" }, " GET " + API + "/events?" + qs.toString() + "&format=csv"));
  view(org ? "Events of " + orgName(org) : "Events", form, exportBox, results);
  let before = null;
  async function load() {
    const page = orgParam(new URLSearchParams(qs), org);
    page.set("order", "desc");
    page.set("limit", "100");
    if (before !== null) page.set("before", String(before));
    try {
      const data = await api("GET", "/events?" + page.toString());
      let tbody = results.querySelector("tbody");
      if (!tbody) {
        const table = eventTable([], "event-list");
        results.replaceChildren(table);
        tbody = table.querySelector("tbody");
      }
      for (const e of data.items) tbody.append(eventRow(e));
      results.querySelector("button.more") && results.querySelector("button.more").remove();
      before = data.next_before;
      results.dataset.count = String(tbody.children.length);
      if (!tbody.children.length && data.done) results.replaceChildren(el("p", { id: "event-none", text: "No event matches." }));
      else if (!data.done) results.append(el("button", { type: "button", class: "secondary more", onclick: load }, "Older"));
    } catch (e) { if (e.status !== 401) results.replaceChildren(errorBox(e)); }
  }
  await load();
}

// exportButton downloads the API's export of the filtered events. A link cannot carry the
// Authorization header, so the file is fetched and handed to the browser as a blob.
function exportButton(label, qs, format) {
  const btn = el("button", { type: "button", class: "secondary", id: "export-" + format }, label);
  btn.addEventListener("click", async () => {
    const q = new URLSearchParams(qs);
    q.set("format", format);
    try {
      const res = await fetch(API + "/events?" + q.toString(), { headers: { "Authorization": "Bearer " + sessionStorage.getItem(TOKEN_KEY) }, credentials: "omit", cache: "no-store" });
      if (!res.ok) throw new Error("HTTP " + res.status);
      const url = URL.createObjectURL(await res.blob());
      const a = el("a", { href: url, download: "roster-events." + (format === "csv" ? "csv" : "jsonl"), class: "offscreen" });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      status("Exported as " + label);
    } catch (e) { status("Export failed: " + e.message); }
  });
  return btn;
}

// --- users --------------------------------------------------------------------------------------

function searchFilter(q) {
  // A SCIM filter over the fields a person searches by; JSON string syntax is SCIM's too.
  const s = JSON.stringify(q);
  return "userName co " + s + " or displayName co " + s + " or emails co " + s + " or uniqueUserId eq " + s + " or externalId eq " + s + " or id eq " + s;
}

function choiceSelect(id, value, options) {
  return el("select", { id }, options.map(([v, t]) => el("option", { value: v, text: t, selected: v === value ? true : null })));
}

async function userList() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const org = params.get("org") || currentOrg();
  const idps = (await api("GET", "/idps?" + orgParam(new URLSearchParams(), org).toString())).items;
  const results = el("div", { id: "user-results" });
  const count = el("p", { id: "user-count", class: "hint" });
  const input = el("input", { id: "user-q", type: "search", autocomplete: "off", value: params.get("q") || "" });
  const raw = el("input", { id: "user-filter", type: "text", autocomplete: "off", spellcheck: "false" });
  const statusSel = choiceSelect("user-status", params.get("status") || "", [["", "any"], ["active", "active"], ["inactive", "inactive"]]);
  const idpSel = choiceSelect("user-idp", params.get("idp") || "", [["", "any"], ...idps.map((p) => [p.id, p.name + " (" + p.id + ")"])]);
  const ownerSel = choiceSelect("user-owner-filter", params.get("owner") || "", [["", "any"], ["scim", "SCIM"], ["jit", "JIT"], ["admin", "admin"]]);
  const sortSel = choiceSelect("user-sort", params.get("sort") || "userName", [["userName", "user name"], ["displayName", "display name"],
    ["-lastLoginAt", "last sign-in, newest first"], ["-created", "created, newest first"], ["-lastModified", "changed, newest first"]]);
  const form = el("form", { id: "user-search", role: "search" },
    el("div", { class: "row" },
      el("div", {}, el("label", { for: "user-q", text: "Search users (name, email, uniqueUserId)" }), input),
      el("div", {}, el("label", { for: "user-filter", text: "or a SCIM filter" }), raw)),
    el("div", { class: "row" },
      el("div", {}, el("label", { for: "user-status", text: "Status" }), statusSel),
      el("div", {}, el("label", { for: "user-idp", text: "IdP" }), idpSel),
      el("div", {}, el("label", { for: "user-owner-filter", text: "Owner" }), ownerSel),
      el("div", {}, el("label", { for: "user-sort", text: "Sort by" }), sortSel)),
    el("button", { type: "submit", id: "user-search-button" }, "Search"));
  let cursor = "";
  let latest = 0;
  async function load(append) {
    // Answers may arrive out of order (the first listing and a search typed meanwhile): only
    // the newest load may render.
    const mine = ++latest;
    const qs = new URLSearchParams({ limit: "50", total: "true" });
    const f = raw.value.trim() || (input.value.trim() ? searchFilter(input.value.trim()) : "");
    if (f) qs.set("filter", f);
    for (const [k, sel] of [["status", statusSel], ["idp", idpSel], ["owner", ownerSel], ["sort", sortSel]]) if (sel.value) qs.set(k, sel.value);
    orgParam(qs, org);
    if (append && cursor) qs.set("cursor", cursor);
    try {
      const data = await api("GET", "/users?" + qs.toString());
      if (mine !== latest) return;
      cursor = data.next_cursor;
      results.dataset.filter = f;
      results.dataset.query = qs.toString();
      if (data.total !== undefined) count.textContent = data.total === 1 ? "1 user matches." : data.total + " users match.";
      const more = cursor ? el("button", { type: "button", class: "secondary", onclick: () => load(true) }, "More") : "";
      const table = userTable(data.items, "users");
      if (append) {
        results.querySelector("tbody").append(...table.querySelector("tbody").children);
        results.querySelector("button") && results.querySelector("button").remove();
        if (more) results.append(more);
      } else {
        results.replaceChildren(data.items.length ? table : el("p", { text: "No user matches." }), more);
      }
    } catch (e) { if (e.status !== 401) results.replaceChildren(errorBox(e)); }
  }
  form.addEventListener("submit", (ev) => { ev.preventDefault(); cursor = ""; load(false); });
  for (const sel of [statusSel, idpSel, ownerSel, sortSel]) sel.addEventListener("change", () => { cursor = ""; load(false); });
  const idp = params.get("idp");
  view(idp ? "Users of " + idp : org ? "Users of " + orgName(org) : "Users", form, count, results);
  await load(false);
}

async function userPage(id) {
  const enc = encodeURIComponent(id);
  const u = await api("GET", "/users/" + enc);
  const sessions = (await api("GET", "/users/" + enc + "/sessions")).items || [];
  // The user's events newest first: on a large log the recent ones are those looked for, and
  // each page reads at most the API's budget of events, from the end of the log back.
  const evs = [];
  let before = 0;
  for (let i = 0; i < 20; i++) {
    const qs = new URLSearchParams({ subject: id, order: "desc", limit: "500" });
    if (before) qs.set("before", String(before));
    const page = await api("GET", "/events?" + qs.toString());
    evs.push(...page.items);
    if (page.done || !page.next_before) break;
    before = page.next_before;
  }
  const write = canWrite();
  const out = el("div", { id: "user-action" });
  async function act(method, path, done, ask) {
    if (ask && !confirm(ask)) return;
    try { await api(method, path); await route(); status(done); } catch (e) { if (e.status !== 401) out.replaceChildren(errorBox(e)); }
  }
  const actions = !write ? "" : el("p", { class: "actions" },
    u.active ? el("button", { type: "button", class: "danger", id: "deactivate",
      onclick: () => act("POST", "/users/" + enc + "/deactivate", "Deactivated", "Deactivate " + u.userName + "? Their sessions end at once.") }, "Deactivate")
      : u.owner === "scim" ? el("span", { class: "hint", id: "reactivate-in-idp", text: "SCIM provisions this user: reactivate it in the IdP, whose connector sends the change (R6). " })
        : el("button", { type: "button", id: "reactivate", onclick: () => act("POST", "/users/" + enc + "/reactivate", "Reactivated") }, "Reactivate"),
    el("button", { type: "button", class: "danger", id: "delete-user", onclick: async () => {
      // The dry run says what the tombstone will do before anything is deleted.
      try {
        const d = await api("DELETE", "/users/" + enc + "?dry_run=true");
        out.replaceChildren(el("div", { class: "box warn", id: "delete-explained", role: "alert" },
          el("p", {}, el("strong", { text: "Delete " + u.userName + "? " }), d.explanation),
          d.tombstone ? el("p", { class: "hint", text: "Tombstone: " + d.tombstone.idp + " / " + d.tombstone.uniqueUserId + " (" + (d.rule || "R6") + ")." }) : "",
          el("button", { type: "button", class: "danger", id: "delete-confirm", onclick: async () => {
            try {
              const done = await api("DELETE", "/users/" + enc);
              status("Deleted " + done.user.userName);
              location.hash = "#/users";
            } catch (e) { if (e.status !== 401) out.replaceChildren(errorBox(e)); }
          } }, "Delete for good"),
          el("button", { type: "button", class: "secondary", onclick: () => out.replaceChildren() }, "Cancel")));
      } catch (e) { if (e.status !== 401) out.replaceChildren(errorBox(e)); }
    } }, "Delete…"));
  const sessionRows = sessions.map((s) => el("tr", {}, el("td", { class: "mono", text: s.id }), el("td", { text: s.idp }),
    el("td", { text: fmtTime(s.created) }), el("td", { text: fmtTime(s.expires) })));
  view(u.displayName || u.userName,
    el("dl", { class: "facts", id: "user-facts" },
      el("dt", { text: "User name" }), el("dd", { text: u.userName }),
      el("dt", { text: "Id" }), el("dd", { class: "mono", text: u.id }),
      el("dt", { text: "Organization" }), el("dd", { id: "user-org", text: orgName(u.org) }),
      el("dt", { text: "Owner" }), el("dd", { id: "user-owner", text: u.owner }),
      el("dt", { text: "Identity" }), el("dd", { id: "user-identity", text: u.idp ? u.idp + " / " + u.uniqueUserId : "none" }),
      el("dt", { text: "External id" }), el("dd", { text: u.externalId || "—" }),
      el("dt", { text: "Name" }), el("dd", { text: [u.name.givenName, u.name.familyName].filter(Boolean).join(" ") || "—" }),
      el("dt", { text: "Emails" }), el("dd", { text: u.emails.map((e) => e.value).join(", ") || "—" }),
      el("dt", { text: "Active" }), el("dd", { id: "user-active" }, el("span", { class: "badge " + (u.active ? "on" : "off"), text: u.active ? "active" : "inactive" })),
      el("dt", { text: "Last sign-in" }), el("dd", { text: fmtTime(u.lastLoginAt) }),
      el("dt", { text: "Groups" }), el("dd", { id: "user-groups" }, u.groups.length ? u.groups.map((g, i) =>
        [i ? ", " : "", el("a", { href: "#/groups/" + encodeURIComponent(g.id) }, g.displayName || g.id)]) : "none")),
    actions, out,
    el("h2", { text: "Sessions (" + sessions.length + ")" }),
    sessions.length ? el("table", { id: "sessions" }, headRow(["Id", "IdP", "Started", "Expires"]), el("tbody", {}, sessionRows)) : el("p", { id: "no-sessions", text: "No live session." }),
    write && sessions.length ? el("button", { type: "button", class: "danger", id: "signout-everywhere",
      onclick: () => act("POST", "/users/" + enc + "/sessions/revoke", "Signed out everywhere", "End every session of " + u.userName + "? The user stays active and may sign in again.") }, "Sign out everywhere") : "",
    el("h2", { id: "user-events-title", text: "Events of this user" }),
    evs.length ? eventTable(evs, "user-events") : el("p", { text: "No events." }));
}

// --- groups -------------------------------------------------------------------------------------

async function groupList() {
  const org = currentOrg();
  const data = await api("GET", "/groups?" + orgParam(new URLSearchParams({ limit: "200" }), org).toString());
  view(org ? "Groups of " + orgName(org) : "Groups",
    data.items.length ? el("table", { id: "groups" }, headRow(["Name", orgHead(), "IdP", "Members"]),
      el("tbody", {}, data.items.map((g) => el("tr", {},
        el("td", {}, el("a", { href: "#/groups/" + encodeURIComponent(g.id) }, g.displayName)), orgCell(g.org),
        el("td", { text: g.idp || "—" }), el("td", { text: String((g.members || []).length) })))))
      : el("p", { text: "No group yet." }));
}

async function groupPage(id) {
  const g = await api("GET", "/groups/" + encodeURIComponent(id));
  const members = g.member_users || [];
  view(g.displayName,
    el("dl", { class: "facts", id: "group-facts" },
      el("dt", { text: "Id" }), el("dd", { class: "mono", text: g.id }),
      el("dt", { text: "Organization" }), el("dd", { text: orgName(g.org) }),
      el("dt", { text: "IdP" }), el("dd", { text: g.idp || "—" }),
      el("dt", { text: "External id" }), el("dd", { text: g.externalId || "—" })),
    el("h2", { text: "Members (" + members.length + ")" }),
    members.length ? el("table", { id: "group-members" }, headRow(["User name", "Display name", "IdP", "Active"]),
      el("tbody", {}, members.map((m) => el("tr", {},
        el("td", {}, el("a", { href: "#/users/" + encodeURIComponent(m.id) }, m.userName)), el("td", { text: m.displayName || "" }),
        el("td", { text: m.idp || "—" }), el("td", {}, el("span", { class: "badge " + (m.active ? "on" : "off"), text: m.active ? "active" : "inactive" }))))))
      : el("p", { text: "No member." }));
}

// --- webhooks -----------------------------------------------------------------------------------

// A webhook of every organization ("" or "*") is changed by an owner only.
function everyOrgWebhook(w) { return !w.org || w.org === "*"; }
function mayChangeWebhook(w) { return canWrite() && (!everyOrgWebhook(w) || isOwner()); }

async function webhookList() {
  const org = currentOrg();
  const data = await api("GET", "/webhooks?" + orgParam(new URLSearchParams(), org).toString());
  const out = el("div", { id: "webhook-out" });
  const errors = el("div", { id: "webhook-errors" });
  async function act(method, path, body, done) {
    try { await api(method, path, body); await route(); status(done); } catch (e) { if (e.status !== 401) errors.replaceChildren(errorBox(e)); }
  }
  const rows = data.items.map((w) => {
    const enc = encodeURIComponent(w.id);
    const from = el("input", { type: "text", class: "seq", "aria-label": "Replay from event", placeholder: "from seq", autocomplete: "off" });
    return el("tr", { "data-webhook": w.id },
      el("td", { class: "mono", text: w.id }), el("td", { class: "mono", text: w.url }),
      el("td", { text: (w.event_types || []).join(", ") || "all" }), el("td", { text: everyOrgWebhook(w) ? "every organization" : orgName(w.org) }),
      el("td", {}, el("span", { class: "badge " + (w.status === "failing" ? "off" : "on"), text: w.status }),
        w.last_error ? el("div", { class: "hint", text: w.failures + " failures: " + w.last_error }) : ""),
      el("td", { text: String(w.cursor) }), el("td", { text: fmtTime(w.last_attempt) }),
      mayChangeWebhook(w) ? el("td", { class: "actions" },
        el("button", { type: "button", class: "secondary", "aria-label": "Resume " + w.id, onclick: () => act("POST", "/webhooks/" + enc + "/resume", undefined, "Resumed") }, "Resume"),
        from,
        el("button", { type: "button", class: "secondary", "aria-label": "Replay " + w.id, onclick: () => {
          const n = from.value.trim();
          act("POST", "/webhooks/" + enc + "/replay", n ? { from_seq: Number(n) } : {}, "Delivery restarts" + (n ? " at " + n : ""));
        } }, "Replay"),
        el("button", { type: "button", class: "danger", "aria-label": "Delete " + w.id, onclick: () => {
          if (confirm("Delete webhook " + w.url + "?")) act("DELETE", "/webhooks/" + enc, undefined, "Webhook deleted");
        } }, "Delete")) : null);
  });
  let create = "";
  if (canWrite()) {
    const orgSel = seesAllOrgs() ? el("div", {}, el("label", { for: "w-org", text: "Organization" }),
      el("select", { id: "w-org" }, isOwner() ? el("option", { value: "", text: "every organization" }) : "",
        orgs.map((o) => el("option", { value: o.id, text: o.name, selected: o.id === org ? true : null })))) : "";
    const form = el("form", { id: "webhook-form", method: "post", novalidate: true },
      el("div", { class: "row" },
        el("div", {}, el("label", { for: "w-url", text: "URL (https)" }), el("input", { id: "w-url", type: "url", autocomplete: "off", spellcheck: "false", required: true })),
        el("div", {}, el("label", { for: "w-types", text: "Event types (comma separated; empty = all)" }), el("input", { id: "w-types", type: "text", autocomplete: "off" })),
        el("div", {}, el("label", { for: "w-idp", text: "Only this IdP (optional)" }), el("input", { id: "w-idp", type: "text", autocomplete: "off" })),
        orgSel),
      el("button", { type: "submit", id: "webhook-create" }, "Add webhook"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = { url: document.getElementById("w-url").value.trim(),
        event_types: document.getElementById("w-types").value.split(",").map((s) => s.trim()).filter(Boolean),
        idp: document.getElementById("w-idp").value.trim() };
      const o = document.getElementById("w-org");
      if (o) body.org = o.value;
      try {
        const w = await api("POST", "/webhooks", body);
        errors.replaceChildren();
        const btn = el("button", { type: "button", id: "webhook-copy", onclick: () => copyText(w.secret, btn) }, "Copy secret");
        out.replaceChildren(el("div", { class: "box secret", role: "alert" },
          el("p", {}, el("strong", { text: "This signing secret is shown once. " }), "The receiver at " + w.url + " checks each delivery's signature with it."),
          el("p", {}, el("code", { class: "value", id: "webhook-secret", text: w.secret })), btn,
          el("button", { type: "button", class: "secondary", id: "webhook-done", onclick: () => { out.replaceChildren(); route(); } }, "Done")));
      } catch (e) { if (e.status !== 401) errors.replaceChildren(errorBox(e)); }
    });
    create = [el("h2", { text: "Add a webhook" }), form];
  }
  view(org ? "Webhooks of " + orgName(org) : "Webhooks",
    el("p", { class: "hint", text: "Each webhook receives the event log in order, signed; its cursor is the last event it was given. Resume retries a failing webhook at once; replay restarts delivery at an event." }),
    create, errors, out,
    el("h2", { text: "Webhooks" }),
    data.items.length ? el("table", { id: "webhooks" }, headRow(["Id", "URL", "Events", "Organization", "Status", "Cursor", "Last attempt", data.items.some(mayChangeWebhook) ? "" : null]),
      el("tbody", {}, rows)) : el("p", { id: "no-webhooks", text: "No webhook yet." }));
}

// --- mode-switch preview ------------------------------------------------------------------------

const previewGroups = [
  ["no_longer_signs_in", "Could no longer sign in"],
  ["adopted_later", "Would be adopted later by SCIM"],
  ["keeps_working", "Keep working"],
  ["signs_in_again", "Could sign in again"],
  ["stays_refused", "Stay refused"],
];

// modePreview shows, under the IdP's mode form, what switching to the chosen mode would do,
// before anything is changed: the API decides it with the rules a sign-in gets.
function modePreview(id, current, form) {
  const box = el("div", { id: "mode-preview", "aria-live": "polite" });
  form.querySelector("fieldset").after(box);
  let latest = 0;
  async function show() {
    const mode = form.elements.mode.value;
    const mine = ++latest;
    if (mode === current) { box.replaceChildren(); box.dataset.mode = mode; return; }
    box.replaceChildren(el("p", { class: "hint", text: "Working out what switching to " + mode + " would do…" }));
    try {
      const p = await api("GET", "/idps/" + encodeURIComponent(id) + "/mode-preview?mode=" + encodeURIComponent(mode));
      if (mine !== latest) return;
      box.dataset.mode = mode;
      box.replaceChildren(el("div", { class: "box warn" },
        el("h3", { text: "Switching from " + p.from + " to " + p.to }),
        el("ul", { id: "preview-summary" }, (p.summary || []).map((s) => el("li", { text: s }))),
        p.newcomer && p.newcomer.reason ? el("p", {}, el("strong", { text: "Someone new: " }), p.newcomer.reason) : "",
        previewGroups.map(([key, title]) => {
          const g = p[key] || { count: 0, items: [] };
          if (!g.count) return "";
          return el("details", { id: "preview-" + key.replace(/_/g, "-"), open: g.count <= 20 ? true : null },
            el("summary", { text: title + " (" + g.count + ")" }),
            el("ul", {}, g.items.map((it) => el("li", {},
              it.user ? el("a", { href: "#/users/" + encodeURIComponent(it.user.id) }, it.user.userName)
                : el("span", { class: "mono", text: it.tombstone ? it.tombstone.uniqueUserId : "" }),
              " — " + it.reason + (it.rule ? " (" + it.rule + ")" : "")))),
            g.count > g.items.length ? el("p", { class: "hint", text: "The first " + g.items.length + " are listed." }) : "");
        })));
    } catch (e) { if (e.status !== 401 && !e.stale) box.replaceChildren(errorBox(e)); }
  }
  form.addEventListener("change", show);
}

// --- routes -------------------------------------------------------------------------------------

pages.dashboard = () => dashboardPage();
pages.events = () => eventsPage();
pages.users = (parts) => parts[1] ? userPage(parts[1]) : userList();
pages.groups = (parts) => parts[1] ? groupPage(parts[1]) : groupList();
pages.webhooks = () => webhookList();
navLinks.unshift(["#/dashboard", "Dashboard"]);
navLinks.push(["#/groups", "Groups"], ["#/webhooks", "Webhooks"]);
