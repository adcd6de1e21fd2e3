// Roster console: plain JavaScript over the admin API. Every DOM node is built with
// createElement and textContent, never by parsing strings as HTML, so data from IdPs cannot inject markup.
// The admin token lives in sessionStorage and travels only in the Authorization header.
"use strict";

const API = "/admin/api/v1";
const TOKEN_KEY = "roster.adminToken";
const ORG_KEY = "roster.org";
let presets = [];
let baseURL = ""; // the server's public URL, for the values to paste shown while an IdP is added
let eventsLoop = null; // cancels the live events long-poll when the view changes
let me = null; // GET /whoami: the signed-in credential's id, name, role and organization
let routeGen = 0; // counts page changes; a read answered after the page changed is dropped
let orgs = []; // the organizations this credential may see
// pages maps a route's first part to the function that draws it (operate.js and setup.js add
// their pages); navLinks are the main links every credential but a set-up session gets.
const pages = Object.create(null);
const navLinks = [["#/idps", "Identity providers"], ["#/users", "Users"], ["#/events", "Events"]];

// --- what the credential may do ---------------------------------------------------------------
// The server decides every request; the console only leaves out what the role would be refused,
// so that nobody is offered a button that cannot work. An org-admin or a viewer of one
// organization sees nothing of another, so whatever they see is theirs.

function isOwner() { return me && me.role === "owner"; }
function canWrite() { return me && (me.role === "owner" || (me.role === "org-admin" && !!me.org)); }
function seesAllOrgs() { return me && !me.org; }
// The organization the pages show: the credential's own, or the switcher's choice ("" = all).
function currentOrg() { return me.org || sessionStorage.getItem(ORG_KEY) || ""; }
function orgName(id) { const o = orgs.find((x) => x.id === id); return o ? o.name : id; }
function orgParam(qs, org) { if (org) qs.set("org", org); return qs; }
function describeMe() {
  const who = me.name || me.id;
  return who + " · " + me.role + (me.org ? " of " + orgName(me.org) : seesAllOrgs() && me.role !== "owner" ? " of every organization" : "");
}

// --- helpers ----------------------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

class APIError extends Error {
  constructor(status, body) {
    super((body && body.error) || "HTTP " + status);
    this.status = status;
    this.problems = (body && body.problems) || [];
  }
}

// StaleRead is a read that was answered after the person went to another page: the slower
// page must not draw over the newer one.
class StaleRead extends Error {
  constructor() { super("the page changed"); this.stale = true; }
}

// api is a request made by a page; request is one whose answer is wanted whatever the page
// (who is signed in, the presets, the organizations).
async function api(method, path, body, signal) {
  const gen = routeGen;
  const data = await request(method, path, body, signal);
  if (method === "GET" && gen !== routeGen) throw new StaleRead();
  return data;
}

// Without an admin token the console runs in a console or set-up session: its HttpOnly cookie
// goes along, and every write carries the header a cross-site form cannot send.
async function request(method, path, body, signal) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = token ? { "Authorization": "Bearer " + token } : method === "GET" ? {} : { "X-Roster-Console": "1" };
  const init = { method, headers, signal, credentials: token ? "omit" : "same-origin", cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(API + path, init);
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignIn(token ? "Your admin token is no longer accepted; sign in again." : me ? "Your session has ended." : "");
    throw new APIError(401, { error: "signed out" });
  }
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) throw new APIError(res.status, data);
  return data;
}

function status(msg) {
  const s = document.getElementById("status");
  s.textContent = msg;
  clearTimeout(status.timer);
  status.timer = setTimeout(() => { s.textContent = ""; }, 4000);
}

function errorBox(err) {
  const box = el("div", { class: "error", role: "alert" }, el("p", { text: err.message }));
  if (err.problems && err.problems.length) {
    box.append(el("ul", {}, err.problems.map((p) => el("li", { text: p }))));
  }
  return box;
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {
    // Clipboard access can be refused; selecting a hidden field and copying still works.
    const t = el("textarea", { "aria-hidden": "true", class: "offscreen" });
    t.value = text;
    document.body.append(t);
    t.select();
    document.execCommand("copy");
    t.remove();
  }
  const old = button.textContent;
  button.textContent = "Copied";
  status("Copied to the clipboard");
  setTimeout(() => { button.textContent = old; }, 1500);
}

function copyRow(label, value, id) {
  const code = el("code", { id: id, text: value || "—" });
  const btn = el("button", { type: "button", class: "secondary", "aria-label": "Copy " + label,
    onclick: () => copyText(value, btn) }, "Copy");
  return [el("span", { text: label }), code, value ? btn : el("span")];
}

function fmtTime(t) {
  if (!t) return "never";
  const d = new Date(t);
  return isNaN(d) ? t : d.toLocaleString();
}

function view(title, ...children) {
  const v = document.getElementById("view");
  v.replaceChildren(el("h1", { text: title }), ...children.flat(2).filter((c) => c !== null && c !== undefined && c !== ""));
  document.title = title + " — Roster console";
  document.getElementById("main").focus();
  return v;
}

// --- sign-in ------------------------------------------------------------------------------------

function showSignIn(message) {
  me = null;
  document.getElementById("nav").hidden = true;
  document.getElementById("view").replaceChildren();
  document.getElementById("signin").hidden = false;
  document.getElementById("signin-error").textContent = message || "";
  document.getElementById("token").focus();
}

