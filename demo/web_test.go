package demo

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var hiddenCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, r reply) string {
	t.Helper()
	m := hiddenCSRF.FindStringSubmatch(r.body)
	if r.code != http.StatusOK || m == nil {
		t.Fatalf("%d, no csrf input in %q", r.code, r.body)
	}
	return m[1]
}

// TestWebShop walks the shop as a browser does, and checks that every
// token is refused when it is not one this target handed out.
func TestWebShop(t *testing.T) {
	s := start(t)
	base := "http://" + s.HTTPAddr()
	form := "application/x-www-form-urlencoded"

	login := get(t, base+"/web/")
	for _, asset := range []string{"/web/static/style.css", "/web/static/app.js", "/web/static/logo.png"} {
		if !strings.Contains(login.body, asset) {
			t.Errorf("the login page does not load %s", asset)
		}
	}
	csrf := csrfOf(t, login)

	// A token from another target start (a recording) is refused.
	other := start(t)
	stale := csrfOf(t, get(t, "http://"+other.HTTPAddr()+"/web/"))
	if r := do(t, "POST", base+"/web/login", form, url.Values{"csrf": {stale}, "user": {"ann"}}.Encode()); r.code != http.StatusForbidden {
		t.Errorf("POST /web/login with another target's token: %d, want 403", r.code)
	}
	r := do(t, "POST", base+"/web/login", form, url.Values{"csrf": {csrf}, "user": {"ann"}, "password": {"x"}}.Encode())
	if r.code != http.StatusSeeOther || r.header.Get("Location") != "/web/account" {
		t.Fatalf("POST /web/login: %d Location %q, want 303 /web/account", r.code, r.header.Get("Location"))
	}
	cookie := r.header.Get("Set-Cookie")
	if !strings.HasPrefix(cookie, "session=tok-ann;") {
		t.Fatalf("Set-Cookie %q, want session=tok-ann", cookie)
	}
	session := "session=tok-ann"
	if r := get(t, base+"/web/account"); r.code != http.StatusSeeOther {
		t.Errorf("GET /web/account without a session: %d, want 303 to the login page", r.code)
	}
	account := get(t, base+"/web/account", "Cookie", session)
	orderCSRF := csrfOf(t, account)

	profile := get(t, base+"/web/api/profile", "Cookie", session)
	key, _ := decode(t, profile)["api_key"].(string)
	headerCSRF := profile.header.Get("X-Csrf-Token")
	if key == "" || headerCSRF == "" {
		t.Fatalf("profile: api_key %q, X-Csrf-Token %q", key, headerCSRF)
	}
	cart := func(key, csrf string) int {
		return do(t, "POST", base+"/web/api/cart", "application/json", `{"item": 3}`, "Authorization", "Bearer "+key, "X-Csrf-Token", csrf).code
	}
	if code := cart(csrf, headerCSRF); code != http.StatusUnauthorized {
		t.Errorf("cart with a csrf token as api key: %d, want 401", code)
	}
	if code := cart(key, stale); code != http.StatusForbidden {
		t.Errorf("cart with a stale csrf header: %d, want 403", code)
	}
	if code := cart(key, headerCSRF); code != http.StatusOK {
		t.Errorf("cart: %d, want 200", code)
	}

	order := do(t, "POST", base+"/web/order", form, url.Values{"csrf": {orderCSRF}, "item": {"3"}}.Encode(), "Cookie", session)
	loc := order.header.Get("Location")
	if order.code != http.StatusSeeOther || !strings.HasPrefix(loc, "/web/orders/") {
		t.Fatalf("POST /web/order: %d Location %q", order.code, loc)
	}
	if r := get(t, base+loc); r.code != http.StatusOK || !strings.Contains(r.body, strings.TrimPrefix(loc, "/web/orders/")) {
		t.Errorf("GET %s: %d %q", loc, r.code, r.body)
	}
	if r := get(t, base+"/web/orders/"+orderCSRF); r.code != http.StatusNotFound {
		t.Errorf("GET an order with a csrf token as id: %d, want 404", r.code)
	}

	for path, ct := range map[string]string{"style.css": "text/css", "app.js": "text/javascript", "logo.png": "image/png"} {
		r := get(t, base+"/web/static/"+path)
		if r.code != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), ct) {
			t.Errorf("GET /web/static/%s: %d %q", path, r.code, r.header.Get("Content-Type"))
		}
	}

	st := decode(t, get(t, base+"/web/stats"))
	want := map[string]float64{"csrf_ok": 3, "csrf_bad": 2, "api_ok": 2, "api_bad": 1, "orders_ok": 1, "orders_bad": 1}
	for k, v := range want {
		if st[k] != v {
			t.Errorf("stats %s = %v, want %v (all: %v)", k, st[k], v, st)
		}
	}
}
