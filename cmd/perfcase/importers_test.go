package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/perfcase/perfcase/demo"
)

const importData = "../../importers/testdata/"

// startDemo starts a demo target of the test's own: its signing key is
// new, so no token of a recording is valid on it.
func startDemo(t *testing.T) (*demo.Server, string) {
	t.Helper()
	srv, err := demo.Start(demo.Options{HTTP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, "http://" + srv.HTTPAddr()
}

func shopStats(t *testing.T, base string) demo.Stats {
	t.Helper()
	resp, err := http.Get(base + "/web/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st demo.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

var replayStage = regexp.MustCompile(`\{name: replay, concurrency: 1, count: 1\}`)

// importAndRun imports file, gives the result a short stage of passes
// passes on 2 VUs, and runs it against base; it returns the YAML.
func importAndRun(t *testing.T, base string, passes int, importArgs ...string) string {
	t.Helper()
	yml := filepath.Join(t.TempDir(), "imported.yaml")
	args := append(append([]string{"import"}, importArgs...), "-o", yml)
	if code, out, errOut := runCmd(t, args...); code != exitOK || out != "" {
		t.Fatalf("import: exit %d, stdout %q\n%s", code, out, errOut)
	}
	src, err := os.ReadFile(yml)
	if err != nil {
		t.Fatal(err)
	}
	if !replayStage.Match(src) {
		t.Fatalf("the imported scenario has no replay stage:\n%s", src)
	}
	short := replayStage.ReplaceAll(src, []byte("{name: replay, concurrency: 2, count: "+itoa(passes)+"}"))
	// Think times from the recording are cut 100-fold.
	short = regexp.MustCompile(`think: (\d+(\.\d+)?)(s|ms)`).ReplaceAllFunc(short, func(m []byte) []byte { return []byte("think: 1ms") })
	if err := os.WriteFile(yml, short, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "run", "--quiet", "--control", "127.0.0.1:0", "--set", "base="+base, "--set", "baseUrl="+base, yml)
	if code != exitOK || strings.Contains(out, "errors\n") || !strings.Contains(out, "100.00%") {
		t.Fatalf("run: exit %d\n%s\n%s\nscenario:\n%s", code, out, errOut, short)
	}
	return string(src)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestImportHARRunsAgainstTheSite imports the browser's recording of the
// web shop and runs it against a demo target that never saw it: every
// token the recording holds is invalid there, so the run succeeds only
// if each was extracted from the response that hands out a fresh one.
func TestImportHARRunsAgainstTheSite(t *testing.T) {
	_, base := startDemo(t)
	const passes = 6
	yml := importAndRun(t, base, passes, importData+"demo-shop.har")
	for _, want := range []string{
		`csrf: {left: <input type="hidden" name="csrf" value=", right: '"'}`,
		"form: {csrf: '${csrf}', user: ann, password: secret}",
		"api_key: {jsonpath: $.api_key}",
		"Authorization: Bearer ${api_key}",
		"x_csrf_token: {header: X-Csrf-Token}",
		"X-Csrf-Token: ${x_csrf_token}",
		"orders_id: {header: Location, regex: '/web/orders/([^/?#]+)', group: 1}",
		"url: ${base}/web/orders/${orders_id}",
		"# csrf: the HTML input \"csrf\" of this response (log.entries[0]); sent by log.entries[4] (POST /web/login, form field csrf)",
		"transaction: Account - perfcase demo shop",
		"redirects: false",
	} {
		if !strings.Contains(yml, want) {
			t.Errorf("the YAML lacks %q:\n%s", want, yml)
		}
	}
	body := regexp.MustCompile(`(?m)^#.*\n`).ReplaceAllString(yml, "")
	for _, noise := range []string{"sec-ch-ua", "Sec-Fetch", "User-Agent", "Accept-Encoding", "Cookie", "/web/static/", "Upgrade-Insecure"} {
		if strings.Contains(body, noise) {
			t.Errorf("the YAML keeps %q", noise)
		}
	}
	want := demo.Stats{CSRFOK: 3 * passes, APIOK: passes, OrdersOK: passes}
	if st := shopStats(t, base); st != want {
		t.Errorf("the target saw %+v, want %+v: every token correlated, none refused", st, want)
	}
}

// run and validate take the HAR itself, told apart by its content.
func TestRunTakesAHAR(t *testing.T) {
	_, base := startDemo(t)
	if code, out, errOut := runCmd(t, "validate", importData+"demo-shop.har"); code != exitOK || !strings.Contains(out, "demo-shop.har: ok") {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runCmd(t, "run", "--quiet", "--control", "127.0.0.1:0", "--set", "base="+base, importData+"demo-shop.har")
	if code != exitOK || strings.Contains(out, "errors\n") {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	if st := shopStats(t, base); st != (demo.Stats{CSRFOK: 3, APIOK: 1, OrdersOK: 1}) {
		t.Errorf("the target saw %+v", st)
	}
}

// --keep-static keeps the style sheet, script and image of each page.
func TestImportHARKeepStatic(t *testing.T) {
	_, base := startDemo(t)
	yml := importAndRun(t, base, 2, "--keep-static", "--from", "har", importData+"demo-shop.har")
	for _, asset := range []string{"style.css", "app.js", "logo.png"} {
		if n := strings.Count(yml, "url: ${base}/web/static/"+asset); n != 3 {
			t.Errorf("%s is requested %d times, want 3 (one per page):\n%s", asset, n, yml)
		}
	}
}

// Chromium's bash and cmd copies of the same requests convert to the
// same scenario, and it runs; Firefox's too.
func TestImportCurl(t *testing.T) {
	_, base := startDemo(t)
	bash := importAndRun(t, base, 2, importData+"chromium-bash.curl")
	cmd := importAndRun(t, base, 2, "--from", "curl", importData+"chromium-cmd.curl")
	strip := func(s string) string {
		s = regexp.MustCompile(`(?m)^#.*\n`).ReplaceAllString(s, "")
		return regexp.MustCompile(`chromium-(bash|cmd)`).ReplaceAllString(s, "X")
	}
	if strip(bash) != strip(cmd) {
		t.Errorf("bash and cmd differ:\n%s\n----\n%s", bash, cmd)
	}
	for _, want := range []string{
		"json: {user: ann, password: it's secret!}",
		"url: ${base}/items/2?fields=id,name&tag[]=a",
		"form:\n            note: 50% off\n            lines: |-\n              a\n              b",
		"body: |-\n            line one\n            line \"two\" 100%\\",
		"origin: ${base}",
		"cookie: session=tok-ann",
	} {
		if !strings.Contains(bash, want) {
			t.Errorf("the YAML lacks %q:\n%s", want, bash)
		}
	}
	if strings.Contains(bash, "sec-ch-ua") || strings.Contains(bash, "user-agent") {
		t.Errorf("browser noise kept:\n%s", bash)
	}
	ff := importAndRun(t, base, 2, importData+"firefox.curl")
	if !strings.Contains(ff, `json: {user: bob, note: it's a "test"}`) || !strings.Contains(ff, `body: "col1\tcol2\r\nrow 2"`) || !strings.Contains(ff, "tls_verify: false") {
		t.Errorf("firefox:\n%s", ff)
	}
	_, _, errOut := runCmd(t, "import", importData+"firefox.curl")
	for _, want := range []string{"firefox.curl:3:117: curl flag --url-query is not converted", "firefox.curl:3:141: curl flag -s is not converted"} {
		if !strings.Contains(errOut, "note: "+importData+want) {
			t.Errorf("stderr lacks the note %q:\n%s", want, errOut)
		}
	}
}

// The Postman collection newman ran (importers/testdata/README.md) runs
// green here too, its test scripts' variables extracted.
func TestImportPostman(t *testing.T) {
	_, base := startDemo(t)
	yml := importAndRun(t, base, 3, "--env", importData+"demo-shop.postman_environment.json", importData+"demo-shop.postman_collection.json")
	for _, want := range []string{
		"baseUrl: http://127.0.0.1:8080",
		"token: {jsonpath: $.token}",
		"api_key: {jsonpath: $.api_key}",
		"csrf: {header: X-Csrf-Token}",
		"Authorization: Bearer ${api_key}",
		"headers: {Authorization: 'Bearer ${token}'}",
		"url: ${baseUrl}/items/${item}?fields=id,name",
		"headers: {Authorization: Basic YW5uOnB3}",
		"form: {user: '${user}', id: '${uuid()}'}",
		"  Session:\n",
	} {
		if !strings.Contains(yml, want) {
			t.Errorf("the YAML lacks %q:\n%s", want, yml)
		}
	}
	if st := shopStats(t, base); st.APIOK != 3 || st.CSRFOK != 3 || st.APIBad+st.CSRFBad != 0 {
		t.Errorf("the target saw %+v, want 3 api keys and 3 csrf tokens accepted", st)
	}
	_, _, errOut := runCmd(t, "import", importData+"demo-shop.postman_collection.json")
	for _, want := range []string{
		`$.item[0].item[1].event[0].script.exec[2]: test script line of "whoami" not converted: pm.expect(`,
		`$.item[1].item[1].event[0]: the prerequest script of "add to cart" is not converted`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestImportFlagMistakes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "jmx", importData + "firefox.curl"}, `--from "jmx": want perftest, har, curl or postman`},
		{[]string{"--keep-static", importData + "firefox.curl"}, "--keep-static applies to a HAR"},
		{[]string{"--env", importData + "demo-shop.postman_environment.json", importData + "demo-shop.har"}, "--env to a Postman collection"},
		{[]string{"--env", "no-such-file.json", importData + "demo-shop.postman_collection.json"}, "--env no-such-file.json"},
	} {
		code, _, errOut := runCmd(t, append([]string{"import"}, tc.args...)...)
		if code != exitInvalid || !strings.Contains(errOut, tc.want) {
			t.Errorf("import %q: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// examples/recorded-shop.yaml is the HAR's import as it is today.
func TestRecordedExample(t *testing.T) {
	code, out, errOut := runCmd(t, "import", importData+"demo-shop.har")
	if code != exitOK {
		t.Fatalf("import: exit %d\n%s", code, errOut)
	}
	src, err := os.ReadFile("../../examples/recorded-shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(src), "(TestRecordedExample keeps it so).\n")
	if body != out {
		t.Errorf("examples/recorded-shop.yaml is not the HAR's import; write it again:\n%s", out)
	}
}
