// Coldpath approver console. Plain browser JavaScript, no build step, no third-party origin:
// WebAuthn calls go through @simplewebauthn/browser served by the API itself. Every value from
// the server is written with textContent, never parsed as HTML.
/* global window, document, location */
"use strict";

(() => {
  const { startAuthentication, startRegistration } = window.SimpleWebAuthnBrowser;
  const $ = (id) => document.getElementById(id);
  /** The CSRF token of this session; kept in memory only (the cookie itself is HttpOnly). */
  let csrfToken = null;
  let current = null;

  function say(text) {
    $("status").textContent = text;
  }

  async function api(method, url, body) {
    const headers = { accept: "application/json" };
    if (method !== "GET") {
      headers["content-type"] = "application/json";
      if (csrfToken) headers["x-csrf-token"] = csrfToken;
    }
    const response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: method === "GET" ? undefined : JSON.stringify(body ?? {}),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const error = new Error(data?.error?.message ?? `HTTP ${response.status}`);
      error.code = data?.error?.code;
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function show(section) {
    for (const id of ["signed-out", "pending", "detail"]) $(id).hidden = id !== section;
  }

  function setSignedIn(session) {
    csrfToken = session.csrfToken;
    $("who-name").textContent = session.approverId;
    $("who").hidden = false;
    const active = session.passkeys.filter((p) => p.status === "active").length;
    $("passkey-state").textContent =
      active > 0
        ? `Your passkeys: ${session.passkeys.length} registered, ${active} listed in the active policy.`
        : "Your passkey is pending: no active policy lists it yet, so you can see but not approve.";
  }

  function setSignedOut() {
    csrfToken = null;
    current = null;
    $("who").hidden = true;
    show("signed-out");
  }

  async function restore() {
    try {
      setSignedIn(await api("GET", "/v1/console/session"));
      await loadPending();
    } catch {
      setSignedOut();
    }
  }

  async function signIn() {
    say("Waiting for your passkey…");
    try {
      const { challengeId, options } = await api("POST", "/v1/console/sign-in/options", {});
      const response = await startAuthentication({ optionsJSON: options });
      setSignedIn(await api("POST", "/v1/console/sign-in", { challengeId, response }));
      say("Signed in.");
      await loadPending();
    } catch (error) {
      say(`Sign-in failed: ${error.message}`);
    }
  }

  async function register(event) {
    event.preventDefault();
    const code = $("enrol-code").value.trim();
    say("Creating your passkey…");
    try {
      const { challengeId, options } = await api("POST", "/v1/console/registration/options", { code });
      const response = await startRegistration({ optionsJSON: options });
      const passkey = await api("POST", "/v1/console/registration", { code, challengeId, response });
      $("enrol-code").value = "";
      say(
        `Passkey registered for ${passkey.approverId} (status: ${passkey.status}). ` +
          `Give this credential id to your policy administrators: ${passkey.credentialId}`,
      );
    } catch (error) {
      say(`Registration failed: ${error.message}`);
    }
  }

  async function signOut() {
    try {
      await api("POST", "/v1/console/sign-out", {});
    } finally {
      setSignedOut();
      say("Signed out.");
    }
  }

  function card(item) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.kind = item.kind;
    button.dataset.id = item.id;
    const title = document.createElement("span");
    title.className = "title";
    title.textContent = `${item.kind === "policy" ? "Policy proposal" : "Operation"}: ${item.title}`;
    const meta = document.createElement("span");
    meta.className = "meta";
    const firstLine = item.summary[0] ?? "";
    meta.textContent = `${firstLine} · ${item.approvedBy.length} of ${item.threshold} approvals · ${item.id}`;
    button.append(title, meta);
    button.addEventListener("click", () => openDetail(item.kind, item.id));
    li.append(button);
    return li;
  }

  async function loadPending() {
    const { items } = await api("GET", "/v1/console/approvals");
    const list = $("pending-list");
    list.replaceChildren(...items.map(card));
    $("empty").hidden = items.length > 0;
    show("pending");
  }

  function fillList(id, values) {
    $(id).textContent = values.length ? values.join(", ") : "nobody yet";
  }

  function renderDetail(item) {
    current = item;
    $("detail-title").textContent = item.title;
    $("detail-kind").textContent = item.kind === "policy" ? "Policy proposal" : "Operation";
    $("detail-summary").replaceChildren(
      ...item.summary.map((line) => {
        const li = document.createElement("li");
        li.textContent = line;
        return li;
      }),
    );
    $("detail-digest").textContent = item.digest;
    $("detail-required").textContent = item.required;
    fillList("detail-approved", item.approvedBy);
    fillList("detail-rejected", item.rejectedBy);
    $("detail-blocked").hidden = item.canDecide;
    $("detail-blocked").className = "warning";
    $("detail-blocked").textContent = item.canDecide ? "" : `You cannot decide: ${item.reasonCannotDecide}`;
    $("decide").hidden = !item.canDecide;
  }

  async function openDetail(kind, id) {
    try {
      renderDetail(await api("GET", `/v1/console/approvals/${kind}/${id}`));
      $("result").hidden = true;
      show("detail");
      $("detail-title").focus();
    } catch (error) {
      say(`Could not open it: ${error.message}`);
    }
  }

  function result(ok, text) {
    const el = $("result");
    el.hidden = false;
    el.className = `result ${ok ? "ok" : "bad"}`;
    el.textContent = text;
  }

  async function approve() {
    if (!current) return;
    const { kind, id } = current;
    say("Confirm with your passkey…");
    try {
      const c = await api("POST", `/v1/console/approvals/${kind}/${id}/challenge`, {});
      const response = await startAuthentication({
        optionsJSON: {
          challenge: c.challenge,
          rpId: c.rpId,
          allowCredentials: c.allowCredentials,
          userVerification: c.userVerification,
          timeout: c.timeout,
        },
      });
      const done = await api("POST", `/v1/console/approvals/${kind}/${id}/approve`, {
        challengeId: c.challengeId,
        response,
      });
      say("");
      result(
        true,
        done.thresholdReached
          ? kind === "policy"
            ? "Approved. The quorum is reached: the policy version is active."
            : "Approved. The quorum is reached: the operation is queued for signing."
          : "Approved. Your approval is recorded; more approvals are needed.",
      );
      if (done.thresholdReached) {
        fillList("detail-approved", [...current.approvedBy, done.approverId]);
        decided("Decided: the quorum is reached.");
      } else await refreshDetail();
    } catch (error) {
      say("");
      result(false, `Not approved: ${error.message}`);
    }
  }

  async function reject(event) {
    event.preventDefault();
    if (!current) return;
    const { kind, id } = current;
    try {
      await api("POST", `/v1/console/approvals/${kind}/${id}/reject`, { reason: $("reject-reason").value });
      $("reject-reason").value = "";
      result(true, kind === "operation" ? "Rejected. The operation will not be signed." : "Rejected.");
      if (kind === "operation") decided("Decided: rejected.");
      else await refreshDetail();
    } catch (error) {
      result(false, `Not rejected: ${error.message}`);
    }
  }

  function decided(text) {
    $("decide").hidden = true;
    $("detail-blocked").hidden = false;
    $("detail-blocked").className = "decided";
    $("detail-blocked").textContent = text;
  }

  async function refreshDetail() {
    try {
      renderDetail(await api("GET", `/v1/console/approvals/${current.kind}/${current.id}`));
    } catch (error) {
      // Decided subjects leave the pending set.
      if (error.status === 404) decided("This is no longer awaiting approval.");
    }
  }

  $("sign-in").addEventListener("click", signIn);
  $("register-form").addEventListener("submit", register);
  $("sign-out").addEventListener("click", signOut);
  $("refresh").addEventListener("click", () => loadPending().catch((e) => say(e.message)));
  $("back").addEventListener("click", () => loadPending().catch((e) => say(e.message)));
  $("approve").addEventListener("click", approve);
  $("reject-form").addEventListener("submit", reject);
  $("detail-title").tabIndex = -1;

  const fromLink = /(?:^|&)enrol=([A-Za-z0-9_-]+)/.exec(location.hash.slice(1));
  if (fromLink) $("enrol-code").value = fromLink[1];
  restore();
})();
