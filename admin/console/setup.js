// Roster console, self-service set-up: the guided set-up a set-up link opens (#/setup), the
// connection health on the IdP page, and an organization's set-up links. It uses app.js's
// helpers (el, view, api, request, status, errorBox, copyRow, fmtTime, me) and adds its views to
// app.js's pages registry. Like app.js, it builds every node through the DOM, never from HTML.
"use strict";

// The vendors a customer's IT administrator chooses from, each with the preset that holds its
// steps and, for the two "other" choices, the protocol.
const vendors = [
  { id: "entra", name: "Microsoft Entra ID", preset: "entra" },
  { id: "okta", name: "Okta", preset: "okta" },
  { id: "pingone", name: "PingOne", preset: "pingone" },
  { id: "google", name: "Google Workspace", preset: "google" },
  { id: "onelogin", name: "OneLogin", preset: "onelogin" },
  { id: "jumpcloud", name: "JumpCloud", preset: "jumpcloud" },
  { id: "keycloak", name: "Keycloak", preset: "keycloak" },
  { id: "other-saml", name: "Other SAML 2.0 provider", preset: "generic", protocol: "saml" },
  { id: "other-oidc", name: "Other OpenID Connect provider", preset: "generic", protocol: "oidc" },
];

// What a set-up session's intent reaches (admin/doc.go); an administrator reaches everything.
function may(what) {
  if (me.kind !== "setup") return canWrite();
  return me.intent === "all" || me.intent === what;
}

// pasteValues are Roster's values for an IdP id, under the names the guides use; the server
// fills the same values once the IdP exists (GET /idps/{id}/setup-guide).
function pasteValues(id) {
  const sso = baseURL + "/sso/" + encodeURIComponent(id);
  return { sp_entity_id: sso + "/saml/metadata", acs_url: sso + "/saml/acs", sp_metadata_url: sso + "/saml/metadata",
    login_url: sso + "/login", redirect_uri: sso + "/oidc/callback", scim_base_url: baseURL + "/scim/v2" };
}

// guideSteps draws a vendor's steps: its words, each value to paste with a copy button, the
// attributes or claims to add (the one feeding uniqueUserId marked) and what to bring back.
function guideSteps(steps, values, id) {
  return el("ol", { class: "guide", id }, (steps || []).map((s, i) => el("li", {},
    el("h3", { text: s.title }),
    s.text ? el("p", { text: s.text }) : "",
    (s.paste || []).length ? el("div", { class: "paste" }, s.paste.flatMap((v) => {
      const value = v.value || values[v.name] || "";
      return value ? copyRow(v.label, value, id + "-" + i + "-" + v.name)
        : [el("span", { text: v.label }), el("span", { class: "hint", text: v.name === "scim_token" ? "the SCIM token, shown once when you create it below" : "—" }), el("span")];
    })) : "",
    (s.claims || []).length ? el("table", { class: "claims" }, headRow(["Name", "Value (source)", "Feeds"]),
      el("tbody", {}, s.claims.map((c) => el("tr", { class: c.required ? "required" : null },
        el("td", {}, el("code", { text: c.name })), el("td", { text: c.source }),
        el("td", {}, c.feeds, c.required ? el("strong", { text: " — required (R1)" }) : ""))))) : "",
    (s.bring || []).length ? el("p", { class: "hint", text: "Bring back: " + s.bring.map(bringLabel).join(", ") }) : "")));
}

function bringLabel(name) {
  return ({ "saml.metadata_url": "the metadata URL", "saml.metadata_xml": "the metadata XML", "oidc.issuer": "the issuer",
    "oidc.client_id": "the client id", "oidc.client_secret": "the client secret" })[name] || name;
}

// --- #/setup: the guided set-up ------------------------------------------------------------------

pages["setup"] = async (parts) => {
  if (parts[1] === "new") return setupVendor(parts[2]);
  if (parts[1]) return setupIdP(parts[1]);
  return setupStart();
};

