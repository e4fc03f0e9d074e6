package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/perfcase/perfcase/k8s"
	"github.com/perfcase/perfcase/output"
)

// runK8sCmd runs perfcase k8s in-process, with a token in the
// environment that must never reach the output.
func runK8sCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, lookupEnv: func(k string) (string, bool) {
		if k == "PERFCASE_TOKEN" {
			return k8sTestToken, true
		}
		return "", false
	}}
	code := run(e, append([]string{"k8s"}, args...))
	return code, out.String(), errb.String()
}

const k8sTestToken = "tok-3f9a1c-never-printed"

// decodeManifests decodes the printed stream strictly into the API's
// types, and checks that encoding them again gives the same text: no
// field was dropped or unknown.
func decodeManifests(t *testing.T, out string) (*corev1.ConfigMap, *batchv1.Job) {
	t.Helper()
	docs := strings.Split(out, "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("want 2 YAML documents, got %d:\n%s", len(docs), out)
	}
	docs[0] += "\n"
	var cm corev1.ConfigMap
	var job batchv1.Job
	for i, obj := range []any{&cm, &job} {
		if err := yaml.UnmarshalStrict([]byte(docs[i]), obj); err != nil {
			t.Fatalf("document %d does not decode strictly: %v\n%s", i, err, docs[i])
		}
		again, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != docs[i] {
			t.Errorf("document %d does not round-trip:\n%s\nbecame\n%s", i, docs[i], again)
		}
	}
	return &cm, &job
}

// k8sLayout writes a scenario in root/plans that reads a CSV beside it
// (a BOM, CRLF line ends, non-ASCII text) and a binary multipart file in
// root/shared, which it reaches with "..".
func k8sLayout(t *testing.T, csvExtra string) (root, scen string, files map[string][]byte) {
	t.Helper()
	root = t.TempDir()
	files = map[string][]byte{
		"plans/s.yaml": []byte(`name: split
variables:
  base: http://127.0.0.1:8080
  acct: {type: file, path: data/users.csv}
cases:
  - name: buy
    steps:
      - http: {method: POST, url: "${base}/buy/${acct.user}", multipart: {blob: {file: ../shared/blob.bin}}}
    stages: [{concurrency: 8, duration: 1m}]
`),
		"plans/data/users.csv": []byte("\xef\xbb\xbfuser,city\r\nzoë,Zürich\r\nbob,\"a, b\"\r\n" + csvExtra),
		"shared/blob.bin":      {0x00, 0xff, 0xfe, 0x80, '\n', 0xc3},
	}
	for p, data := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root, filepath.Join(root, "plans", "s.yaml"), files
}

