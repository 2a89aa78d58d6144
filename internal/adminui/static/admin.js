// authd admin page. Tokens live in this closure only: never in storage, cookies or the URL.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const session = { access: null, refresh: null, user: null };
  let nextUsersCursor = null;

  function text(tag, value, className) {
    const el = document.createElement(tag);
    el.textContent = value;
    if (className) el.className = className;
    return el;
  }

  function describeError(body, fallback) {
    if (!body || !body.message) return fallback;
    const fields = body.details && body.details.validation_errors;
    if (!fields) return body.message;
    return Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join("; ");
  }

  async function request(method, path, body, retried) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (session.access) headers.Authorization = `Bearer ${session.access}`;
    const resp = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store",
    });
    if (resp.status === 401 && session.refresh && !retried && (await refreshTokens())) {
      return request(method, path, body, true);
    }
    const data = resp.status === 204 ? null : await resp.json().catch(() => null);
    if (resp.status === 401 && session.access) signOut("Your session ended; sign in again.");
    return { ok: resp.ok, status: resp.status, data };
  }

  async function refreshTokens() {
    const resp = await fetch("/api/refresh", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: session.refresh }), credentials: "omit", cache: "no-store",
    });
    if (!resp.ok) return false;
    const data = await resp.json();
    session.access = data.access_token;
    session.refresh = data.refresh_token;
    return true;
  }

  function signOut(message) {
    if (session.refresh) {
      fetch("/api/logout", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: session.refresh }), credentials: "omit" }).catch(() => {});
    }
    session.access = session.refresh = session.user = null;
    $("app").hidden = true;
    $("whoami").hidden = true;
    $("signin").hidden = false;
    $("login-password").value = "";
    $("signin-error").textContent = message || "";
  }

  async function signIn(event) {
    event.preventDefault();
    const button = $("login-submit");
    button.disabled = true;
    $("signin-error").textContent = "";
    try {
      const resp = await request("POST", "/api/login", {
        email: $("login-email").value.trim(), password: $("login-password").value,
      });
      if (!resp.ok) {
        $("signin-error").textContent = describeError(resp.data, "Sign-in failed.");
        return;
      }
      session.access = resp.data.access_token;
      session.refresh = resp.data.refresh_token;
      session.user = resp.data.user;
      if (!session.user.is_admin) {
        signOut("This account is not an admin.");
        return;
      }
      $("login-password").value = "";
      $("signin").hidden = true;
      $("app").hidden = false;
      $("whoami").hidden = false;
      $("whoami-email").textContent = session.user.email;
      await Promise.all([loadSettings(), loadHistory(), loadUsers(false), loadKeys(), loadAudit(false)]);
    } finally {
      button.disabled = false;
    }
  }

  const settingInputs = {
    access_token_ttl_seconds: "access-ttl",
    refresh_token_ttl_seconds: "refresh-ttl",
    login_max_failures: "login-max-failures",
    rate_limit_per_ip: "rate-limit-per-ip",
    key_publish_ahead_seconds: "key-publish-ahead",
    key_rotation_days: "key-rotation-days",
    reuse_detection_seconds: "reuse-detection",
    session_retention_seconds: "session-retention",
    session_max_lifetime_seconds: "session-max-lifetime",
    audit_retention_days: "audit-retention",
    verification_token_ttl_seconds: "verification-ttl",
    reset_token_ttl_seconds: "reset-ttl",
    invitation_token_ttl_seconds: "invitation-ttl",
    reauthentication_max_age_seconds: "reauth-max-age",
    email_code_ttl_seconds: "email-code-ttl",
  };
  const settingChecks = {
    require_verified_email: "require-verified",
    email_code_login: "email-code-login",
    email_code_signup: "email-code-signup",
  };

  async function loadKeys() {
    const resp = await request("GET", "/api/admin/keys");
    if (!resp.ok) return;
    const body = document.querySelector("#keys tbody");
    body.replaceChildren();
    for (const k of resp.data.keys) {
      const row = document.createElement("tr");
      row.dataset.state = k.state;
      row.append(text("td", k.kid), text("td", k.alg), text("td", k.state), text("td", new Date(k.created_at).toLocaleString()),
        text("td", k.retire_at ? new Date(k.retire_at).toLocaleString() : "—"));
      body.append(row);
    }
    const shared = resp.data.alg === "HS256";
    $("keys-rotate").disabled = shared;
    $("keys-rotate-now").disabled = shared;
    if (shared) $("keys-status").textContent = "HS256 signs with a shared secret: there are no keys.";
  }

  async function rotateKeys(now) {
    const status = $("keys-status");
    status.className = "status";
    status.textContent = "Rotating…";
    const resp = await request("POST", "/api/admin/keys/rotate", { now });
    if (!resp.ok) {
      status.className = "status bad";
      status.textContent = describeError(resp.data, "Not rotated.");
      return;
    }
    status.className = "status ok";
    status.textContent = now ? "A new key signs from now on." : "A new key is published and signs after the publish-ahead time.";
    await Promise.all([loadKeys(), loadAudit(false)]);
  }

  let auditCursor = null;

  async function loadAudit(more) {
    const query = "/api/admin/audit?limit=50" + (more && auditCursor ? "&before=" + encodeURIComponent(auditCursor) : "");
    const resp = await request("GET", query);
    if (!resp.ok) return;
    const body = document.querySelector("#audit tbody");
    if (!more) body.replaceChildren();
    for (const e of resp.data.events) {
      const row = document.createElement("tr");
      const details = text("td", describeDetails(e));
      details.title = JSON.stringify(e.details);
      row.append(text("td", new Date(e.occurred_at).toLocaleString()), text("td", e.event), account(e.actor_email, e.actor_id),
        account(e.subject_email, e.subject_id), text("td", e.ip), details);
      body.append(row);
    }
    auditCursor = resp.data.next_cursor;
    $("audit-more").hidden = !auditCursor;
    $("audit-empty").hidden = body.children.length > 0;
  }

  // account shows who an event names by email, with the id on hover (the id alone once the account is gone).
  function account(email, id) {
    const cell = text("td", email || id || "—");
    if (id) cell.title = id;
    return cell;
  }

  // describeDetails puts an event's details in words: a settings change as "setting: from → to".
  function describeDetails(e) {
    const d = e.details || {};
    if (e.event === "settings_changed" && d.changes) {
      return Object.entries(d.changes).map(([key, v]) => `${key}: ${v.from} → ${v.to}`).join(", ");
    }
    return Object.entries(d).map(([key, v]) => `${key}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
  }

  function showSettings(settings) {
    for (const [key, id] of Object.entries(settingInputs)) $(id).value = settings[key];
    for (const [key, id] of Object.entries(settingChecks)) $(id).checked = settings[key];
  }

  async function loadSettings() {
    const resp = await request("GET", "/api/admin/settings");
    if (resp.ok) showSettings(resp.data);
  }

  async function loadHistory() {
    const resp = await request("GET", "/api/admin/settings/history?limit=20");
    if (!resp.ok) return;
    const body = document.querySelector("#history tbody");
    body.replaceChildren();
    for (const c of resp.data.changes) {
      const row = document.createElement("tr");
      row.append(text("td", new Date(c.changed_at).toLocaleString()), text("td", c.setting),
        text("td", String(c.old_value)), text("td", String(c.new_value)), text("td", c.changed_by.email));
      body.append(row);
    }
    $("history-empty").hidden = resp.data.changes.length > 0;
  }

  async function saveSettings(event) {
    event.preventDefault();
    const status = $("settings-status");
    const change = {};
    for (const [key, id] of Object.entries(settingInputs)) change[key] = Number($(id).value);
    for (const [key, id] of Object.entries(settingChecks)) change[key] = $(id).checked;
    status.className = "status";
    status.textContent = "Saving…";
    const resp = await request("PATCH", "/api/admin/settings", change);
    if (!resp.ok) {
      status.className = "status bad";
      status.textContent = describeError(resp.data, "Not saved.");
      return;
    }
    status.className = "status ok";
    status.textContent = "Saved. Applies to new tokens and from the next request on.";
    showSettings(resp.data);
    await loadHistory();
  }

  function userRow(u) {
    const row = document.createElement("tr");
    row.dataset.email = u.email;
    row.dataset.id = u.id;
    const status = document.createElement("td");
    status.append(text("span", u.is_active ? "active" : "disabled", `badge ${u.is_active ? "active" : "disabled"}`));
    if (u.is_admin) status.append(text("span", "admin", "badge admin"));
    const actions = document.createElement("td");
    actions.className = "row-actions";
    const toggle = text("button", u.is_active ? "Disable" : "Enable", `small ${u.is_active ? "danger" : "secondary"} toggle-active`);
    toggle.type = "button";
    toggle.addEventListener("click", () => updateUser(u, { is_active: !u.is_active }, row));
    const revoke = text("button", "Revoke sessions", "small secondary revoke");
    revoke.type = "button";
    revoke.addEventListener("click", () => revokeSessions(u, row));
    const reset = text("button", "Send reset link", "small secondary send-reset");
    reset.type = "button";
    reset.addEventListener("click", () => sendReset(u));
    actions.append(toggle, revoke, reset);
    row.append(text("td", u.email), text("td", u.username || "—"), status, text("td", String(u.active_sessions), "sessions"),
      text("td", u.last_login_at ? new Date(u.last_login_at).toLocaleString() : "never"), actions);
    return row;
  }

  function showUserResult(resp, row, done) {
    const status = $("users-status");
    if (!resp.ok) {
      status.className = "status bad";
      status.textContent = describeError(resp.data, "The change failed.");
      return;
    }
    row.replaceWith(userRow(resp.data));
    status.className = "status ok";
    status.textContent = done;
  }

  async function updateUser(u, change, row) {
    const resp = await request("PATCH", `/api/admin/users/${encodeURIComponent(u.id)}`, change);
    showUserResult(resp, row, `${u.email} ${change.is_active ? "enabled" : "disabled"}.`);
  }

  async function revokeSessions(u, row) {
    const resp = await request("POST", `/api/admin/users/${encodeURIComponent(u.id)}/revoke-sessions`);
    showUserResult(resp, row, `Every session of ${u.email} ended.`);
  }

  async function sendReset(u) {
    const resp = await request("POST", `/api/admin/users/${encodeURIComponent(u.id)}/password-reset`);
    const status = $("users-status");
    status.className = resp.ok ? "status ok" : "status bad";
    status.textContent = resp.ok ? `A password reset link was sent to ${u.email}.` : describeError(resp.data, "Not sent.");
  }

  async function createUser(event) {
    event.preventDefault();
    const body = { email: $("create-email").value.trim(), is_admin: $("create-admin").checked };
    const username = $("create-username").value.trim();
    if (username) body.username = username;
    const resp = await request("POST", "/api/admin/users", body);
    const status = $("create-status");
    if (!resp.ok) {
      status.className = "status bad";
      status.textContent = describeError(resp.data, "Not created.");
      return;
    }
    status.className = "status ok";
    status.textContent = `${resp.data.email} is invited: a link to choose a password is on its way.`;
    $("create-user-form").reset();
    await loadUsers(false);
  }

  async function loadUsers(more) {
    const params = new URLSearchParams({ limit: "20" });
    const search = $("user-search").value.trim();
    if (search) params.set("search", search);
    if (more && nextUsersCursor) params.set("cursor", nextUsersCursor);
    const resp = await request("GET", `/api/admin/users?${params}`);
    const status = $("users-status");
    if (!resp.ok) {
      status.className = "status bad";
      status.textContent = describeError(resp.data, "Could not load users.");
      return;
    }
    const body = document.querySelector("#users tbody");
    if (!more) body.replaceChildren();
    for (const u of resp.data.users) body.append(userRow(u));
    nextUsersCursor = resp.data.next_cursor;
    $("users").dataset.query = search;
    $("users-more").hidden = !nextUsersCursor;
    status.className = "status";
    status.textContent = body.children.length ? "" : "No users match.";
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("signin-form").addEventListener("submit", signIn);
    $("settings-form").addEventListener("submit", saveSettings);
    $("audit-more").addEventListener("click", () => loadAudit(true));
    $("keys-rotate").addEventListener("click", () => rotateKeys(false));
    $("keys-rotate-now").addEventListener("click", () => rotateKeys(true));
    $("search-form").addEventListener("submit", (e) => { e.preventDefault(); loadUsers(false); });
    $("users-more").addEventListener("click", () => loadUsers(true));
    $("create-user-form").addEventListener("submit", createUser);
    $("signout").addEventListener("click", () => signOut(""));
  });
})();