function intentText() {
  return ({ sso: "connect single sign-on", scim: "connect SCIM provisioning", domain: "verify the organization's domains",
    all: "connect single sign-on and SCIM provisioning and verify domains" })[me.intent] || "set up the organization";
}

async function setupStart() {
  const org = me.org || currentOrg();
  const idps = may("sso") || may("scim") ? (await api("GET", "/idps?" + orgParam(new URLSearchParams(), org).toString())).items : [];
  const intro = me.kind === "setup"
    ? el("p", { id: "setup-intro" }, "This link lets you ", el("strong", { text: intentText() }), " for ", el("strong", { text: orgName(org) }),
      me.expires_at ? ". It works until " + fmtTime(me.expires_at) + "." : ".")
    : el("p", { id: "setup-intro", text: "The guided set-up of an identity provider of " + orgName(org) + "." });
  const existing = idps.length ? [el("h2", { text: "Connections" }),
    el("ul", { id: "setup-idps" }, idps.map((p) => el("li", {}, el("a", { href: "#/setup/" + encodeURIComponent(p.id) }, p.name + " (" + p.id + ")"),
      " — " + p.protocol.toUpperCase() + ", mode " + p.mode)))] : "";
  const choose = may("sso") ? [el("h2", { text: idps.length ? "Connect another identity provider" : "1. Choose your identity provider" }),
    el("div", { class: "vendors", id: "vendors" }, vendors.map((v) =>
      el("a", { class: "vendor", href: "#/setup/new/" + v.id, id: "vendor-" + v.id }, v.name)))] : "";
  const scimOnly = !may("sso") && may("scim") && !idps.length ? el("p", { text: "There is no identity provider yet; SCIM provisioning connects to one. Ask for a link that may set up single sign-on." }) : "";
  view("Set up single sign-on", intro, choose, existing, scimOnly, may("domain") ? await domainSection(org) : "");
}

