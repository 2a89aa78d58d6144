// The pages behind the links in authd's mail. The token is in the fragment (#token=...), which never
// reaches a server; it is read here, removed from the address bar, and sent to the API in a POST body.
"use strict";

(function () {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token") || "";
  history.replaceState(null, "", location.pathname);
  const status = document.getElementById("status");

  function show(text, ok) {
    status.textContent = text;
    status.className = ok ? "ok" : "error";
    status.dataset.state = ok ? "ok" : "error";
  }

  async function post(path, body) {
    const resp = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
    });
    let data = {};
    try { data = await resp.json(); } catch (_) { /* an empty or non-JSON answer */ }
    return { ok: resp.ok, data };
  }

  function problem(data) {
    const fields = (data.details && data.details.validation_errors) || {};
    const first = Object.keys(fields).filter((k) => k !== "token").map((k) => fields[k])[0];
    return first ? data.message + " " + first : data.message || "Something went wrong; try again.";
  }

  if (!token) {
    show("This link is incomplete: open the whole link from the email.", false);
    const form = document.getElementById("reset-form");
    if (form) form.hidden = true;
    return;
  }

  if (document.body.dataset.page === "verify") {
    post("/api/email/verify", { token }).then(({ ok, data }) => {
      show(ok ? "Your email address " + data.email + " is verified." : problem(data), ok);
    }, () => show("authd could not be reached; try again.", false));
    return;
  }

  const form = document.getElementById("reset-form");
  if (params.get("invitation") === "1") {
    document.getElementById("title").textContent = "Choose your password";
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const password = document.getElementById("new-password").value;
    if (password !== document.getElementById("repeat-password").value) {
      show("The two passwords differ.", false);
      return;
    }
    const button = document.getElementById("reset-submit");
    button.disabled = true;
    try {
      const { ok, data } = await post("/api/password/reset", { token, new_password: password });
      if (ok) {
        form.hidden = true;
        show("Your password is set. You can sign in with it now.", true);
      } else {
        show(problem(data), false);
      }
    } catch (_) {
      show("authd could not be reached; try again.", false);
    } finally {
      button.disabled = false;
    }
  });
})();