func TestK8sManifests(t *testing.T) {
	_, scen, files := k8sLayout(t, "")
	before := time.Now()
	code, out, errOut := runK8sCmd(t, "--workers", "4", "--image", "registry.example.com/perfcase:1.0", "--namespace", "load",
		"--run-id", "Shop_Run.1", "--start-in", "90s", "--ttl", "1h", "--cpu", "2", "--memory", "512Mi",
		"--endpoint", "https://reports.example.com", "--project", "shop", "--token-secret", "report-token",
		"--set", "base=http://shop.load.svc:8080", "--label", "env=staging", scen)
	after := time.Now()
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if strings.Contains(out+errOut, k8sTestToken) {
		t.Fatal("the token from the environment is in the output")
	}
	cm, job := decodeManifests(t, out)

	name := k8s.Name("Shop_Run.1", 4)
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		t.Errorf("name %q: %v", name, errs)
	}
	if cm.Kind != "ConfigMap" || cm.APIVersion != "v1" || job.Kind != "Job" || job.APIVersion != "batch/v1" {
		t.Errorf("kinds: %s %s, %s %s", cm.APIVersion, cm.Kind, job.APIVersion, job.Kind)
	}
	for _, m := range []struct{ name, ns string }{{cm.Name, cm.Namespace}, {job.Name, job.Namespace}} {
		if m.name != name || m.ns != "load" {
			t.Errorf("object %s in %q, want %s in load", m.name, m.ns, name)
		}
	}
	if job.Annotations["perfcase/run-id"] != "Shop_Run.1" || job.Labels["app.kubernetes.io/instance"] != name ||
		job.Spec.Template.Labels["app.kubernetes.io/instance"] != name {
		t.Errorf("run labels: %v %v %v", job.Annotations, job.Labels, job.Spec.Template.Labels)
	}
	for k, v := range job.Spec.Template.Labels {
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			t.Errorf("label %s=%s: %v", k, v, errs)
		}
	}

	spec := job.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion ||
		spec.Completions == nil || *spec.Completions != 4 || spec.Parallelism == nil || *spec.Parallelism != 4 {
		t.Errorf("completion mode %v, completions %v, parallelism %v; want Indexed, 4, 4", spec.CompletionMode, spec.Completions, spec.Parallelism)
	}
	if spec.BackoffLimitPerIndex == nil || *spec.BackoffLimitPerIndex != 0 || spec.TTLSecondsAfterFinished == nil || *spec.TTLSecondsAfterFinished != 3600 {
		t.Errorf("backoffLimitPerIndex %v, ttl %v; want 0, 3600", spec.BackoffLimitPerIndex, spec.TTLSecondsAfterFinished)
	}
	pod := spec.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever || len(pod.Containers) != 1 {
		t.Fatalf("restartPolicy %s, %d containers", pod.RestartPolicy, len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.Image != "registry.example.com/perfcase:1.0" {
		t.Errorf("image %s", c.Image)
	}

	// The arguments, literally; --start-at is 90 s from now, whole seconds.
	var startAt string
	for i, a := range c.Args {
		if a == "--start-at" && i+1 < len(c.Args) {
			startAt = c.Args[i+1]
		}
	}
	at, err := time.Parse(time.RFC3339, startAt)
	if err != nil || at.Before(before.Add(90*time.Second)) || at.After(after.Add(91*time.Second)) || at.Nanosecond() != 0 {
		t.Errorf("--start-at %q (%v): want whole seconds from %v to %v", startAt, err, before.Add(90*time.Second), after.Add(91*time.Second))
	}
	want := []string{"run", "--segment", "$(JOB_COMPLETION_INDEX)/4", "--start-at", startAt, "--run-id", "Shop_Run.1",
		"--out", "/perfcase/out/report.json", "--set", "base=http://shop.load.svc:8080", "--label", "env=staging",
		"--upload", "--endpoint", "https://reports.example.com", "--project", "shop", "/perfcase/files/plans/s.yaml"}
	if strings.Join(c.Args, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("args:\n%q\nwant\n%q", c.Args, want)
	}

	// The index comes from the pod's annotation; the token from the Secret.
	if len(c.Env) != 2 || c.Env[0].Name != "JOB_COMPLETION_INDEX" || c.Env[0].ValueFrom == nil || c.Env[0].ValueFrom.FieldRef == nil ||
		c.Env[0].ValueFrom.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
		t.Fatalf("env: %+v", c.Env)
	}
	tok := c.Env[1]
	if tok.Name != "PERFCASE_TOKEN" || tok.Value != "" || tok.ValueFrom == nil || tok.ValueFrom.SecretKeyRef == nil ||
		tok.ValueFrom.SecretKeyRef.Name != "report-token" || tok.ValueFrom.SecretKeyRef.Key != "token" {
		t.Errorf("token env: %+v", tok)
	}

	for _, rl := range []corev1.ResourceList{c.Resources.Requests, c.Resources.Limits} {
		if rl.Cpu().Cmp(resource.MustParse("2")) != 0 || rl.Memory().Cmp(resource.MustParse("512Mi")) != 0 {
			t.Errorf("resources %v, want cpu 2, memory 512Mi", rl)
		}
	}
	sc := c.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || len(sc.Capabilities.Add) != 0 ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("container securityContext: %+v", sc)
	}
	if psc := pod.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("pod securityContext: %+v", psc)
	}

	// Every file is in the ConfigMap, byte for byte, and mounted where the
	// scenario's relative paths lead from where the pod reads it.
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	var items []corev1.KeyToPath
	out2 := false
	for _, v := range pod.Volumes {
		switch {
		case v.ConfigMap != nil && v.ConfigMap.Name == name && mounts[v.Name] == k8s.FilesDir:
			items = v.ConfigMap.Items
		case v.EmptyDir != nil && mounts[v.Name] == "/perfcase/out":
			out2 = true
		}
	}
	if !out2 {
		t.Error("no emptyDir at /perfcase/out for the report")
	}
	scenarioArg := c.Args[len(c.Args)-1]
	dir := path.Dir(scenarioArg)
	wantAt := map[string]string{"plans/s.yaml": scenarioArg, "plans/data/users.csv": path.Join(dir, "data/users.csv"),
		"shared/blob.bin": path.Join(dir, "../shared/blob.bin")}
	if len(items) != len(files) || len(cm.Data)+len(cm.BinaryData) != len(files) {
		t.Fatalf("items %v, data %d, binaryData %d; want %d files", items, len(cm.Data), len(cm.BinaryData), len(files))
	}
	for _, it := range items {
		if errs := validation.IsConfigMapKey(it.Key); len(errs) > 0 {
			t.Errorf("key %q: %v", it.Key, errs)
		}
		orig, ok := files[it.Path]
		if !ok {
			t.Errorf("item %s -> %s is no file of the scenario", it.Key, it.Path)
			continue
		}
		if path.Join(k8s.FilesDir, it.Path) != wantAt[it.Path] {
			t.Errorf("%s is mounted at %s, the scenario reads it at %s", it.Path, path.Join(k8s.FilesDir, it.Path), wantAt[it.Path])
		}
		got, text := cm.Data[it.Key]
		gotBytes := []byte(got)
		if !text {
			gotBytes = cm.BinaryData[it.Key]
		}
		if !bytes.Equal(gotBytes, orig) {
			t.Errorf("%s in the ConfigMap is %q, the file is %q", it.Path, gotBytes, orig)
		}
	}
	if _, ok := cm.BinaryData[items[2].Key]; !ok || items[2].Path != "shared/blob.bin" {
		t.Errorf("the binary file is not in binaryData: %v", items)
	}
	if !strings.Contains(errOut, "kubectl create secret generic report-token --from-file=token=FILE") {
		t.Errorf("stderr does not say how to create the Secret:\n%s", errOut)
	}
}

