/* Magpie's bridge for the H5 apps of a workbench, served at /v1/apps/bridge.js. An app's page,
 * shown by the Magpie web client in a frame, loads it with a plain <script src> (not a module,
 * not async) and calls window.magpie; each call returns a promise.
 *
 * The protocol between this page (the app) and the client around it (the host), by postMessage:
 *   app -> host  {magpie: "request", id, method, params}
 *                id: a number, new per request; method: "getUser", "openChat", "pickPeople",
 *                "sendCard" or "authorize"; params: an object.
 *   host -> app  {magpie: "response", id, result} or {magpie: "response", id, error: {code, message}}
 *                code: "cancelled" (the person said no), "invalid_params", "unknown_method",
 *                "forbidden", or an error code of the server (docs/protocol.md §2).
 * Methods, their params and results:
 *   getUser     {}                           -> {account, name, avatar: https URL or null}
 *   openChat    {account: "bob@example.com"} -> {}  (opens, or starts, the direct chat)
 *               or {conversation: 12}
 *   pickPeople  {max?: 1-100 (20), title?}   -> [{account, name}]  (the client's people picker)
 *   sendCard    {conversation, card}         -> {seq}  (card: an interactive card's body, without
 *               buttons or inputs; the person confirms it first, and it is sent as theirs)
 *   authorize   {client_id, redirect_uri, scope?, state?, code_challenge,
 *               code_challenge_method: "S256"}  -> {code, state}
 *               OAuth 2.0 without leaving the workbench: the host checks that client_id is this
 *               app's, asks the person's consent (at once if they granted these scopes before)
 *               and answers the authorization code that /oauth/authorize would have sent to
 *               redirect_uri; the app's server exchanges it at /oauth/token as usual.
 * This page posts only to its parent at the origin this script came from, and reads only answers
 * from there: the host is the Magpie client of that server, and nothing else. */
(function () {
  "use strict";
  var me = document.currentScript;
  var origin = null;
  try {
    origin = me && me.src ? new URL(me.src).origin : null;
  } catch (e) {
    origin = null;
  }
  var host = window.parent;
  var nextId = 1;
  var waiting = {};

  function failure(code, message) {
    var error = new Error(message || code);
    error.code = code;
    return error;
  }

  window.addEventListener("message", function (event) {
    if (event.source !== host || event.origin !== origin) return;
    var reply = event.data;
    if (!reply || reply.magpie !== "response" || typeof reply.id !== "number") return;
    var pending = waiting[reply.id];
    if (!pending) return;
    delete waiting[reply.id];
    if (reply.error) pending.reject(failure(String(reply.error.code || "unknown"), reply.error.message));
    else pending.resolve(reply.result);
  });

  function call(method, params) {
    return new Promise(function (resolve, reject) {
      if (!origin || host === window) {
        reject(failure("unavailable", "this page is not open in Magpie"));
        return;
      }
      var id = nextId++;
      waiting[id] = { resolve: resolve, reject: reject };
      host.postMessage({ magpie: "request", id: id, method: method, params: params }, origin);
    });
  }

  window.magpie = Object.freeze({
    getUser: function () {
      return call("getUser", {});
    },
    openChat: function (target) {
      return call("openChat", target || {});
    },
    pickPeople: function (options) {
      return call("pickPeople", options || {});
    },
    sendCard: function (conversation, card) {
      return call("sendCard", { conversation: conversation, card: card });
    },
    authorize: function (request) {
      return call("authorize", request || {});
    },
  });
})();