// setupVendor: the vendor's single sign-on steps, then what to bring back and the mode.
function setupVendor(vendorID) {
  const v = vendors.find((x) => x.id === vendorID);
  if (!v || !may("sso")) return notFound();
  const preset = presetOf(v.preset);
  if (!preset) return notFound();
  const form = el("form", { id: "setup-form", method: "post", novalidate: true });
  const steps = el("div", { id: "setup-steps" });
  const errors = el("div", { id: "setup-errors" });
  const protocols = v.protocol ? [v.protocol] : (preset.protocols || ["saml", "oidc"]);
  const idInput = el("input", { id: "s-id", type: "text", autocomplete: "off", spellcheck: "false", required: true });
  idInput.value = v.preset === "generic" ? v.protocol === "oidc" ? "oidc" : "saml" : v.preset;
  const protoSet = el("fieldset", {}, el("legend", { text: "Protocol" }),
    protocols.map((p, i) => radio("protocol", p, i === 0, p === "saml" ? "SAML 2.0" : "OpenID Connect")));
  const samlSet = el("fieldset", { id: "s-saml" }, el("legend", { text: "Your IdP's SAML metadata" }),
    field("Metadata URL", "s.metadata_url", "", { type: "url", hint: "The federation metadata URL your IdP shows; or paste the XML below." }),
    field("Metadata XML", "s.metadata_xml", "", { textarea: true }));
  const oidcSet = el("fieldset", { id: "s-oidc" }, el("legend", { text: "Your IdP's OpenID Connect application" }),
    field("Issuer", "s.issuer", "", { type: "url" }),
    field("Client id", "s.client_id", ""),
    field("Client secret", "s.client_secret", "", { type: "password" }),
    field("Scopes (space separated)", "s.scopes", "openid profile email", { hint: "Ask for the scope that releases the uniqueUserId claim if your IdP needs one." }));
  const modeSet = el("fieldset", {}, el("legend", { text: "Provisioning mode" }),
    ["both", "scim", "jit"].map((m) => radio("mode", m, m === "both", m === "both" ? "SCIM and JIT" : m.toUpperCase(), modeText[m])));
  function draw() {
    const proto = form.elements.protocol.value;
    samlSet.hidden = proto !== "saml";
    oidcSet.hidden = proto !== "oidc";
    const id = idInput.value.trim() || "…";
    steps.replaceChildren(el("h2", { text: "2. In " + v.name }), guideSteps((preset.guide || {})[proto], pasteValues(id), "steps"));
  }
  form.append(
    el("div", {}, el("label", { for: "s-id", text: "Connection id" }), idInput,
      el("p", { class: "hint", text: "Lower-case letters, digits and dashes; it is part of the URLs below." })),
    protoSet, steps,
    el("h2", { text: "3. Bring back what your IdP shows" }), samlSet, oidcSet,
    el("h2", { text: "4. Choose the mode" }), modeSet, errors,
    el("button", { type: "submit", id: "setup-save" }, "Save the connection"),
    el("a", { href: "#/setup" }, "Back"));
  protoSet.addEventListener("change", draw);
  idInput.addEventListener("input", draw);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = form.elements;
    const proto = f.protocol.value;
    const body = { id: idInput.value.trim(), name: v.name, protocol: proto, mode: f.mode.value, preset: v.preset, org: me.org || currentOrg() || undefined };
    if (proto === "saml") body.saml = { metadata_url: f["s.metadata_url"].value.trim(), metadata_xml: f["s.metadata_xml"].value };
    else body.oidc = { issuer: f["s.issuer"].value.trim(), client_id: f["s.client_id"].value.trim(), client_secret: f["s.client_secret"].value,
      scopes: f["s.scopes"].value.split(/\s+/).filter(Boolean) };
    try {
      const saved = await api("POST", "/idps", body);
      status("Connection saved");
      location.hash = "#/setup/" + encodeURIComponent(saved.id);
    } catch (e) { if (e.status !== 401) { errors.replaceChildren(errorBox(e)); errors.scrollIntoView(); } }
  });
  view("Set up " + v.name, el("p", {}, el("a", { href: "#/setup" }, "Choose another identity provider")), form);
  draw();
}

// setupIdP: one connection's steps, its test sign-in, its SCIM token and its health.
async function setupIdP(id) {
  const enc = encodeURIComponent(id);
  const p = await api("GET", "/idps/" + enc);
  const g = await api("GET", "/idps/" + enc + "/setup-guide");
  const parts = [];
  parts.push(el("p", {}, el("a", { href: "#/setup" }, "All of the set-up")));
  const health = el("section", { id: "health" });
  parts.push(health);
  if (may("sso")) {
    parts.push(el("h2", { text: "Single sign-on: the steps in " + (g.preset_name || p.name) }),
      guideSteps(g.guide[g.protocol], g.values, "sso-steps"),
      el("h2", { text: "Test the sign-in" }),
      el("p", { class: "hint", text: "Sign in with an account of your IdP. Nothing about the person is stored; you see what arrived, the uniqueUserId Roster would use and what the rules would decide." }),
      testSignIn(p));
    parts.push(el("h2", { text: "Mode" }), modeChoice(p));
  }
  if (may("scim") && p.mode !== "jit") {
    parts.push(el("h2", { text: "SCIM provisioning: the steps in " + (g.preset_name || p.name) }),
      guideSteps(g.guide.scim, g.values, "scim-steps"), scimTokenForm(p));
  } else if (may("scim")) {
    parts.push(el("h2", { text: "SCIM provisioning" }), el("p", { id: "scim-off", text: "This connection's mode is JIT, in which SCIM requests are refused. " +
      (may("sso") ? "Choose SCIM or SCIM and JIT above to provision with SCIM." : "Ask whoever sent the link to change the mode to provision with SCIM.") }));
  }
  if (may("domain")) parts.push(await domainSection(p.org));
  view("Set up " + p.name + " (" + p.id + ")", parts);
  await drawHealth(health, p, true);
}