async function signIn(ev) {
  ev.preventDefault();
  const input = document.getElementById("token");
  const token = input.value.trim();
  const errEl = document.getElementById("signin-error");
  const res = await fetch(API + "/whoami", { headers: { "Authorization": "Bearer " + token }, credentials: "omit" });
  if (!res.ok) {
    let body = {};
    try { body = await res.json(); } catch (e) { body = {}; }
    errEl.textContent = body.error || "Sign-in failed (HTTP " + res.status + ")";
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.removeItem(ORG_KEY);
  input.value = "";
  start();
}

async function start() {
  document.getElementById("signin").hidden = true;
  try {
    me = await request("GET", "/whoami");
  } catch (e) {
    if (e.status !== 401) showSignIn(sessionStorage.getItem(TOKEN_KEY) ? "The server did not say who this token is: " + e.message : "");
    return;
  }
  baseURL = me.base_url || "";
  try {
    presets = (await request("GET", "/presets")).items;
  } catch (e) {
    presets = [];
  }
  await loadOrgs();
  buildNav();
  document.getElementById("nav").hidden = false;
  if (!location.hash || location.hash === "#") location.hash = me.kind === "setup" ? "#/setup" : "#/idps";
  else route();
}

async function loadOrgs() {
  try {
    orgs = (await request("GET", "/orgs")).items || [];
  } catch (e) {
    orgs = me.org ? [{ id: me.org, name: me.org }] : [];
  }
  if (seesAllOrgs() && currentOrg() && !orgs.some((o) => o.id === currentOrg())) sessionStorage.removeItem(ORG_KEY);
}

// buildNav shows the links and the organization scope this credential may use: a switcher for
// credentials of every organization, the organization's name for the others. What the role may
// not use is not in the page at all.
function buildNav() {
  const links = me.kind === "setup" ? [["#/setup", "Set-up"]] : navLinks.slice();
  if (me.kind !== "setup") links.push(seesAllOrgs() ? ["#/orgs", "Organizations"] : ["#/orgs/" + encodeURIComponent(me.org), "Organization"]);
  if (isOwner()) links.push(["#/admin-tokens", "Admin credentials"]);
  document.getElementById("nav-links").replaceChildren(...links.map(([href, label]) =>
    el("li", {}, el("a", { href, "data-section": href.split("/")[1] }, label))));
  const scope = document.getElementById("org-scope");
  if (seesAllOrgs()) {
    const sel = el("select", { id: "org-switch", "aria-label": "Organization" },
      el("option", { value: "", text: "All organizations" }),
      orgs.map((o) => el("option", { value: o.id, text: o.name + " (" + o.id + ")", selected: o.id === currentOrg() ? true : null })));
    sel.addEventListener("change", () => switchOrg(sel.value));
    scope.replaceChildren(el("label", { for: "org-switch", class: "offscreen", text: "Organization" }), sel);
  } else {
    scope.replaceChildren(el("span", { id: "org-current", class: "badge", text: orgName(me.org) }));
  }
  document.getElementById("whoami").textContent = describeMe();
}

// switchOrg changes the organization the pages show and shows the same page for it.
function switchOrg(org) {
  if (org) sessionStorage.setItem(ORG_KEY, org); else sessionStorage.removeItem(ORG_KEY);
  const parts = location.hash.replace(/^#\/?/, "").split("?")[0].split("/");
  if (parts[0] === "orgs") location.hash = org ? "#/orgs/" + encodeURIComponent(org) : "#/orgs";
  else if (parts.length > 1 && parts[0] !== "admin-tokens") location.hash = "#/" + parts[0];
  else route();
}

// --- routing ------------------------------------------------------------------------------------

async function route() {
  routeGen++;
  if (!sessionStorage.getItem(TOKEN_KEY) && !me) { showSignIn(); return; }
  if (!me) return; // start() routes once it knows who this is
  if (eventsLoop) { eventsLoop.abort(); eventsLoop = null; }
  const parts = location.hash.replace(/^#\/?/, "").split("?")[0].split("/").map(decodeURIComponent);
  for (const a of document.querySelectorAll("nav a")) {
    const on = a.dataset.section === parts[0];
    if (on) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  try {
    if (parts[0] === "orgs" && !parts[1] && !seesAllOrgs()) { location.hash = "#/orgs/" + encodeURIComponent(me.org); return; }
    if (parts[0] === "orgs" && !parts[1]) return await orgList();
    if (parts[0] === "orgs") return await orgPage(parts[1]);
    if (parts[0] === "admin-tokens" && isOwner()) return await adminTokens();
    if (parts[0] === "idps" && parts[1] === "new" && !canWrite()) return notFound();
    if (parts[0] === "idps" && parts.length === 1) return await idpList();
    if (parts[0] === "idps" && parts[1] === "new") return idpForm(null);
    if (parts[0] === "idps" && parts[2] === "edit") return idpForm(await api("GET", "/idps/" + encodeURIComponent(parts[1])));
    if (parts[0] === "idps" && parts[2] === "reconciliation") return await reconciliation(parts[1]);
    if (parts[0] === "idps" && parts[1]) return await idpPage(parts[1]);
    if (pages[parts[0]]) return await pages[parts[0]](parts);
    notFound();
  } catch (e) {
    if (e.status === 401 || e.stale) return;
    view("Error", errorBox(e));
  }
}

function notFound() { view("Not found", el("p", { text: "There is no such page." })); }

// --- IdPs ---------------------------------------------------------------------------------------

const modeText = {
  jit: "users are created and updated when they sign in; SCIM requests are refused.",
  scim: "only the IdP's SCIM connector creates users; a sign-in by someone not provisioned is refused.",
  both: "SCIM provisions and deprovisions, and a first sign-in creates the user at once; SCIM adopts it later.",
};

// headRow is a table's header row; columns that are null are left out.
function headRow(names) {
  return el("thead", {}, el("tr", {}, names.filter((h) => h !== null).map((h) => el("th", { scope: "col", text: h }))));
}

// orgCell is the organization column, shown only to a credential that sees several.
function orgCell(org) { return seesAllOrgs() ? el("td", { text: org ? orgName(org) : "—" }) : null; }
function orgHead() { return seesAllOrgs() ? "Organization" : null; }

function idpTable(items, id) {
  return el("table", { id },
    headRow(["Id", orgHead(), "Name", "Protocol", "Mode", "Preset"]),
    el("tbody", {}, items.map((p) => el("tr", {},
      el("td", {}, el("a", { href: "#/idps/" + encodeURIComponent(p.id) }, p.id)), orgCell(p.org),
      el("td", { text: p.name }), el("td", { text: p.protocol }), el("td", { text: p.mode }),
      el("td", { text: p.preset || "—" })))));
}

async function idpList() {
  const org = currentOrg();
  const data = await api("GET", "/idps?" + orgParam(new URLSearchParams(), org).toString());
  view(org ? "Identity providers of " + orgName(org) : "Identity providers",
    canWrite() ? el("p", {}, el("a", { href: "#/idps/new", id: "add-idp" }, "Add an identity provider")) : "",
    data.items.length ? idpTable(data.items, "idps") : el("p", { text: "No identity provider yet." }));
}

function presetOf(id) { return presets.find((p) => p.id === id); }

function r1Box(presetID, scimMatch) {
  const p = presetOf(presetID || "generic");
  const box = el("div", { class: "box", id: "r1" }, el("h2", { text: "Which attribute must feed uniqueUserId (R1)" }));
  if (!p) {
    box.append(el("p", { text: "Send the same immutable user id of the IdP as the SSO attribute uniqueUserId and as SCIM " + (scimMatch || "externalId") + "." }));
    return box;
  }
  box.append(
    el("p", {}, el("strong", { text: "SSO (SAML attribute or OIDC claim " + (p.mapping.uniqueUserId || "uniqueUserId") + "): " }), p.unique_user_id_source),
    el("p", {}, el("strong", { text: "SCIM (" + (scimMatch || "externalId") + "): " }), p.scim_match_advice));
  return box;
}

function radio(name, value, checked, label, hint) {
  const id = name + "-" + value;
  return el("label", { class: "choice", for: id },
    el("input", { type: "radio", name, value, id, checked: checked ? true : null }),
    el("span", {}, el("strong", { text: label }), hint ? " — " + hint : ""));
}

function field(label, name, value, opts) {
  opts = opts || {};
  const id = "f-" + name.replace(/\./g, "-");
  const input = opts.textarea
    ? el("textarea", { id, name, spellcheck: "false" })
    : el("input", { id, name, type: opts.type || "text", autocomplete: "off", spellcheck: "false", required: opts.required || null, readonly: opts.readonly || null });
  input.value = value || "";
  const parts = [el("label", { for: id, text: label }), input];
  if (opts.hint) { const hid = id + "-hint"; input.setAttribute("aria-describedby", hid); parts.push(el("p", { class: "hint", id: hid, text: opts.hint })); }
  return el("div", {}, parts);
}

function idpForm(existing) {
  const p = existing || { protocol: "saml", mode: "jit", scim_match: "externalId", link_policy: "none",
    saml: {}, oidc: {}, mapping: {}, login_authoritative: [], default_groups: [], preset: "" };
  const form = el("form", { id: "idp-form", novalidate: true, method: "post" });
  const errors = el("div", { id: "idp-errors" });
  // A new IdP goes into the organization chosen above the page; a credential of every
  // organization that has not chosen one picks it here.
  const chosen = new URLSearchParams(location.hash.split("?")[1] || "").get("org") || currentOrg();
  const orgChoice = !existing && seesAllOrgs() ? el("div", {}, el("label", { for: "f-org", text: "Organization" }),
    el("select", { id: "f-org", name: "org" }, orgs.map((o) => el("option", { value: o.id, text: o.name + " (" + o.id + ")", selected: o.id === chosen ? true : null })))) : "";
  const presetSel = el("select", { id: "f-preset", name: "preset" },
    el("option", { value: "", text: "— none —" }),
    presets.map((x) => el("option", { value: x.id, text: x.name, selected: x.id === p.preset ? true : null })));
  const r1 = el("div", {}, r1Box(p.preset, p.scim_match));
  const preview = el("div", { id: "paste-preview" });
  function showPreview() {
    const id = form.elements.id ? form.elements.id.value.trim() : p.id;
    if (!id || !baseURL) { preview.replaceChildren(); return; }
    const sso = baseURL + "/sso/" + encodeURIComponent(id);
    const saml = !form.elements.protocol || form.elements.protocol.value === "saml";
    const jit = form.elements.mode && form.elements.mode.value === "jit";
    preview.replaceChildren(el("h2", { text: "Values to paste into the IdP" }),
      el("div", { class: "paste" },
        saml ? [copyRow("SP entity id", sso + "/saml/metadata", "p-sp-entity-id"),
          copyRow("ACS URL", sso + "/saml/acs", "p-acs-url"),
          copyRow("SP metadata URL", sso + "/saml/metadata", "p-sp-metadata-url")] : copyRow("OIDC redirect URI", sso + "/oidc/callback", "p-redirect-uri"),
        copyRow("Sign-in URL (login_url)", sso + "/login", "p-login-url"),
        jit ? "" : copyRow("SCIM base URL", baseURL + "/scim/v2", "p-scim-base-url")));
  }

  const mappingFields = ["uniqueUserId", "firstName", "lastName", "email", "groups"].map((k) =>
    field("Mapping: " + k, "mapping." + k, p.mapping[k], { hint: k === "uniqueUserId" ? "IdP-side attribute or claim name that carries the immutable user id (R1)." : null }));

  presetSel.addEventListener("change", () => {
    const x = presetOf(presetSel.value);
    if (x) {
      for (const k of Object.keys(x.mapping)) {
        const input = form.elements["mapping." + k];
        if (input) input.value = x.mapping[k] || "";
      }
      if (!form.elements.name.value) form.elements.name.value = x.name;
      if (!form.elements.id.value) form.elements.id.value = x.id;
    }
    showPreview();
    r1.replaceChildren(r1Box(presetSel.value, form.elements.scim_match.value));
  });

  const protocolSet = el("fieldset", {}, el("legend", { text: "Protocol" }),
    radio("protocol", "saml", p.protocol === "saml", "SAML 2.0"),
    radio("protocol", "oidc", p.protocol === "oidc", "OpenID Connect"));
  const modeSet = el("fieldset", {}, el("legend", { text: "Provisioning mode" }),
    ["scim", "jit", "both"].map((m) => radio("mode", m, p.mode === m, m.toUpperCase() === "BOTH" ? "SCIM and JIT" : m.toUpperCase(), modeText[m])));
  const samlSet = el("fieldset", { id: "saml-settings" }, el("legend", { text: "SAML" }),
    field("IdP metadata XML", "saml.metadata_xml", p.saml.metadata_xml, { textarea: true, hint: "Paste the IdP's federation metadata, or give its URL below (one of the two)." }),
    field("IdP metadata URL", "saml.metadata_url", p.saml.metadata_url, { type: "url" }),
    el("label", { class: "choice", for: "f-allow-idp" }, el("input", { type: "checkbox", id: "f-allow-idp", name: "saml.allow_idp_initiated", checked: p.saml.allow_idp_initiated ? true : null, "aria-describedby": "f-allow-idp-hint" }), "Allow IdP-initiated sign-in"),
    el("p", { class: "hint", id: "f-allow-idp-hint", text: "Off by default. A sign-in started at the IdP's portal is bound to no browser, so anyone holding a valid response for an account of this IdP can sign another person's browser in to that account (login CSRF), and a stolen response can be used until it expires or is first used. Sign-ins started here are bound to the browser that started them." }),
    el("label", { class: "choice", for: "f-allow-sha1" }, el("input", { type: "checkbox", id: "f-allow-sha1", name: "saml.allow_sha1", checked: p.saml.allow_sha1 ? true : null, "aria-describedby": "f-allow-sha1-hint" }), "Accept SHA-1 signatures"),
    el("p", { class: "hint", id: "f-allow-sha1-hint", text: "Off by default. Only for an old IdP that cannot sign with RSA-SHA256: SHA-1 collisions can be computed, and the IdP's page shows this as a warning while it is on." }));
  const oidcSet = el("fieldset", { id: "oidc-settings" }, el("legend", { text: "OpenID Connect" }),
    field("Issuer", "oidc.issuer", p.oidc.issuer, { type: "url" }),
    field("Client id", "oidc.client_id", p.oidc.client_id),
    field("Client secret", "oidc.client_secret", p.oidc.client_secret, { type: "password", hint: existing ? "Leave as is to keep the stored secret." : null }),
    field("Scopes (space separated)", "oidc.scopes", (p.oidc.scopes || []).join(" ")));
  const scimMatch = el("select", { id: "f-scim-match", name: "scim_match" },
    el("option", { value: "externalId", text: "externalId (recommended)", selected: p.scim_match === "externalId" ? true : null }),
    el("option", { value: "userName", text: "userName", selected: p.scim_match === "userName" ? true : null }));
  scimMatch.addEventListener("change", () => r1.replaceChildren(r1Box(presetSel.value, scimMatch.value)));
  const link = el("select", { id: "f-link", name: "link_policy" },
    el("option", { value: "none", text: "none (recommended)", selected: p.link_policy === "none" ? true : null }),
    el("option", { value: "verified-email", text: "verified-email", selected: p.link_policy === "verified-email" ? true : null }));
  const authSet = el("fieldset", {}, el("legend", { text: "Login-authoritative attributes (mode both, R4)" }),
    ["firstName", "lastName", "email", "groups"].map((a) => el("label", { class: "choice", for: "la-" + a },
      el("input", { type: "checkbox", id: "la-" + a, name: "login_authoritative", value: a, checked: (p.login_authoritative || []).includes(a) ? true : null }), a)));

  function showProtocol() {
    const proto = form.elements.protocol.value;
    samlSet.hidden = proto !== "saml";
    oidcSet.hidden = proto !== "oidc";
  }
  protocolSet.addEventListener("change", showProtocol);
  protocolSet.addEventListener("change", showPreview);
  modeSet.addEventListener("change", showPreview);

  form.append(
    orgChoice,
    el("div", {}, el("label", { for: "f-preset", text: "Preset" }), presetSel,
      el("p", { class: "hint", text: "A preset pre-fills the attribute mapping for a vendor and says what must feed uniqueUserId." })),
    r1,
    preview,
    field("Id (slug)", "id", p.id, { required: true, readonly: existing ? true : null, hint: "Lower-case letters, digits and dashes; it appears in the SSO URLs and cannot change." }),
    field("Display name", "name", p.name),
    protocolSet, modeSet, samlSet, oidcSet,
    el("fieldset", {}, el("legend", { text: "Attribute mapping" }), mappingFields),
    el("div", {}, el("label", { for: "f-scim-match", text: "SCIM matching attribute" }), scimMatch),
    el("div", {}, el("label", { for: "f-link", text: "Link policy (R9)" }), link),
    authSet,
    field("Default groups (comma separated)", "default_groups", (p.default_groups || []).join(", ")),
    errors,
    el("button", { type: "submit", id: "idp-save" }, existing ? "Save changes" : "Add identity provider"),
    el("a", { href: existing ? "#/idps/" + encodeURIComponent(p.id) : "#/idps" }, "Cancel"));
  showProtocol();
  form.elements.id.addEventListener("input", showPreview);
  showPreview();

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = form.elements;
    const body = {
      name: f.name.value.trim(), protocol: f.protocol.value, mode: f.mode.value, preset: f.preset.value,
      saml: { metadata_xml: f["saml.metadata_xml"].value, metadata_url: f["saml.metadata_url"].value.trim(), allow_idp_initiated: f["saml.allow_idp_initiated"].checked, allow_sha1: f["saml.allow_sha1"].checked },
      oidc: { issuer: f["oidc.issuer"].value.trim(), client_id: f["oidc.client_id"].value.trim(), client_secret: f["oidc.client_secret"].value,
        scopes: f["oidc.scopes"].value.split(/\s+/).filter(Boolean) },
      mapping: {}, scim_match: f.scim_match.value, link_policy: f.link_policy.value,
      login_authoritative: [...form.querySelectorAll("input[name=login_authoritative]:checked")].map((c) => c.value),
      default_groups: f.default_groups.value.split(",").map((s) => s.trim()).filter(Boolean),
    };
    for (const k of ["uniqueUserId", "firstName", "lastName", "email", "groups"]) body.mapping[k] = f["mapping." + k].value.trim();
    try {
      let saved;
      if (existing) saved = await api("PATCH", "/idps/" + encodeURIComponent(p.id), body);
      else {
        body.id = f.id.value.trim();
        const org = f.org ? f.org.value : me.org;
        if (org) body.org = org;
        saved = await api("POST", "/idps", body);
      }
      status(existing ? "Saved" : "Identity provider added");
      location.hash = "#/idps/" + encodeURIComponent(saved.id);
    } catch (e) {
      if (e.status === 401) return;
      errors.replaceChildren(errorBox(e));
      errors.scrollIntoView();
    }
  });
  view(existing ? "Edit " + p.id : "Add an identity provider", form);
}

async function idpPage(id) {
  const p = await api("GET", "/idps/" + encodeURIComponent(id));
  const tokens = (await api("GET", "/idps/" + encodeURIComponent(id) + "/scim-tokens")).items;
  // Only the values of the IdP's protocol, and the SCIM URL only where SCIM provisions.
  const saml = p.protocol === "saml";
  const paste = el("div", { class: "paste", id: "paste" },
    saml ? [copyRow("SP entity id", p.sp_entity_id, "v-sp-entity-id"),
      copyRow("ACS URL", p.acs_url, "v-acs-url"),
      copyRow("SP metadata URL", p.sp_metadata_url, "v-sp-metadata-url")] : copyRow("OIDC redirect URI", p.redirect_uri, "v-redirect-uri"),
    copyRow("Sign-in URL (login_url)", p.login_url, "v-login-url"),
    p.mode === "jit" ? "" : copyRow("SCIM base URL", p.scim_base_url, "v-scim-base-url"));

  const modeForm = el("form", { id: "mode-form", method: "post" },
    el("fieldset", {}, el("legend", { text: "Provisioning mode" }),
      ["scim", "jit", "both"].map((m) => radio("mode", m, p.mode === m, m === "both" ? "SCIM and JIT" : m.toUpperCase(), modeText[m]))),
    el("p", { class: "hint", text: "Switching mode never deletes users (R11): JIT users stay until SCIM adopts them; SCIM users stay and sign-ins may update them." }),
    el("button", { type: "submit", id: "mode-save" }, "Change mode"));
  const modeErr = el("div");
  modeForm.append(modeErr);
  modePreview(id, p.mode, modeForm);
  modeForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("PATCH", "/idps/" + encodeURIComponent(id), { mode: modeForm.elements.mode.value });
      status("Mode changed to " + modeForm.elements.mode.value);
      route();
    } catch (e) { if (e.status !== 401) modeErr.replaceChildren(errorBox(e)); }
  });

  const tokenRows = tokens.map((t) => el("tr", {},
    el("td", { class: "mono", text: t.id }), el("td", { text: t.name || "—" }), el("td", { text: t.status }),
    el("td", { text: fmtTime(t.created) }), el("td", { text: t.expires_at ? fmtTime(t.expires_at) : "never" }),
    el("td", { text: fmtTime(t.last_used_at) }),
    !canWrite() ? null : el("td", {}, t.status === "revoked" ? "" : el("button", { type: "button", class: "danger", "aria-label": "Revoke token " + t.id,
      onclick: async () => {
        if (!confirm("Revoke token " + t.id + "? The IdP's SCIM connector stops working until it gets a new token.")) return;
        try { await api("DELETE", "/scim-tokens/" + encodeURIComponent(t.id)); status("Token revoked"); route(); } catch (e) { if (e.status !== 401) status(e.message); }
      } }, "Revoke"))));
  const tokenOut = el("div", { id: "token-out" });
  const tokenForm = el("form", { id: "token-form", class: "row", method: "post" },
    el("div", {}, el("label", { for: "t-name", text: "Token name" }), el("input", { id: "t-name", type: "text", autocomplete: "off" })),
    el("div", {}, el("label", { for: "t-exp", text: "Expires in (e.g. 90d, 720h; empty = never)" }), el("input", { id: "t-exp", type: "text", autocomplete: "off" })),
    el("button", { type: "submit", id: "token-create" }, "Create SCIM token"));
  tokenForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { name: document.getElementById("t-name").value.trim() };
    const exp = document.getElementById("t-exp").value.trim();
    if (exp) body.expires_in = exp;
    try {
      const t = await api("POST", "/idps/" + encodeURIComponent(id) + "/scim-tokens", body);
      const btn = el("button", { type: "button", id: "token-copy", onclick: () => copyText(t.token, btn) }, "Copy token");
      tokenOut.replaceChildren(el("div", { class: "box secret", role: "alert" },
        el("p", {}, el("strong", { text: "This token is shown once. " }), "Paste it into the IdP's SCIM connector with the SCIM base URL above."),
        el("p", {}, el("code", { class: "value", id: "token-secret", text: t.token })), btn,
        el("button", { type: "button", class: "secondary", onclick: () => route() }, "Done")));
    } catch (e) { if (e.status !== 401) tokenOut.replaceChildren(errorBox(e)); }
  });

  const delForm = el("form", { id: "delete-form", method: "post" },
    el("label", { class: "choice", for: "del-force" }, el("input", { type: "checkbox", id: "del-force" }), "Also delete this IdP's users and groups"),
    el("button", { type: "submit", class: "danger" }, "Delete identity provider"));
  const delErr = el("div");
  delForm.append(delErr);
  delForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!confirm("Delete identity provider " + id + "?")) return;
    const force = document.getElementById("del-force").checked;
    try { await api("DELETE", "/idps/" + encodeURIComponent(id) + (force ? "?force=true" : "")); status("Deleted"); location.hash = "#/idps"; }
    catch (e) { if (e.status !== 401) delErr.replaceChildren(errorBox(e)); }
  });

  const write = canWrite();
  view(p.name + " (" + p.id + ")",
    el("dl", { class: "facts" },
      el("dt", { text: "Organization" }), el("dd", { id: "idp-org" }, el("a", { href: "#/orgs/" + encodeURIComponent(p.org || "") }, orgName(p.org))),
      el("dt", { text: "Protocol" }), el("dd", { text: p.protocol }),
      el("dt", { text: "Mode" }), el("dd", { id: "idp-mode", text: p.mode }),
      el("dt", { text: "Preset" }), el("dd", { text: p.preset ? ((presetOf(p.preset) || {}).name || p.preset) : "—" }),
      el("dt", { text: "SCIM matching" }), el("dd", { text: p.scim_match }),
      el("dt", { text: "Link policy" }), el("dd", { text: p.link_policy })),
    (p.warnings || []).length ? el("div", { class: "box error", id: "idp-warnings", role: "note" },
      el("strong", { text: "Warning" }), el("ul", {}, p.warnings.map((w) => el("li", { text: w })))) : "",
    el("p", {}, write ? [el("a", { href: "#/idps/" + encodeURIComponent(id) + "/edit", id: "idp-edit" }, "Edit settings"), " · "] : "",
      el("a", { href: "#/idps/" + encodeURIComponent(id) + "/reconciliation", id: "recon-link" }, "Reconciliation"), " · ",
      el("a", { href: "#/users?idp=" + encodeURIComponent(id) }, "Users")),
    el("h2", { text: "Values to paste into the IdP" }), paste,
    r1Box(p.preset, p.scim_match),
    el("h2", { text: "Mode" }), write ? modeForm : el("p", { text: modeText[p.mode] }),
    el("h2", { text: "SCIM tokens" }),
    tokens.length ? el("table", { id: "tokens" }, headRow(["Id", "Name", "Status", "Created", "Expires", "Last used", write ? "" : null]),
      el("tbody", {}, tokenRows)) : el("p", { text: "No SCIM token yet." }),
    write ? [tokenForm, tokenOut, el("h2", { text: "Delete" }), delForm] : "");
  if (typeof idpHealth === "function") await idpHealth(p);
}

