package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
)

// sessionCookie is the cookie a ?token= login sets.
const sessionCookie = "cmkguard_session"

// sessionValue is the login cookie's value: an HMAC of a fixed label under
// the token, so that the cookie does not hold the token itself and stops
// working when the token changes.
func sessionValue(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("cmkguard dashboard session v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// equal compares two secrets in constant time, whatever their lengths: it
// compares their SHA-256 digests.
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// authenticate lets the request through when it carries the token as a
// bearer token or the session cookie. A request with ?token= is a login:
// with the right token it sets the cookie and redirects to the same address
// without the token, so that the token leaves the address bar and history.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, next http.Handler) {
	q := r.URL.Query()
	if q.Has("token") {
		if !equal(q.Get("token"), s.opt.Token) {
			unauthorized(w)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.session, Path: "/", HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
		q.Del("token")
		u := *r.URL
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return
	}
	ok := false
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, cred, found := strings.Cut(auth, " ")
		ok = found && strings.EqualFold(scheme, "Bearer") && equal(strings.TrimSpace(cred), s.opt.Token)
	} else if c, err := r.Cookie(sessionCookie); err == nil {
		ok = equal(c.Value, s.session)
	}
	if !ok {
		unauthorized(w)
		return
	}
	next.ServeHTTP(w, r)
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="cmkguard"`)
	http.Error(w, "unauthorized: send the dashboard token as Authorization: Bearer TOKEN, or open the dashboard once with ?token=TOKEN",
		http.StatusUnauthorized)
}