function modeChoice(p) {
  const form = el("form", { id: "setup-mode", method: "post" },
    el("fieldset", {}, el("legend", { text: "Provisioning mode" }),
      ["both", "scim", "jit"].map((m) => radio("mode", m, p.mode === m, m === "both" ? "SCIM and JIT" : m.toUpperCase(), modeText[m]))),
    el("button", { type: "submit", id: "setup-mode-save" }, "Change mode"));
  const err = el("div");
  form.append(err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try { await api("PATCH", "/idps/" + encodeURIComponent(p.id), { mode: form.elements.mode.value }); status("Mode changed"); route(); }
    catch (e) { if (e.status !== 401) err.replaceChildren(errorBox(e)); }
  });
  return form;
}

function scimTokenForm(p) {
  const out = el("div", { id: "setup-token-out" });
  const form = el("form", { id: "setup-token-form", class: "row", method: "post" },
    el("div", {}, el("label", { for: "st-name", text: "Token name" }), el("input", { id: "st-name", type: "text", autocomplete: "off", value: p.name + " SCIM connector" })),
    el("button", { type: "submit", id: "setup-token-create" }, "Create the SCIM token"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const t = await api("POST", "/idps/" + encodeURIComponent(p.id) + "/scim-tokens", { name: document.getElementById("st-name").value.trim() });
      out.replaceChildren(shownOnce("This token is shown once. ", "Paste it into your IdP's provisioning settings as the secret token, with the SCIM base URL above.",
        t.token, "setup-token", "Copy token"));
      form.hidden = true;
    } catch (e) { if (e.status !== 401) out.replaceChildren(errorBox(e)); }
  });
  return el("div", {}, form, out);
}

// shownOnce is the box of a secret shown this once (#<id>-secret), with its copy button
// (#<id>-copy).
function shownOnce(lead, text, secret, id, copyLabel) {
  const btn = el("button", { type: "button", id: id + "-copy", onclick: () => copyText(secret, btn) }, copyLabel);
  return el("div", { class: "box secret", role: "alert" }, el("p", {}, el("strong", { text: lead }), text),
    el("p", {}, el("code", { class: "value", id: id + "-secret", text: secret })), btn);
}

// --- test sign-in -------------------------------------------------------------------------------

// testURL is where a test sign-in starts. A console or set-up session's cookie goes along on
// the navigation; an admin token does not, so with one the console asks for a single-use URL.
async function testURL(p) {
  const url = "/sso/" + encodeURIComponent(p.id) + "/login?test=1";
  if (!sessionStorage.getItem(TOKEN_KEY)) return url;
  return (await api("POST", "/idps/" + encodeURIComponent(p.id) + "/test-sign-in", { format: "html" })).url;
}

// testSignIn opens the real sign-in with test=1, in a new window (whose closing page, on this
// origin, the console reads) or in this tab (the closing page shows the result itself).
function testSignIn(p) {
  const out = el("div", { id: "test-result", "aria-live": "polite" });
  const start = el("button", { type: "button", id: "test-start", onclick: async () => {
    // The window opens at once, within the click, so that no pop-up blocker stops it.
    const win = window.open("", "roster-test-" + p.id);
    if (!win) { out.replaceChildren(el("p", { class: "error", text: "The browser blocked the new window; test in this tab instead." })); return; }
    try { win.location.href = await testURL(p); } catch (e) { win.close(); if (e.status !== 401) out.replaceChildren(errorBox(e)); return; }
    out.replaceChildren(el("p", { class: "hint", id: "test-waiting", text: "Waiting for the sign-in in the new window…" }));
    const gen = routeGen;
    const timer = setInterval(() => {
      if (gen !== routeGen) { clearInterval(timer); return; }
      if (win.closed) { clearInterval(timer); if (out.querySelector("#test-waiting")) out.replaceChildren(el("p", { class: "hint", text: "The window was closed before the sign-in ended." })); return; }
      let raw = null;
      // While the window is at the IdP its document cannot be read; back on this origin it can.
      try { const n = win.document.getElementById("roster-test-result"); raw = n && n.textContent; } catch (e) { raw = null; }
      if (!raw) return;
      clearInterval(timer);
      try { out.replaceChildren(testResult(JSON.parse(raw))); } catch (e) { out.replaceChildren(el("p", { class: "error", text: "The test's answer could not be read." })); }
      win.close();
      refreshHealth();
    }, 300);
  } }, "Test sign-in");
  const here = el("button", { type: "button", class: "link", id: "test-same-tab", onclick: async () => {
    try { location.href = await testURL(p); } catch (e) { if (e.status !== 401) out.replaceChildren(errorBox(e)); }
  } }, "test in this tab");
  return el("div", {}, el("p", {}, start, " or ", here), out);
}

