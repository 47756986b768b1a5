// The leave-approval app's page: signs the person in (by Magpie's bridge inside the workbench, by
// Magpie's consent page in a tab of its own), then the form and the person's own requests. It
// writes no HTML from data (textContent only) and runs under a CSP without inline scripts.
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  /** In Magpie's frame: the bridge signs the person in. */
  var framed = window.parent !== window;

  var STATES = {
    pending: "待审批 Pending",
    approved: "已同意 Approved",
    rejected: "已驳回 Rejected",
  };

  /** An error to show: its code (the server's, the bridge's, or the page's own) and words. */
  function Trouble(code, message, status, field) {
    this.code = code;
    this.message = message;
    this.status = status || 0;
    this.field = field || "";
  }

  /** Calls the app's server (relative to the page, so that a path prefix works). */
  async function api(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    var res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new Trouble("network", "连不上请假应用 The leave app cannot be reached.");
    }
    var text = await res.text();
    var data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = null; }
    }
    if (!res.ok) {
      var error = (data && data.error) || {};
      throw new Trouble(error.code || "http_" + res.status, error.message || "请求失败 The request failed (" + res.status + ").", res.status, error.field);
    }
    return data;
  }

  function showTrouble(trouble, offerTab) {
    $("trouble-text").textContent = trouble.message;
    $("in-tab").hidden = !offerTab;
    $("trouble").hidden = false;
  }

  function hideTrouble() {
    $("trouble").hidden = true;
    $("trouble-text").textContent = "";
  }

  /** Who is signed in: the session's person, or a new sign-in. Null when the browser is leaving
   * for Magpie's consent page. */
  async function signIn() {
    try {
      return await api("GET", "app/me");
    } catch (e) {
      if (e.status !== 401) throw e;
    }
    if (!framed) {
      // Back from Magpie without a session: the cookie did not stick; going again would loop.
      if (new URLSearchParams(location.search).has("login")) {
        throw new Trouble("cookies", "登录没有保存，浏览器可能阻止了本站的 Cookie。 The sign-in did not stick: your browser may block this site's cookies.");
      }
      location.assign("app/login");
      return null;
    }
    if (!window.magpie || typeof window.magpie.authorize !== "function") {
      throw new Trouble("no_bridge", "这里无法登录，请在新标签页打开。 Signing in does not work here: open the app in a new tab.");
    }
    var start = await api("POST", "app/login/start", {});
    var answer;
    try {
      answer = await window.magpie.authorize({
        client_id: start.client_id,
        redirect_uri: start.redirect_uri,
        scope: start.scope,
        state: start.state,
        code_challenge: start.code_challenge,
        code_challenge_method: start.code_challenge_method,
      });
    } catch (e) {
      var code = (e && e.code) || "unknown";
      if (code === "cancelled") {
        throw new Trouble(code, "你没有允许请假应用知道你是谁，所以没有登录。 You did not allow the leave app to know who you are, so you are not signed in.");
      }
      throw new Trouble(code, "Magpie 没有让你登录（" + code + "）。 Magpie did not sign you in (" + code + ").");
    }
    if (!answer || typeof answer.code !== "string" || answer.state !== start.state) {
      throw new Trouble("state", "登录的回答不对，请重试。 The sign-in's answer was not this page's: try again.");
    }
    return await api("POST", "app/login/finish", { code: answer.code, state: answer.state });
  }

  function showPerson(person) {
    $("who").textContent = "已登录 Signed in: " + person.name + " (" + person.account + ")";
    $("sign-out").hidden = framed;
    $("apply").hidden = false;
    $("mine").hidden = false;
  }

  function describe(r) {
    var text = r.from + " · " + r.days + " 天 day" + (r.days === 1 ? "" : "s") + " · " + (r.reason || "—");
    var state = STATES[r.state] || r.state;
    var who = r.decidedBy ? r.decidedBy.name : r.manager.name;
    return { text: text, state: state + " — " + who, note: r.note || "" };
  }

  async function loadRequests() {
    var list = await api("GET", "app/requests");
    var ul = $("requests");
    ul.replaceChildren();
    list.requests.forEach(function (r) {
      var d = describe(r);
      var li = document.createElement("li");
      li.dataset.id = r.id;
      li.dataset.state = r.state;
      li.setAttribute("data-testid", "request");
      var what = document.createElement("span");
      what.className = "what";
      what.textContent = d.text;
      var state = document.createElement("span");
      state.className = "state state-" + r.state;
      state.setAttribute("data-testid", "request-state");
      state.textContent = d.state;
      li.append(what, " ", state);
      if (d.note) {
        var note = document.createElement("span");
        note.className = "note muted";
        note.textContent = "备注 Note: " + d.note;
        li.append(" ", note);
      }
      ul.append(li);
    });
    $("none").hidden = list.requests.length > 0;
  }

  var FIELDS = ["from", "days", "reason"];

  function fieldError(trouble) {
    $("form-error").textContent = trouble ? trouble.message : "";
    FIELDS.forEach(function (name) {
      if (trouble && trouble.field === name) $(name).setAttribute("aria-invalid", "true");
      else $(name).removeAttribute("aria-invalid");
    });
    if (trouble && FIELDS.indexOf(trouble.field) >= 0) $(trouble.field).focus();
  }

  async function submit(event) {
    event.preventDefault();
    fieldError(null);
    $("sent").textContent = "";
    var days = $("days").value.trim();
    var button = $("submit");
    button.disabled = true;
    try {
      var filed = await api("POST", "app/leave", {
        from: $("from").value,
        // A number, or what was typed, for the server to refuse with its reason.
        days: /^\d+$/.test(days) ? Number(days) : days,
        reason: $("reason").value,
      });
      $("sent").textContent = "已发送给 " + filed.manager.name + " 审批（#" + filed.id + "） Sent to " + filed.manager.name + " for approval (#" + filed.id + ")";
      $("form").reset();
      await loadRequests();
    } catch (e) {
      if (e.status === 401) {
        showTrouble(new Trouble(e.code, "登录已过期，请重试。 Your sign-in has expired: try again."), false);
      } else {
        fieldError(e);
      }
    } finally {
      button.disabled = false;
    }
  }

  async function start() {
    hideTrouble();
    $("who").textContent = "正在登录… Signing in…";
    try {
      var person = await signIn();
      if (!person) return;
      if (location.search) history.replaceState(null, "", location.pathname);
      showPerson(person);
      await loadRequests();
    } catch (e) {
      $("who").textContent = "没有登录 Not signed in";
      showTrouble(e instanceof Trouble ? e : new Trouble("page", String(e)), framed);
    }
  }

  $("form").addEventListener("submit", submit);
  $("again").addEventListener("click", function () {
    // Asked again on purpose: not the loop that ?login guards against.
    if (location.search) history.replaceState(null, "", location.pathname);
    void start();
  });
  $("refresh").addEventListener("click", function () {
    loadRequests().catch(function (e) { showTrouble(e instanceof Trouble ? e : new Trouble("page", String(e)), false); });
  });
  $("sign-out").addEventListener("click", function () {
    api("POST", "app/logout", {}).then(function () {
      $("apply").hidden = true;
      $("mine").hidden = true;
      $("sign-out").hidden = true;
      $("who").textContent = "已退出 Signed out";
      showTrouble(new Trouble("signed_out", "你已退出。 You signed out."), false);
    }, function (e) { showTrouble(e, false); });
  });
  void start();
})();
