// xsrf-htmx.js: keeps the XSRF token htmx sends valid on a page left open
// past the token lifetime. For htmx 2 and htmx 4; no dependencies.
// Part of the xsrf workspace, same license: MIT OR Apache-2.0.
//
// Load it next to htmx; the page keeps its token in hx-headers as before:
//
//   <script src="/static/xsrf-htmx.js" data-token-url="/xsrf-token"></script>
//
//   data-header     the token header, if renamed (default X-XSRF-Token)
//   data-token-url  a same-origin GET answered with a fresh token in that
//                   header (`#[send_token]`); without it, no retry
//
// Why: the server answers a request whose token is past half its lifetime
// with a fresh token in the X-XSRF-Token response header, but htmx ignores
// response headers, so hx-headers keeps sending the page's first token.
// Once that is older than the lifetime (an hour by default) every button
// gets 403 with X-XSRF-Rejection: expired. This script:
//
// 1. remembers, for each token written in the page, the freshest token the
//    server sent back for it, and sends that one instead;
// 2. when a request is refused only because its token expired (the page sat
//    idle past the lifetime), fetches a fresh token from data-token-url and
//    sends the request once more (htmx 4: inside the same request, so htmx
//    only sees the answer to the retry; htmx 2: a new request from the same
//    element through htmx.ajax, after htmx has dropped the 403).
//
// It only touches same-origin requests that already carry the token header
// (it never adds a token where the page did not put one), and it never
// retries any other refusal. The event names are htmx's defaults: htmx 4
// with `htmx.config.metaCharacter` set spells them differently.
(function () {
  "use strict";

  const script = document.currentScript;
  const HEADER = (script && script.dataset.header) || "X-XSRF-Token";
  const TOKEN_URL = script && script.dataset.tokenUrl;
  const REJECTION = "X-XSRF-Rejection";

  // The token as written in the page -> the freshest one the server gave
  // for it. One entry per token the page holds, however long it stays open.
  const latest = new Map();

  function sameOrigin(url) {
    try {
      return new URL(url, document.baseURI).origin === location.origin;
    } catch (e) {
      return false;
    }
  }

  // Header names are case-insensitive; hx-headers keeps the page's spelling.
  function headerKey(headers) {
    const wanted = HEADER.toLowerCase();
    return Object.keys(headers || {}).find((k) => k.toLowerCase() === wanted);
  }

  function learn(pageToken, fresh) {
    if (pageToken && fresh) latest.set(pageToken, fresh);
  }

  function isExpired(status, rejection) {
    return status === 403 && rejection === "expired";
  }

  async function fetchToken() {
    if (!TOKEN_URL || !sameOrigin(TOKEN_URL)) return null;
    try {
      const res = await fetch(TOKEN_URL, { credentials: "same-origin", cache: "no-store" });
      return res.ok ? res.headers.get(HEADER) : null;
    } catch (e) {
      return null;
    }
  }

  // htmx 2 (XMLHttpRequest). configRequest may change the headers; the
  // same requestConfig object comes back in afterRequest's detail.
  let retrying = false;
  document.addEventListener("htmx:configRequest", (evt) => {
    const cfg = evt.detail;
    const key = headerKey(cfg.headers);
    if (!key || !sameOrigin(cfg.path)) return;
    cfg.xsrfPageToken = cfg.headers[key];
    cfg.headers[key] = latest.get(cfg.xsrfPageToken) || cfg.xsrfPageToken;
    // htmx.ajax below reaches this listener synchronously: that request
    // is the retry, and is not retried again.
    cfg.xsrfRetry = retrying;
  });
  document.addEventListener("htmx:afterRequest", async (evt) => {
    const { xhr, requestConfig: cfg } = evt.detail;
    // htmx 2 fires afterRequest a second time, on a parent, when the
    // element left the page: handle each request once.
    if (!xhr || !cfg || !cfg.xsrfPageToken || cfg.xsrfSeen) return;
    cfg.xsrfSeen = true;
    learn(cfg.xsrfPageToken, xhr.getResponseHeader(HEADER));
    if (cfg.xsrfRetry || !isExpired(xhr.status, xhr.getResponseHeader(REJECTION))) return;
    const fresh = await fetchToken();
    if (!fresh) return;
    learn(cfg.xsrfPageToken, fresh);
    retrying = true;
    try {
      htmx
        .ajax(cfg.verb, cfg.path, { source: cfg.elt, target: cfg.target, event: cfg.triggeringEvent })
        .catch(() => {});
    } finally {
      retrying = false;
    }
  });

  // htmx 4 (fetch). before:request is the last event before htmx calls
  // ctx.fetch (extensions have set theirs by then): wrap it, so a retry
  // happens inside the one request and htmx swaps only its answer.
  document.addEventListener("htmx:before:request", (evt) => {
    const ctx = evt.detail.ctx;
    const request = ctx && ctx.request;
    const key = request && headerKey(request.headers);
    if (!key || !sameOrigin(request.action) || typeof ctx.fetch !== "function") return;
    const pageToken = request.headers[key];
    request.headers[key] = latest.get(pageToken) || pageToken;
    const send = ctx.fetch;
    ctx.fetch = async (url, init) => {
      let res = await send(url, init);
      learn(pageToken, res.headers.get(HEADER));
      if (isExpired(res.status, res.headers.get(REJECTION))) {
        const fresh = await fetchToken();
        if (fresh) {
          learn(pageToken, fresh);
          init.headers[key] = fresh;
          res = await send(url, init);
          learn(pageToken, res.headers.get(HEADER));
        }
      }
      return res;
    };
  });
})();