function testResult(r) {
  const d = r.decision || {};
  return el("div", { class: "box " + (r.passed ? "passed" : "warn"), id: "test-result-box" },
    el("p", { id: "test-verdict" }, el("strong", { text: r.passed ? "The test sign-in passed." : "The test sign-in did not pass." })),
    (r.warnings || []).map((w) => el("p", { class: "warning", text: "⚠ " + w })),
    el("dl", { class: "facts" },
      el("dt", { text: "uniqueUserId" }), el("dd", { class: "mono", id: "test-key", text: r.unique_user_id || "—" }),
      el("dt", { text: "Taken from" }), el("dd", { id: "test-key-source", text: (r.key_source || "nothing") + (r.key_attribute ? " (" + r.key_attribute + ")" : "") }),
      el("dt", { text: "Why" }), el("dd", { text: r.key_explanation || "—" }),
      el("dt", { text: "Decision" }), el("dd", { id: "test-decision", text: [d.action, d.rule ? "rule " + d.rule : "", d.reason].filter(Boolean).join(" — ") || "—" }),
      el("dt", { text: "Subject" }), el("dd", { class: "mono", text: r.subject ? r.subject.kind + ": " + r.subject.value : "—" })),
    el("table", { id: "test-claims" }, headRow(["Attribute or claim", "Values"]),
      el("tbody", {}, (r.claims || []).map((c) => el("tr", {}, el("td", { class: "mono", text: c.name }), el("td", { text: (c.values || []).join(", ") }))))));
}

// --- connection health ---------------------------------------------------------------------------

let healthTarget = null; // what refreshHealth draws again: {node, idp, gen}

function refreshHealth() {
  if (healthTarget && healthTarget.gen === routeGen) drawHealth(healthTarget.node, healthTarget.idp, false).catch(() => {});
}

