// Package web is cmkguard's dashboard over the scan history (`cmkguard
// serve`): server-rendered pages, a JSON API under /api/v1/ and Prometheus
// metrics at /metrics.
//
// It only shows what the history holds — the results each scan decided, the
// KPIs history.Compute works out from them, and each scan's history.Detail
// (report context, classification labels, key deadlines, blast radius) — and
// never evaluates a rule. Pages are html/template with embedded assets: no
// CDN, no inline script (one small script file, which the pages do not need
// to work), charts as inline SVG. Filters and paging are query parameters, so
// they work without JavaScript and the API answers the same questions.
//
// The server is read-only (GET and HEAD). With a token every request needs
// it, as a bearer token or as the cookie a ?token= login sets, compared in
// constant time; without one it answers only requests addressed to a
// loopback host, which keeps a DNS-rebinding page from reading it. Every
// response carries a Content-Security-Policy without inline script and the
// usual framing, sniffing and referrer protections.
package web
