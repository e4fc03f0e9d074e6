package importers

import (
	"os"
	"strings"
	"testing"
)

func TestPostmanExtraction(t *testing.T) {
	aliases := map[string]bool{"data": true}
	for _, tc := range []struct {
		expr, want string
	}{
		{"pm.response.json().token", "jsonpath $.token"},
		{"pm.response.json().data.items[0]['the id']", "jsonpath $.data.items[0]['the id']"},
		{`data["api-key"]`, "jsonpath $['api-key']"},
		{"data.user.name", "jsonpath $.user.name"},
		{`pm.response.headers.get("X-Token")`, "header X-Token"},
		{"pm.response.json()", ""},
		{"other.token", ""},
		{"pm.response.json().items.map(i => i.id)", ""},
		{"pm.response.text()", ""},
	} {
		got := ""
		if e := extraction(tc.expr, aliases); e != nil {
			got = "jsonpath " + e.JSONPath
			if e.Header != "" {
				got = "header " + e.Header
			}
		}
		if got != tc.want {
			t.Errorf("extraction(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

func TestPostmanErrors(t *testing.T) {
	for _, tc := range []struct {
		src, want string
	}{
		{`{"info": {"schema": "https://schema.getpostman.com/json/collection/v2.0.0/collection.json"}, "item": []}`,
			"x.json:1:11: $.info.schema: https://schema.getpostman.com/json/collection/v2.0.0/collection.json is not a v2.1 collection"},
		{`{"info": {"schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": [{"name": "r", "request": {"method": "GET"}}]}`,
			`x.json:1:117: $.item[0].request.url: the request "r" has no URL`},
		{`{"info": {"schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": [{"name": "r", "request": {"url": 5}}]}`,
			`x.json:1:129: $.item[0].request.url: the url cannot be read: it is 5`},
	} {
		c := Postman{}.Convert("x.json", []byte(tc.src))
		if len(c.Errors) == 0 || !strings.HasPrefix(c.Errors[0].Error(), tc.want) {
			t.Errorf("Convert(%s) errors %v, want %q", tc.src, c.Errors, tc.want)
		}
	}
}

// Without an environment the collection's own values hold; with one,
// the environment's win and the variable says where it came from.
func TestPostmanVariables(t *testing.T) {
	src, err := os.ReadFile("testdata/demo-shop.postman_collection.json")
	if err != nil {
		t.Fatal(err)
	}
	env, err := os.ReadFile("testdata/demo-shop.postman_environment.json")
	if err != nil {
		t.Fatal(err)
	}
	plain := Postman{}.Convert("c.json", src)
	withEnv := Postman{Env: env, EnvName: "testdata/env.json"}.Convert("c.json", src)
	if v := plain.File.Variables[0]; v.Name != "baseUrl" || v.Value != "http://127.0.0.1:9999" {
		t.Errorf("collection variable %+v", v)
	}
	v := withEnv.File.Variables[0]
	if v.Value != "http://127.0.0.1:8080" || withEnv.Comments[v] != "from the environment env.json" {
		t.Errorf("environment variable %+v, comment %q", v, withEnv.Comments[v])
	}
	for _, vr := range withEnv.File.Variables {
		if vr.Name == "unused" {
			t.Errorf("a disabled environment value became a variable")
		}
	}
	item := plain.File.Cases[0].Steps[2].Request.HTTP
	if item.URL != "${baseUrl}/items/${item}?fields=id,name" {
		t.Errorf("the path variable :id: %q", item.URL)
	}
}

// Auth comes from the request, else its folder, else the collection;
// inherit looks further up and noauth sends none.
func TestPostmanAuth(t *testing.T) {
	src := `{"info": {"schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
	 "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{t}}"}]},
	 "variable": [{"key": "t", "value": "x"}],
	 "item": [{"name": "f", "auth": {"type": "inherit"}, "item": [
	   {"name": "a", "request": {"url": "http://h/a"}},
	   {"name": "b", "request": {"url": "http://h/b", "auth": {"type": "noauth"}}},
	   {"name": "c", "request": {"url": "http://h/c", "auth": {"type": "apikey", "apikey": [{"key": "key", "value": "k"}, {"key": "value", "value": "{{t}}"}, {"key": "in", "value": "query"}]}}},
	   {"name": "d", "request": {"url": "http://h/d", "auth": {"type": "digest"}}}]}]}`
	c := Postman{}.Convert("x.json", []byte(src))
	if len(c.Errors) > 0 {
		t.Fatal(c.Errors)
	}
	steps := c.File.Transactions[0].Steps
	auth := func(i int) string { return headerOf(steps[i].Request.HTTP.Headers, "Authorization") }
	if auth(0) != "Bearer ${t}" || auth(1) != "" || auth(2) != "" || kvs(steps[2].Request.HTTP.Query)["k"] != "${t}" {
		t.Errorf("auth: %q %q %q %v", auth(0), auth(1), auth(2), steps[2].Request.HTTP.Query)
	}
	if len(c.Notes) != 1 || !strings.Contains(c.Notes[0].Msg, "digest auth is not converted") {
		t.Errorf("notes %v", c.Notes)
	}
}