function userTable(users, id) {
  return el("table", { id }, headRow(["User name", "Display name", orgHead(), "IdP", "uniqueUserId", "Owner", "Active", "Last sign-in"]),
    el("tbody", {}, users.map((u) => el("tr", {},
      el("td", {}, el("a", { href: "#/users/" + encodeURIComponent(u.id) }, u.userName)),
      el("td", { text: u.displayName }), orgCell(u.org), el("td", { text: u.idp || "—" }), el("td", { class: "mono", text: u.uniqueUserId || "—" }),
      el("td", { text: u.owner }), el("td", {}, el("span", { class: "badge " + (u.active ? "on" : "off"), text: u.active ? "active" : "inactive" })),
      el("td", { text: fmtTime(u.lastLoginAt) })))));
}

async function reconciliation(id) {
  const r = await api("GET", "/idps/" + encodeURIComponent(id) + "/reconciliation");
  const tomb = r.tombstones.map((t) => el("tr", {},
    el("td", { class: "mono", text: t.uniqueUserId }), el("td", { text: t.userName }), el("td", { text: fmtTime(t.deletedAt) }), el("td", { text: t.actor }),
    !canWrite() ? null : el("td", {}, el("button", { type: "button", class: "secondary", onclick: async () => {
      if (!confirm("Let " + t.uniqueUserId + " sign in again?")) return;
      try { await api("DELETE", "/tombstones/" + encodeURIComponent(id) + "/" + encodeURIComponent(t.uniqueUserId)); status("Tombstone cleared"); route(); } catch (e) { if (e.status !== 401) status(e.message); }
    } }, "Clear"))));
  view("Reconciliation: " + id,
    el("p", {}, "Mode ", el("strong", { text: r.mode }), ". ", el("a", { href: "#/idps/" + encodeURIComponent(id) }, "Back to the IdP")),
    r.notes.map((n) => el("p", { class: "box warn", text: n })),
    el("h2", { text: "JIT users not yet adopted by SCIM (" + r.jit_not_adopted_count + ")" }),
    r.jit_not_adopted.length ? userTable(r.jit_not_adopted, "jit-not-adopted") : el("p", { text: "None." }),
    el("h2", { text: "SCIM users who never signed in (" + r.scim_never_signed_in_count + ")" }),
    r.scim_never_signed_in.length ? userTable(r.scim_never_signed_in, "scim-never") : el("p", { text: "None." }),
    el("h2", { text: "Tombstoned keys (R6)" }),
    r.tombstones.length ? el("table", { id: "tombstones" }, headRow(["uniqueUserId", "User name", "Deleted", "By", canWrite() ? "" : null]), el("tbody", {}, tomb)) : el("p", { text: "None." }),
    el("h2", { text: "Recent refusals by rule" }),
    r.refusals.length ? el("table", {}, el("thead", {}, el("tr", {}, ["Rule", "Count", "Last"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, r.refusals.map((x) => el("tr", {}, el("td", { text: x.rule }), el("td", { text: x.count }), el("td", { text: fmtTime(x.last) }))))) : el("p", { text: "No refusal among the last " + r.events_examined + " events." }),
    r.recent_refusals.length ? eventTable(r.recent_refusals, "recent-refusals") : "");
}

// --- events -------------------------------------------------------------------------------------

function eventHead() { return headRow(["Seq", "Reference", "Time", "Type", "Rule", "Actor", "Subject", orgHead(), "IdP", "Reason", "Changes"]); }

// subjectLinks are the pages of an event's subject, by its subject_type.
const subjectLinks = { user: "#/users/", group: "#/groups/", idp: "#/idps/", org: "#/orgs/" };

function eventTable(events, id) {
  return el("table", { id }, eventHead(), el("tbody", {}, events.map(eventRow)));
}

function eventRow(e) {
  const link = subjectLinks[e.subject_type];
  return el("tr", { "data-event": e.id }, el("td", { text: e.seq }), el("td", { class: "mono", text: e.id }), el("td", { text: fmtTime(e.time) }), el("td", { text: e.type }),
    el("td", { text: e.rule || "" }), el("td", { title: e.actor }, e.actor_name || e.actor),
    el("td", { class: "mono" }, link && e.subject ? el("a", { href: link + encodeURIComponent(e.subject) }, e.subject) : e.subject || ""),
    orgCell(e.org), el("td", { text: e.idp || "" }), el("td", { text: e.reason || "" }), el("td", { text: (e.changes || []).join(", ") }));
}

// --- live events --------------------------------------------------------------------------------

function liveEvents() {
  const body = el("tbody");
  const state = el("p", { class: "hint", id: "events-state", text: "Following new events…" });
  const pause = el("button", { type: "button", class: "secondary", id: "events-pause" }, "Pause");
  const org = currentOrg();
  view(org ? "Events of " + orgName(org) : "Events", el("p", {}, "The 200 most recent events, newest first; new events appear as they happen."), pause, state,
    el("table", { id: "events" }, eventHead(), body));
  const ctl = new AbortController();
  eventsLoop = ctl;
  let paused = false;
  pause.addEventListener("click", () => { paused = !paused; pause.textContent = paused ? "Resume" : "Pause"; state.textContent = paused ? "Paused." : "Following new events…"; });
  (async () => {
    let after = null; // the first request asks for the most recent events only
    let wait = 0;
    while (!ctl.signal.aborted) {
      if (paused) { await new Promise((r) => setTimeout(r, 500)); continue; }
      try {
        const qs = orgParam(new URLSearchParams(after === null ? { last: "200" } : { after: String(after) }), org);
        qs.set("limit", "500");
        qs.set("wait", String(wait));
        const page = await api("GET", "/events?" + qs.toString(), undefined, ctl.signal);
        for (const e of page.items) body.prepend(eventRow(e));
        after = page.next_after;
        if (!page.items.length || page.items.length < 500) wait = 25;
      } catch (e) {
        if (ctl.signal.aborted || e.status === 401) return;
        state.textContent = "Lost the connection (" + e.message + "); retrying…";
        await new Promise((r) => setTimeout(r, 3000));
      }
    }
  })();
}

// --- organizations ------------------------------------------------------------------------------

function verifiedCount(o) { return (o.domains || []).filter((d) => d.verified).length; }

async function orgList() {
  const data = await api("GET", "/orgs");
  orgs = data.items;
  const rows = data.items.map((o) => el("tr", {},
    el("td", {}, el("a", { href: "#/orgs/" + encodeURIComponent(o.id) }, o.id)), el("td", { text: o.name }),
    el("td", { text: o.email_domains }), el("td", { text: (o.domains || []).length + " (" + verifiedCount(o) + " verified)" })));
  let add = "";
  if (isOwner()) {
    const errors = el("div", { id: "org-errors" });
    const form = el("form", { id: "org-form", class: "row", method: "post", novalidate: true },
      el("div", {}, el("label", { for: "o-id", text: "Id (slug)" }), el("input", { id: "o-id", type: "text", autocomplete: "off", spellcheck: "false", required: true })),
      el("div", {}, el("label", { for: "o-name", text: "Name" }), el("input", { id: "o-name", type: "text", autocomplete: "off" })),
      el("div", {}, el("label", { for: "o-email-domains", text: "Email domains (R13)" }), emailDomainsSelect("o-email-domains", "any")),
      el("button", { type: "submit", id: "org-create" }, "Add organization"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const o = await api("POST", "/orgs", { id: document.getElementById("o-id").value.trim(), name: document.getElementById("o-name").value.trim(),
          email_domains: document.getElementById("o-email-domains").value });
        status("Organization added");
        await loadOrgs();
        buildNav();
        location.hash = "#/orgs/" + encodeURIComponent(o.id);
      } catch (e) { if (e.status !== 401) errors.replaceChildren(errorBox(e)); }
    });
    add = [el("h2", { text: "Add an organization" }), form, errors];
  }
  view("Organizations",
    el("table", { id: "orgs" }, headRow(["Id", "Name", "Email domains", "Domains"]), el("tbody", {}, rows)),
    add);
}

function emailDomainsSelect(id, value) {
  return el("select", { id },
    el("option", { value: "any", text: "any — accept every email domain", selected: value === "any" ? true : null }),
    el("option", { value: "verified", text: "verified — refuse emails outside the verified domains", selected: value === "verified" ? true : null }));
}

async function orgPage(id) {
  const enc = encodeURIComponent(id);
  const o = await api("GET", "/orgs/" + enc);
  const scoped = "?" + orgParam(new URLSearchParams(), id).toString();
  const [idps, users, events] = await Promise.all([
    api("GET", "/idps" + scoped),
    api("GET", "/users" + scoped + "&limit=20"),
    api("GET", "/events" + scoped + "&last=50&limit=50"),
  ]);
  const write = canWrite();

  const domainErr = el("div", { id: "domain-error" });
  async function domainAction(method, path, done) {
    try { await api(method, path); status(done); route(); } catch (e) { if (e.status !== 401) domainErr.replaceChildren(errorBox(e)); }
  }
  const domainRows = (o.domains || []).map((d) => {
    const dpath = "/orgs/" + enc + "/domains/" + encodeURIComponent(d.domain);
    return el("tr", { "data-domain": d.domain },
      el("td", { text: d.domain }),
      el("td", {}, el("span", { class: "badge " + (d.verified ? "on" : "off"), text: d.verified ? "verified" : "not verified" }),
        d.verified ? el("div", { class: "hint", text: fmtTime(d.verified_at) }) : ""),
      el("td", {}, el("div", { class: "paste" }, copyRow("TXT name", d.txt_name), copyRow("TXT value", d.txt_value))),
      write ? el("td", {},
        d.verified ? "" : el("button", { type: "button", class: "verify", "aria-label": "Verify " + d.domain,
          onclick: () => domainAction("POST", dpath + "/verify", d.domain + " verified") }, "Verify"),
        el("button", { type: "button", class: "danger", "aria-label": "Remove " + d.domain, onclick: () => {
          if (confirm("Remove " + d.domain + " from " + o.name + "?")) domainAction("DELETE", dpath, d.domain + " removed");
        } }, "Remove")) : null);
  });
  const domainForm = el("form", { id: "domain-form", class: "row", method: "post", novalidate: true },
    el("div", {}, el("label", { for: "d-name", text: "Domain (such as example.com)" }), el("input", { id: "d-name", type: "text", autocomplete: "off", spellcheck: "false", required: true })),
    el("button", { type: "submit", id: "domain-add" }, "Add domain"));
  domainForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const d = await api("POST", "/orgs/" + enc + "/domains", { domain: document.getElementById("d-name").value.trim() });
      status("Publish the TXT record for " + d.domain + ", then verify it");
      route();
    } catch (e) { if (e.status !== 401) domainErr.replaceChildren(errorBox(e)); }
  });

  let settings = "";
  if (isOwner()) {
    const errors = el("div");
    const form = el("form", { id: "org-settings", method: "post" },
      field("Name", "org-name", o.name),
      el("div", {}, el("label", { for: "org-email-domains", text: "Email domains (R13)" }), emailDomainsSelect("org-email-domains", o.email_domains)),
      el("button", { type: "submit", id: "org-save" }, "Save"), errors);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await api("PATCH", "/orgs/" + enc, { name: document.getElementById("f-org-name").value.trim(), email_domains: document.getElementById("org-email-domains").value });
        status("Saved");
        await loadOrgs();
        buildNav();
        route();
      } catch (e) { if (e.status !== 401) errors.replaceChildren(errorBox(e)); }
    });
    const delErr = el("div");
    const del = el("button", { type: "button", class: "danger", id: "org-delete", onclick: async () => {
      if (!confirm("Delete organization " + o.name + "?")) return;
      try {
        await api("DELETE", "/orgs/" + enc);
        status("Deleted");
        if (currentOrg() === id) sessionStorage.removeItem(ORG_KEY);
        await loadOrgs();
        buildNav();
        location.hash = "#/orgs";
      } catch (e) { if (e.status !== 401) delErr.replaceChildren(errorBox(e)); }
    } }, "Delete organization");
    settings = [el("h2", { text: "Settings" }), form,
      el("h2", { text: "Delete" }), el("p", { class: "hint", text: "Only an organization without identity providers and users can be deleted." }), del, delErr];
  }

  view(o.name + " (" + o.id + ")",
    el("dl", { class: "facts", id: "org-facts" },
      el("dt", { text: "Id" }), el("dd", { class: "mono", text: o.id }),
      el("dt", { text: "Email domains" }), el("dd", { id: "org-email-policy", text: o.email_domains === "verified"
        ? "verified: a SCIM write or a sign-in with an email outside the verified domains is refused (R13)" : "any" })),
    el("h2", { text: "Domains" }),
    el("p", { class: "hint", text: "Publish each domain's TXT record in its DNS zone, then verify it. A domain verified by one organization cannot be claimed by another." }),
    (o.domains || []).length ? el("table", { id: "domains" }, headRow(["Domain", "Status", "TXT record to publish", write ? "" : null]), el("tbody", {}, domainRows))
      : el("p", { text: "No domain yet." }),
    write ? domainForm : "", domainErr,
    el("h2", { text: "Identity providers" }),
    write ? el("p", {}, el("a", { href: "#/idps/new?org=" + enc, id: "org-add-idp" }, "Add an identity provider")) : "",
    idps.items.length ? idpTable(idps.items, "org-idps") : el("p", { text: "No identity provider yet." }),
    el("h2", {}, "Users ", el("a", { href: "#/users?org=" + enc, class: "hint" }, "(all, with search)")),
    users.items.length ? userTable(users.items, "org-users") : el("p", { text: "No user yet." }),
    el("h2", { text: "Recent events" }),
    events.items.length ? eventTable(events.items.slice().reverse(), "org-events") : el("p", { text: "No events." }),
    settings);
  if (typeof orgSetupLinks === "function" && write) await orgSetupLinks(o);
}