// drawHealth draws the checklist, warnings and last activity; while the page stays, it reads
// them again every few seconds, so the checklist turns green as the steps are done.
async function drawHealth(node, p, follow) {
  const h = await api("GET", "/idps/" + encodeURIComponent(p.id) + "/health");
  healthTarget = { node, idp: p, gen: routeGen };
  const scim = h.scim || {};
  const si = h.sign_in || {};
  const act = (x) => x ? fmtTime(x.time) + " — " + [x.operation || x.type, x.status, x.rule ? "rule " + x.rule : "", x.reason].filter(Boolean).join(", ") : "never";
  node.replaceChildren(
    el("h2", { text: "Connection health" }),
    el("ul", { class: "checklist", id: "checklist" }, (h.checklist || []).map((c) => el("li", {
      class: c.done ? "done" : c.needed ? "todo" : "skip", "data-check": c.id, "data-done": c.done ? "true" : "false" },
    el("span", { class: "mark", "aria-hidden": "true", text: c.done ? "✓" : c.needed ? "○" : "–" }),
    el("span", {}, el("strong", { text: c.title }), el("span", { class: "offscreen", text: c.done ? " (done)" : c.needed ? " (to do)" : " (not needed)" }),
      c.detail ? el("span", { class: "hint", text: " " + c.detail }) : "")))),
    el("div", { id: "health-warnings" }, (h.warnings || []).map((w) => el("p", { class: "box warn health-warning", text: w }))),
    el("dl", { class: "facts", id: "health-facts" },
      el("dt", { text: "Metadata" }), el("dd", { text: h.metadata.valid ? "valid (" + h.metadata.source + ")" : h.metadata.problem || "not checked" }),
      (h.certificates || []).flatMap((c) => [el("dt", { text: "Signing certificate" }),
        el("dd", { text: c.subject + ", expires " + fmtTime(c.not_after) + " (" + c.days_left + " days)" + (c.warning ? " — " + c.warning : "") })]),
      el("dt", { text: "Last SCIM request" }), el("dd", { id: "health-scim-last", text: act(scim.last_request) }),
      el("dt", { text: "Last SCIM errors" }), el("dd", { id: "health-scim-errors" }, (scim.recent_errors || []).length
        ? el("ul", {}, scim.recent_errors.slice(0, 5).map((x) => el("li", { text: act(x) }))) : "none"),
      (scim.tokens || []).flatMap((t) => [el("dt", { text: "SCIM token " + (t.name || t.id) }),
        el("dd", { text: t.status + (t.expires_at ? ", expires " + fmtTime(t.expires_at) : ", never expires") + (t.warning ? " — " + t.warning : "") })]),
      el("dt", { text: "Last sign-in" }), el("dd", { id: "health-last-sign-in", text: act(si.last) }),
      el("dt", { text: "Last refusal" }), el("dd", { id: "health-last-refusal", text: act(si.last_refusal) }),
      el("dt", { text: "Last test sign-in" }), el("dd", { id: "health-last-test", text: si.last_test ? act(si.last_test) + (si.last_test.passed ? " (passed)" : " (did not pass)") : "never" })),
    el("p", { class: "hint" }, "Checked " + fmtTime(h.checked_at) + ". ",
      el("button", { type: "button", class: "link", id: "health-refresh", onclick: refreshHealth }, "Check again")));
  if (follow) {
    const gen = routeGen;
    const timer = setInterval(() => { if (gen !== routeGen) clearInterval(timer); else refreshHealth(); }, 5000);
  }
}

// idpHealth adds the connection health and a "Test sign-in" button to the IdP page (app.js).
async function idpHealth(p) {
  const node = el("section", { id: "health" });
  const h1 = document.querySelector("#view h1");
  h1.after(node);
  if (canWrite()) node.after(el("div", { id: "idp-test" }, el("h2", { text: "Test sign-in" }), testSignIn(p)));
  try { await drawHealth(node, p, true); } catch (e) { if (e.status !== 401 && !e.stale) node.replaceChildren(el("h2", { text: "Connection health" }), errorBox(e)); }
}

// --- domains ------------------------------------------------------------------------------------

async function domainSection(org) {
  const enc = encodeURIComponent(org);
  const o = await api("GET", "/orgs/" + enc);
  const err = el("div", { id: "setup-domain-error" });
  const rows = (o.domains || []).map((d) => el("li", { "data-domain": d.domain },
    el("strong", { text: d.domain + " " }), el("span", { class: "badge " + (d.verified ? "on" : "off"), text: d.verified ? "verified" : "not verified" }),
    d.verified ? "" : [el("p", { class: "hint", text: "Publish this TXT record in the domain's DNS zone, then verify it." }),
      el("div", { class: "paste" }, copyRow("TXT name", d.txt_name), copyRow("TXT value", d.txt_value)),
      el("button", { type: "button", class: "verify", "aria-label": "Verify " + d.domain, onclick: async () => {
        try { await api("POST", "/orgs/" + enc + "/domains/" + encodeURIComponent(d.domain) + "/verify"); status(d.domain + " verified"); route(); }
        catch (e) { if (e.status !== 401) err.replaceChildren(errorBox(e)); }
      } }, "Verify")]));
  const input = el("input", { id: "sd-name", type: "text", autocomplete: "off", spellcheck: "false", required: true });
  const form = el("form", { id: "setup-domain-form", class: "row", method: "post", novalidate: true },
    el("div", {}, el("label", { for: "sd-name", text: "Your email domain (such as example.com)" }), input),
    el("button", { type: "submit", id: "setup-domain-add" }, "Add domain"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try { await api("POST", "/orgs/" + enc + "/domains", { domain: input.value.trim() }); status("Publish the TXT record, then verify it"); route(); }
    catch (e) { if (e.status !== 401) err.replaceChildren(errorBox(e)); }
  });
  return el("section", { id: "setup-domains" }, el("h2", { text: "Domains" }),
    rows.length ? el("ul", { class: "domains" }, rows) : el("p", { text: "No domain yet." }), form, err);
}

