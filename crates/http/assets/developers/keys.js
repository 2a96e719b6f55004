// API key self-service: sign in (password, then a TOTP code when MFA applies) and
// manage the tenant's keys through the public API, with the session cookie.
"use strict";
const $ = (id) => document.getElementById(id);
const say = (text) => { $("message").textContent = text || ""; };

// Cookie-authenticated changes must echo the readable CSRF cookie.
function csrf() {
  const m = document.cookie.match(/(?:^|; )nexus_csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : "";
}

async function api(method, path, body) {
  const headers = body ? { "Content-Type": "application/json" } : {};
  if (method !== "GET") headers["X-CSRF-Token"] = csrf();
  const resp = await fetch(path, {
    method,
    credentials: "same-origin",
    headers,
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await resp.text();
  const data = text ? JSON.parse(text) : null;
  if (!resp.ok) {
    const fields = data && data.errors ? " " + data.errors.map((e) => `${e.field}: ${e.message}`).join("; ") : "";
    throw new Error(`${(data && (data.detail || data.title)) || resp.status}${fields} (code ${data && data.code})`);
  }
  return data;
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
  return td;
}

async function refresh() {
  const page = await api("GET", "/v1/api-keys?limit=200");
  const rows = $("key-rows");
  rows.replaceChildren();
  for (const k of page.items) {
    const tr = document.createElement("tr");
    cell(tr, k.name);
    cell(tr, k.hint + "…");
    cell(tr, k.scopes.join(", "));
    cell(tr, k.status);
    cell(tr, k.last_used_at ? `${k.last_used_at} from ${k.last_used_ip || "?"}` : "never");
    const actions = cell(tr, "");
    if (k.status === "active") {
      const rotate = document.createElement("button");
      rotate.textContent = "Rotate";
      rotate.className = "secondary";
      rotate.setAttribute("aria-label", `Rotate ${k.name}`);
      rotate.onclick = async () => {
        try { show(await api("POST", `/v1/api-keys/${k.id}/rotate`, {})); await refresh(); } catch (e) { say(e.message); }
      };
      const revoke = document.createElement("button");
      revoke.textContent = "Revoke";
      revoke.setAttribute("aria-label", `Revoke ${k.name}`);
      revoke.onclick = async () => {
        if (!confirm(`Revoke ${k.name}? It stops working at once.`)) return;
        try { await api("DELETE", `/v1/api-keys/${k.id}`); await refresh(); } catch (e) { say(e.message); }
      };
      actions.append(rotate, " ", revoke);
    }
    rows.appendChild(tr);
  }
}

function show(issued) {
  $("secret-value").textContent = issued.key;
  $("secret").hidden = false;
}

async function signedIn() {
  $("signin").hidden = true;
  $("keys").hidden = false;
  say("");
  await refresh();
}

$("login-form").onsubmit = async (ev) => {
  ev.preventDefault();
  try {
    const out = await api("POST", "/v1/auth/login", { email: $("email").value, password: $("password").value });
    if (out.mfa === "enroll_required") {
      say("Your organisation requires a second factor: enrol one in the app first.");
      return;
    }
    if (out.mfa === "pending") {
      $("login-form").hidden = true;
      $("mfa-form").hidden = false;
      $("code").focus();
      return;
    }
    await signedIn();
  } catch (e) { say(e.message); }
};

$("mfa-form").onsubmit = async (ev) => {
  ev.preventDefault();
  try {
    await api("POST", "/v1/auth/mfa/verify", { code: $("code").value });
    await signedIn();
  } catch (e) { say(e.message); }
};

$("create-form").onsubmit = async (ev) => {
  ev.preventDefault();
  const scopes = $("scopes").value.split(",").map((s) => s.trim()).filter(Boolean);
  const body = { name: $("name").value, scopes };
  if ($("expires").value) body.expires_at = `${$("expires").value}T00:00:00Z`;
  try { show(await api("POST", "/v1/api-keys", body)); await refresh(); } catch (e) { say(e.message); }
};

// Already signed in (the session cookie is there)? Go straight to the keys.
api("GET", "/v1/api-keys?limit=1").then(signedIn, () => {});