func TestK8sWithoutEndpoint(t *testing.T) {
	scen := writeScenario(t, validScenario)
	code, out, errOut := runK8sCmd(t, "--workers", "2", "--start-in", "0", scen)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	_, job := decodeManifests(t, out)
	c := job.Spec.Template.Spec.Containers[0]
	if len(c.Env) != 1 || c.Env[0].Name != "JOB_COMPLETION_INDEX" {
		t.Errorf("env without --endpoint: %+v", c.Env)
	}
	runID := job.Annotations["perfcase/run-id"]
	if !k8s.ValidRunID(runID) || !strings.HasPrefix(runID, "s-") {
		t.Errorf("generated run id %q", runID)
	}
	want := []string{"run", "--segment", "$(JOB_COMPLETION_INDEX)/2", "--run-id", runID, "--out", "/perfcase/out/report.json", "/perfcase/files/s.yaml"}
	if strings.Join(c.Args, " ") != strings.Join(want, " ") {
		t.Errorf("args %q, want %q", c.Args, want)
	}
	if c.Image != "perfcase:latest" || *job.Spec.TTLSecondsAfterFinished != 86400 {
		t.Errorf("defaults: image %s, ttl %d", c.Image, *job.Spec.TTLSecondsAfterFinished)
	}
	if !strings.Contains(errOut, "no --endpoint: each part's report is lost with its pod") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

func TestK8sWorkersAndUserReplicas(t *testing.T) {
	scen := writeScenario(t, strings.Replace(validScenario, "  - name: browse\n", "  - name: browse\n    user_replicas: 3\n", 1))
	code, out, errOut := runK8sCmd(t, scen)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if _, job := decodeManifests(t, out); *job.Spec.Completions != 3 || *job.Spec.Parallelism != 3 {
		t.Errorf("user_replicas 3: completions %d, parallelism %d", *job.Spec.Completions, *job.Spec.Parallelism)
	}
	code, out, errOut = runK8sCmd(t, "--workers", "5", scen)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if _, job := decodeManifests(t, out); *job.Spec.Completions != 5 || !strings.Contains(errOut, "note: --workers 5 overrides user_replicas 3 of case browse") {
		t.Errorf("--workers 5: completions %d, stderr:\n%s", *job.Spec.Completions, errOut)
	}
}

func TestK8sRefusesOverConfigMapLimit(t *testing.T) {
	_, scen, _ := k8sLayout(t, strings.Repeat("carol,Bern\r\n", (1<<20)/12+10))
	code, out, errOut := runK8sCmd(t, "--workers", "2", scen)
	if code != exitInvalid || out != "" {
		t.Fatalf("exit %d, stdout %d bytes; want 2 and nothing", code, len(out))
	}
	for _, want := range []string{"over the 1 MiB a ConfigMap holds", "the biggest: plans/data/users.csv (1.0 MiB), plans/s.yaml (", "Bake the data into the image", "mount a volume", "nothing was printed"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestK8sRefusals(t *testing.T) {
	good := writeScenario(t, validScenario)
	abs := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(abs, []byte("user\nann\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	absScen := writeScenario(t, strings.Replace(validScenario, "  base: http://127.0.0.1:8080\n", "  base: http://127.0.0.1:8080\n  acct: {type: file, path: "+abs+"}\n", 1))
	bad := writeScenario(t, "name: bad\ncases:\n  - name: c\n    steps:\n      - thnk: 1s\n    stages: [{concurrency: 1}]\n")
	// Valid as one run, but every pod's --segment I/3 would refuse it.
	unsplit := writeScenario(t, "name: unsplit\ncases:\n  - name: c\n    steps:\n      - think: 1ms\n    stages: [{concurrency: 2, count: 10}]\n")
	// 100,000 VUs of HTTP: half of them need about 1 GiB, over a pod of
	// 512 MiB; a twentieth of them fit.
	big := writeScenario(t, "name: big\ncases:\n  - name: c\n    steps:\n      - http: {url: \"http://127.0.0.1:8080/\"}\n    stages: [{concurrency: 100000, duration: 1m}]\n")
	if code, _, errOut := runK8sCmd(t, "--workers", "20", "--memory", "512Mi", big); code != exitOK {
		t.Errorf("a twentieth of 100,000 VUs in 512 MiB: exit %d\n%s", code, errOut)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--workers", "0", good}, []string{"--workers 0: give 1 pod or more"}},
		{[]string{good}, []string{"give --workers N, the number of pods: no case sets user_replicas"}},
		{[]string{"--workers", "2", bad}, []string{bad + ":5:9: unknown key \"thnk\"", bad + ":6:14: stage (concurrency) needs a duration or a count", "is not valid; nothing was printed"}},
		{[]string{"--workers", "3", unsplit}, []string{unsplit + ":6:15: case \"c\": a count stage of 2 VUs cannot run split in 3 parts", "cannot run split into 3 parts; nothing was printed"}},
		{[]string{"--workers", "2", "--memory", "512Mi", big}, []string{big + ":6:15: case \"c\", stage \"concurrency\": 50,000 VUs need about 1.0 GiB", "(each pod's --memory 512Mi)",
			"split into 2 does not fit a pod of --memory 512Mi: raise --memory or --workers; nothing was printed"}},
		{[]string{"--workers", "2", absScen}, []string{"names " + abs + " by an absolute path, which the pods do not have"}},
		{[]string{"--workers", "2", "-"}, []string{"name the scenario file, not -"}},
		{[]string{"--workers", "2", "--run-id", "a/b", good}, []string{`--run-id "a/b": use at most 128 letters`}},
		{[]string{"--workers", "2", "--project", "p", good}, []string{"--project and --insecure go with --endpoint"}},
		{[]string{"--workers", "2", "--endpoint", "http://reports.example.com", "--project", "p", good}, []string{"--insecure"}},
		{[]string{"--workers", "2", "--cpu", "lots", "--memory", "-1Gi", good}, []string{`--cpu "lots": give a positive Kubernetes quantity`, `--memory "-1Gi"`}},
		{[]string{"--workers", "2", "--ttl", "-1s", "--start-in", "-1s", good}, []string{"--ttl -1s", "--start-in is negative"}},
	} {
		code, out, errOut := runK8sCmd(t, tc.args...)
		if code != exitInvalid || out != "" {
			t.Errorf("%q: exit %d, stdout %q; want 2 and nothing", tc.args, code, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%q: stderr lacks %q:\n%s", tc.args, w, errOut)
			}
		}
	}
}

// TestScaleOutDocK8s runs the perfcase k8s command of docs/scale-out.md
// and checks that its table of flags names every flag the command has.
func TestScaleOutDocK8s(t *testing.T) {
	doc, err := os.ReadFile("../../docs/scale-out.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	i := strings.Index(text, "    perfcase k8s ")
	if i < 0 {
		t.Fatal("docs/scale-out.md has no perfcase k8s command")
	}
	cmdline, _, _ := strings.Cut(text[i:], "| kubectl")
	args := strings.Fields(strings.ReplaceAll(cmdline, "\\\n", " "))[2:]
	args[len(args)-1] = "../../" + args[len(args)-1]
	code, out, errOut := runK8sCmd(t, args...)
	if code != exitOK {
		t.Fatalf("%q: exit %d\n%s", args, code, errOut)
	}
	if _, job := decodeManifests(t, out); *job.Spec.Completions != 4 {
		t.Errorf("completions %d", *job.Spec.Completions)
	}

	code, help, _ := runK8sCmd(t, "--help")
	flags := regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(help, -1)
	if code != exitOK || len(flags) < 10 {
		t.Fatalf("k8s --help: exit %d, flags %q", code, flags)
	}
	for _, m := range flags {
		if !strings.Contains(text, "`--"+m[1]) {
			t.Errorf("docs/scale-out.md does not describe --%s", m[1])
		}
	}
}

// What the pods run, run here: the Job's own container args, with
// $(JOB_COMPLETION_INDEX) expanded as Kubernetes does for each index, the
// ConfigMap's files written where its items mount them and the token
// given as the Secret would give it, upload three parts of a count run to
// a report service on 127.0.0.1. The target sees exactly the run's count,
// each part's report says which part it is, and the service lists one
// whole run of that count.
func TestK8sPodArgsRunLocally(t *testing.T) {
	srv, hits := okServer(t)
	data := t.TempDir()
	token := makeToken(t, data, "shop", "write")
	base, _ := serveInProcess(t, "--data", data)
	scen := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(scen, []byte(`name: pods
variables:
  base: http://127.0.0.1:8080
cases:
  - name: c
    steps: [{http: {name: get, url: "${base}/"}}]
    stages: [{concurrency: 6, count: 300}]
    kpis: [requests == 300]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runK8sCmd(t, "--workers", "3", "--start-in", "1s", "--run-id", "pods-1",
		"--endpoint", base, "--project", "shop", "--set", "base="+srv.URL, scen)
	if code != exitOK {
		t.Fatalf("k8s: exit %d\n%s", code, errOut)
	}
	cm, job := decodeManifests(t, out)
	pod := job.Spec.Template.Spec
	c := pod.Containers[0]
	root, outDir := t.TempDir(), t.TempDir()
	for _, v := range pod.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		for _, it := range v.ConfigMap.Items {
			b, ok := cm.BinaryData[it.Key]
			if !ok {
				b = []byte(cm.Data[it.Key])
			}
			full := filepath.Join(root, filepath.FromSlash(it.Path))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	tokenFromSecret := false
	for _, ev := range c.Env {
		tokenFromSecret = tokenFromSecret || ev.Name == "PERFCASE_TOKEN" && ev.ValueFrom != nil && ev.ValueFrom.SecretKeyRef != nil
	}
	if !tokenFromSecret {
		t.Fatalf("the pod's env does not take PERFCASE_TOKEN from a Secret: %+v", c.Env)
	}
	for i := range int(*job.Spec.Completions) {
		args := make([]string, len(c.Args))
		for j, a := range c.Args {
			a = strings.ReplaceAll(a, "$("+k8s.IndexEnv+")", strconv.Itoa(i))
			a = strings.Replace(a, k8s.FilesDir, root, 1)
			args[j] = strings.Replace(a, "/perfcase/out", filepath.Join(outDir, strconv.Itoa(i)), 1)
		}
		os.MkdirAll(filepath.Join(outDir, strconv.Itoa(i)), 0o755)
		// Each part alone misses requests == 300: exit 1, its report
		// uploaded all the same.
		if code, stdout, stderr := uploadCmd(t, token, args...); code != exitFailed {
			t.Fatalf("pod %d (%q): exit %d\n%s%s", i, args, code, stdout, stderr)
		}
		rep, err := os.ReadFile(filepath.Join(outDir, strconv.Itoa(i), "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var r output.Report
		if err := json.Unmarshal(rep, &r); err != nil {
			t.Fatal(err)
		}
		if s := r.Result.Perfcase.Segment; s == nil || s.Index != i || s.Count != 3 || r.Result.Perfcase.RunID != "pods-1" {
			t.Errorf("pod %d's report: run %s, segment %+v", i, r.Result.Perfcase.RunID, s)
		}
	}
	if hits.Load() != 300 {
		t.Errorf("the target saw %d requests, want 300", hits.Load())
	}
	runs := serviceRuns(t, base, token)
	if len(runs) != 1 {
		t.Fatalf("the service lists %d runs", len(runs))
	}
	if r := runs[0]; r.RunID != "pods-1" || r.Parts != 3 || r.Partial || r.Requests != 300 || r.Verdict != "passed" {
		t.Errorf("the service has %+v, want 3 parts, whole, 300 requests, passed", r)
	}
}