// --- admin credentials (owner only) -------------------------------------------------------------

async function adminTokens() {
  const data = await api("GET", "/admin-tokens");
  const out = el("div", { id: "admin-token-out" });
  const errors = el("div", { id: "admin-token-errors" });
  const orgSel = el("select", { id: "a-org" }, el("option", { value: "", text: "every organization" }),
    orgs.map((o) => el("option", { value: o.id, text: o.name + " (" + o.id + ")", selected: o.id === currentOrg() ? true : null })));
  const roleSel = el("select", { id: "a-role" },
    el("option", { value: "org-admin", text: "org-admin (one organization)" }),
    el("option", { value: "viewer", text: "viewer (reads only)" }),
    el("option", { value: "owner", text: "owner (everything)" }));
  // An owner acts in every organization; the choice of one is then not offered.
  roleSel.addEventListener("change", () => {
    orgSel.disabled = roleSel.value === "owner";
    if (orgSel.disabled) orgSel.value = "";
  });
  const form = el("form", { id: "admin-token-form", method: "post", novalidate: true },
    el("div", { class: "row" },
      el("div", {}, el("label", { for: "a-name", text: "Name (who holds it)" }), el("input", { id: "a-name", type: "text", autocomplete: "off", required: true })),
      el("div", {}, el("label", { for: "a-role", text: "Role" }), roleSel),
      el("div", {}, el("label", { for: "a-org", text: "Organization" }), orgSel),
      el("div", {}, el("label", { for: "a-exp", text: "Expires in (e.g. 90d; empty = never)" }), el("input", { id: "a-exp", type: "text", autocomplete: "off" }))),
    el("button", { type: "submit", id: "admin-token-create" }, "Create admin credential"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { name: document.getElementById("a-name").value.trim(), role: roleSel.value, org: orgSel.value };
    const exp = document.getElementById("a-exp").value.trim();
    if (exp) body.expires_in = exp;
    try {
      const t = await api("POST", "/admin-tokens", body);
      errors.replaceChildren();
      const btn = el("button", { type: "button", id: "admin-token-copy", onclick: () => copyText(t.token, btn) }, "Copy token");
      out.replaceChildren(el("div", { class: "box secret", role: "alert" },
        el("p", {}, el("strong", { text: "This token is shown once. " }), t.name + " is " + t.role + " of " + (t.org ? orgName(t.org) : "every organization") + "; hand the token over safely."),
        el("p", {}, el("code", { class: "value", id: "admin-token-secret", text: t.token })), btn,
        el("button", { type: "button", class: "secondary", onclick: () => { out.replaceChildren(); route(); } }, "Done")));
    } catch (e) { if (e.status !== 401) errors.replaceChildren(errorBox(e)); }
  });
  const rows = data.items.map((t) => el("tr", {},
    el("td", { class: "mono", text: t.id }), el("td", { text: t.name || "—" }), el("td", { text: t.role }),
    el("td", { text: t.org ? orgName(t.org) : "every organization" }), el("td", { text: t.status }),
    el("td", { text: fmtTime(t.created) }), el("td", { text: t.expires_at ? fmtTime(t.expires_at) : "never" }), el("td", { text: fmtTime(t.last_used_at) }),
    el("td", {}, t.status === "revoked" ? "" : el("button", { type: "button", class: "danger", "aria-label": "Revoke admin token " + t.id,
      onclick: async () => {
        const self = t.id === me.id ? " This is the credential you are signed in with." : "";
        if (!confirm("Revoke admin token " + t.id + " (" + (t.name || "no name") + ")?" + self)) return;
        try { await api("DELETE", "/admin-tokens/" + encodeURIComponent(t.id)); status("Admin token revoked"); route(); } catch (e) { if (e.status !== 401) status(e.message); }
      } }, "Revoke"))));
  view("Admin credentials",
    el("p", { class: "hint", text: "Each credential has a role: an owner does everything, organizations and admin credentials included; an org-admin manages one organization's IdPs, SCIM tokens, users, domains and events; a viewer reads, in one organization or in all." }),
    form, errors, out,
    el("h2", { text: "Credentials" }),
    el("table", { id: "admin-tokens" }, headRow(["Id", "Name", "Role", "Organization", "Status", "Created", "Expires", "Last used", ""]), el("tbody", {}, rows)));
}

// --- boot ---------------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("signin-form").addEventListener("submit", signIn);
  document.getElementById("signout").addEventListener("click", () => {
    if (!sessionStorage.getItem(TOKEN_KEY)) request("POST", "/logout").catch(() => {});
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ORG_KEY);
    me = null;
    if (eventsLoop) eventsLoop.abort();
    showSignIn("Signed out.");
  });
  window.addEventListener("hashchange", route);
  // Without a token, the page asks who it is only where a session's sign-in lands (a set-up
  // link on #/setup, a console sign-in on /admin/ with no fragment): a question without a
  // credential counts as a failed authentication.
  if (sessionStorage.getItem(TOKEN_KEY) || !location.hash || location.hash === "#" || location.hash.startsWith("#/setup")) start();
  else showSignIn();
});