// --- set-up links on the organization page (owner, org-admin) ---------------------------------

async function orgSetupLinks(o) {
  if (me.kind === "setup") return;
  const enc = encodeURIComponent(o.id);
  const data = await api("GET", "/orgs/" + enc + "/setup-links");
  const out = el("div", { id: "setup-link-out" });
  const err = el("div", { id: "setup-link-errors" });
  const intent = el("select", { id: "sl-intent" },
    el("option", { value: "all", text: "everything: single sign-on, SCIM and domains" }),
    el("option", { value: "sso", text: "single sign-on only" }),
    el("option", { value: "scim", text: "SCIM provisioning only" }),
    el("option", { value: "domain", text: "domains only" }));
  const exp = el("input", { id: "sl-exp", type: "text", autocomplete: "off", value: "7d" });
  const form = el("form", { id: "setup-link-form", class: "row", method: "post", novalidate: true },
    el("div", {}, el("label", { for: "sl-intent", text: "What the link may set up" }), intent),
    el("div", {}, el("label", { for: "sl-exp", text: "Expires in (at most 30d)" }), exp),
    el("button", { type: "submit", id: "setup-link-create" }, "Create set-up link"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const l = await api("POST", "/orgs/" + enc + "/setup-links", { intent: intent.value, expires_in: exp.value.trim() || undefined });
      err.replaceChildren();
      const box = shownOnce("This link is shown once. ", "Send it to the IT administrator of " + o.name + "; it works until " + fmtTime(l.expires_at) + ".",
        l.url, "setup-link", "Copy link");
      box.append(el("button", { type: "button", class: "secondary", onclick: () => route() }, "Done"));
      out.replaceChildren(box);
    } catch (e) { if (e.status !== 401) err.replaceChildren(errorBox(e)); }
  });
  const rows = (data.items || []).map((l) => el("tr", { "data-link": l.id },
    el("td", { class: "mono", text: l.id }), el("td", { text: l.intent }), el("td", { text: l.status }),
    el("td", { text: fmtTime(l.created) }), el("td", { text: fmtTime(l.expires_at) }), el("td", { text: fmtTime(l.last_used_at) }),
    el("td", {}, l.status === "active" ? el("button", { type: "button", class: "danger", "aria-label": "Revoke set-up link " + l.id, onclick: async () => {
      if (!confirm("Revoke set-up link " + l.id + "? Whoever uses it is signed out at once.")) return;
      try { await api("DELETE", "/setup-links/" + encodeURIComponent(l.id)); status("Set-up link revoked"); route(); } catch (e) { if (e.status !== 401) err.replaceChildren(errorBox(e)); }
    } }, "Revoke") : "")));
  document.getElementById("view").append(el("section", { id: "setup-links" },
    el("h2", { text: "Set-up links" }),
    el("p", { class: "hint", text: "A set-up link lets the customer's IT administrator connect their identity provider alone: it opens a guided set-up limited to this organization and to what you choose, until it expires or you revoke it." }),
    form, err, out,
    rows.length ? el("table", { id: "setup-link-list" }, headRow(["Id", "Intent", "Status", "Created", "Expires", "Last used", ""]), el("tbody", {}, rows))
      : el("p", { text: "No set-up link yet." })));
}
