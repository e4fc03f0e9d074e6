package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/perfcase/perfcase/k8s"
	"github.com/perfcase/perfcase/runner"
	"github.com/perfcase/perfcase/scenario"
	"github.com/perfcase/perfcase/upload"
)

const k8sUsage = `usage: perfcase k8s [flags] FILE

Prints the Kubernetes manifests that run a scenario split over N pods,
for kubectl apply: a ConfigMap holding the scenario and every data file
it reads (CSV files, multipart files, FLV files to publish, MQTT
certificates), laid out as they are here so that relative paths resolve;
and an Indexed Job of N pods, pod I running
  perfcase run --segment I/N --start-at TIME --run-id ID --out /perfcase/out/report.json FILE
so that the N parts together put exactly the scenario's load on the
target, starting together at TIME (now + --start-in). With --endpoint,
each pod uploads its part (--upload), reading the token from the Secret
named by --token-secret (key "token") into PERFCASE_TOKEN: the token is
never in the manifests. Parts uploaded with one run id are one run in
'perfcase serve'.

The scenario is checked first, exactly as each pod's 'perfcase run
--segment I/N' checks it, and the biggest part's VUs must fit a pod's
--memory; nothing is printed unless both hold. N is --workers, or else
the cases' user_replicas when they agree; --workers overrides
user_replicas.
A ConfigMap holds at most 1 MiB: bigger data is refused, naming the
biggest files. A failed pod is not retried (a part run twice would double
its load); the others run on.

Example:
  kubectl create secret generic perfcase-token --from-file=token=./token.txt
  perfcase k8s --workers 4 --image registry.example.com/perfcase:1.0 \
    --endpoint https://reports.example.com --project shop examples/shop.yaml \
    | kubectl apply --server-side -f -

Exit status: 0 the manifests were printed, 2 the scenario or the command
line is invalid (nothing was printed).

Flags:
`

// k8sFlags is the command line of perfcase k8s.
type k8sFlags struct {
	workers                        int
	image, namespace, runID        string
	startIn, ttl                   time.Duration
	endpoint, project, tokenSecret string
	insecure                       bool
	cpu, memory                    string
	sets                           setFlags
	labels                         labelFlags
}

func runK8s(e *env, args []string) error {
	fs := newFlagSet(e, "k8s", k8sUsage)
	f := &k8sFlags{sets: setFlags{}, labels: labelFlags{}}
	fs.IntVar(&f.workers, "workers", 0, "split the run over `N` pods (default: the cases' user_replicas)")
	fs.StringVar(&f.image, "image", "perfcase:latest", "the perfcase `image` the pods run (see the Dockerfile)")
	fs.StringVar(&f.namespace, "namespace", "", "the `namespace` of the ConfigMap and the Job (default: kubectl's)")
	fs.DurationVar(&f.startIn, "start-in", 2*time.Minute, "start every part this long from now (--start-at), time for the pods to be scheduled and pull the image; 0: each part starts when its pod runs")
	fs.StringVar(&f.runID, "run-id", "", "the run's `id`, shared by its parts (default: the scenario's name, the time and a random suffix)")
	fs.StringVar(&f.endpoint, "endpoint", "", "upload each part to the report service at `URL` (perfcase run --upload)")
	fs.StringVar(&f.project, "project", "", "the report service's project `id`")
	fs.BoolVar(&f.insecure, "insecure", false, "allow an http:// endpoint that is not loopback, as a Service inside the cluster is")
	fs.StringVar(&f.tokenSecret, "token-secret", "perfcase-token", "the Secret `name` holding the report service's token under the key \"token\"")
	fs.StringVar(&f.cpu, "cpu", "1", "each pod's CPU request and limit, as Kubernetes writes it (1, 500m)")
	fs.StringVar(&f.memory, "memory", "1Gi", "each pod's memory request and limit, as Kubernetes writes it (512Mi, 2Gi)")
	fs.DurationVar(&f.ttl, "ttl", 24*time.Hour, "delete the Job and its pods this long after it finished (ttlSecondsAfterFinished)")
	fs.Var(f.sets, "set", "override a variable: name=value (repeatable), here and in every pod")
	fs.Var(f.labels, "label", "label the run `key=value` for the report service (repeatable)")
	file, done, err := fs.oneFile(args, "name one scenario file, e.g. perfcase k8s --workers 4 examples/shop.yaml")
	if done || err != nil {
		return err
	}
	workersGiven := false
	fs.Visit(func(fl *flag.Flag) { workersGiven = workersGiven || fl.Name == "workers" })
	spec, err := f.spec(fs, workersGiven)
	if err != nil {
		return err
	}
	if file == "-" {
		return fs.mistake("name the scenario file, not -: its data files are found beside it")
	}

	maxSize := sizeFlag(scenario.DefaultMaxFileSize)
	loaded, err := openScenario(e, file, scenario.Options{Set: f.sets}, &maxSize)
	if err != nil {
		name := scenarioName(loaded, file)
		reportScenarioError(e.stderr, name, err)
		return &exitError{code: exitInvalid, err: fmt.Errorf("%s is not valid; nothing was printed", name)}
	}
	if errs := runner.Check(loaded.Plan); len(errs) > 0 {
		reportScenarioError(e.stderr, file, errs)
		return &exitError{code: exitInvalid, err: fmt.Errorf("%s uses what the run engine cannot do yet; nothing was printed", file)}
	}
	for _, w := range loaded.Plan.Warnings {
		fmt.Fprintf(e.stderr, "warning: %v\n", w)
	}
	if spec.Workers, err = workers(e, loaded.File, f.workers, workersGiven); err != nil {
		return err
	}
	// Every pod runs --segment I/N, which refuses these: a Job printed
	// anyway would have each of its pods fail.
	if errs := loaded.Plan.CheckSegment(spec.Workers); len(errs) > 0 {
		reportScenarioError(e.stderr, file, errs)
		return &exitError{code: exitInvalid, err: fmt.Errorf("%s cannot run split into %d parts; nothing was printed", file, spec.Workers)}
	}
	// Part 0 has the biggest share of every stage's VUs; if it does not fit
	// a pod's memory limit, the kernel would kill the pod mid-run.
	pod := runner.Machine{Memory: spec.Memory.Value(), MemoryFrom: "each pod's --memory " + f.memory}
	if errs := runner.CheckPart(loaded.Plan, scenario.Segment{Index: 0, Count: spec.Workers}, pod); len(errs) > 0 {
		reportScenarioError(e.stderr, file, errs)
		return &exitError{code: exitInvalid, err: fmt.Errorf("a part of %s split into %d does not fit a pod of --memory %s: raise --memory or --workers; nothing was printed", file, spec.Workers, f.memory)}
	}
	spec.Scenario, spec.Files, err = scenarioFiles(e, file, f.sets)
	if err != nil {
		return &exitError{code: exitInvalid, err: fmt.Errorf("%v; nothing was printed", err)}
	}
	if spec.RunID == "" {
		spec.RunID = newRunID(file, time.Now())
	}
	if f.startIn > 0 {
		spec.StartAt = time.Now().Add(f.startIn).Truncate(time.Second).Add(time.Second)
	}
	cm, job, err := k8s.Build(spec)
	if err != nil {
		return &exitError{code: exitInvalid, err: fmt.Errorf("%v; nothing was printed", err)}
	}
	if err := k8s.Write(e.stdout, cm, job); err != nil {
		return err
	}
	start := "each as soon as its pod runs"
	if !spec.StartAt.IsZero() {
		start = "together at " + spec.StartAt.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(e.stderr, "perfcase: run %s: Job %s, %d parts, starting %s\n", spec.RunID, job.Name, spec.Workers, start)
	if spec.Endpoint == "" {
		fmt.Fprintln(e.stderr, "perfcase: no --endpoint: each part's report is lost with its pod; only the summary in its log remains")
	} else {
		fmt.Fprintf(e.stderr, "perfcase: the pods read the token from Secret %s (key %s): kubectl create secret generic %s --from-file=%s=FILE\n",
			spec.TokenSecret, k8s.TokenKey, spec.TokenSecret, k8s.TokenKey)
	}
	return nil
}

// spec checks the flags that do not need the scenario; every mistake is
// found before the scenario is read.
func (f *k8sFlags) spec(fs *flagSet, workersGiven bool) (*k8s.Spec, error) {
	var errs []string
	if workersGiven && f.workers < 1 {
		errs = append(errs, fmt.Sprintf("--workers %d: give 1 pod or more", f.workers))
	}
	if f.image == "" {
		errs = append(errs, "--image is empty: name the perfcase image the pods run")
	}
	if f.runID != "" && !k8s.ValidRunID(f.runID) {
		errs = append(errs, fmt.Sprintf("--run-id %q: use at most 128 letters, digits, '.', '_', ':' and '-'", f.runID))
	}
	if f.startIn < 0 {
		errs = append(errs, "--start-in is negative: give how long from now the parts start, or 0")
	}
	if f.ttl < 0 || f.ttl/time.Second > math.MaxInt32 {
		errs = append(errs, fmt.Sprintf("--ttl %v: give a duration from 0 to %d seconds", f.ttl, math.MaxInt32))
	}
	quantity := func(name, v string) resource.Quantity {
		q, err := resource.ParseQuantity(v)
		if err != nil || q.Sign() <= 0 {
			errs = append(errs, fmt.Sprintf("--%s %q: give a positive Kubernetes quantity, e.g. %s", name, v, map[string]string{"cpu": "2 or 500m", "memory": "512Mi or 2Gi"}[name]))
		}
		return q
	}
	s := &k8s.Spec{RunID: f.runID, Namespace: f.namespace, Image: f.image, Endpoint: f.endpoint, Project: f.project,
		Insecure: f.insecure, TokenSecret: f.tokenSecret, TTL: f.ttl, CPU: quantity("cpu", f.cpu), Memory: quantity("memory", f.memory)}
	switch {
	case f.endpoint != "":
		c := upload.Client{Endpoint: f.endpoint, Project: f.project, Insecure: f.insecure}
		if f.project == "" {
			errs = append(errs, "--endpoint needs --project, the id of the project the run goes to")
		} else if err := c.Check(); err != nil {
			errs = append(errs, err.Error())
		}
		if f.tokenSecret == "" {
			errs = append(errs, "--token-secret is empty: name the Secret that holds the token")
		}
	case f.project != "" || f.insecure:
		errs = append(errs, "--project and --insecure go with --endpoint, the report service the parts upload to")
	}
	for _, kv := range sortedPairs(f.sets) {
		s.Sets = append(s.Sets, kv)
	}
	for _, kv := range sortedPairs(f.labels) {
		s.Labels = append(s.Labels, kv)
	}
	if len(errs) > 0 {
		return nil, fs.mistake("%s", strings.Join(errs, "; "))
	}
	return s, nil
}

func sortedPairs[M ~map[string]string](m M) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// workers is the number of parts: --workers when given, which overrides
// user_replicas; else the user_replicas the enabled cases set, when they
// agree.
func workers(e *env, f *scenario.File, flagN int, given bool) (int, error) {
	replicas := map[int][]string{}
	for _, c := range f.Cases {
		if !c.Disabled && c.Replicas > 0 {
			replicas[c.Replicas] = append(replicas[c.Replicas], c.Name)
		}
	}
	if given {
		for n, cases := range replicas {
			if n != flagN {
				fmt.Fprintf(e.stderr, "note: --workers %d overrides user_replicas %d of case %s\n", flagN, n, strings.Join(cases, ", "))
			}
		}
		return flagN, nil
	}
	switch len(replicas) {
	case 1:
		for n := range replicas {
			return n, nil
		}
	case 0:
		return 0, usageError("give --workers N, the number of pods: no case sets user_replicas")
	}
	return 0, usageError("give --workers N, the number of pods: the cases' user_replicas differ")
}

// scenarioFiles loads the scenario once more, keeping every file the
// loader reads, so that what ships is what was validated: the scenario's
// bytes and each data file's as the compiler read them. Paths are
// relative to the directory that holds them all, which is mounted at
// k8s.FilesDir.
func scenarioFiles(e *env, file string, sets setFlags) (string, []k8s.File, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", nil, err
	}
	src, err := os.ReadFile(abs)
	if err != nil {
		return "", nil, fmt.Errorf("cannot read %s: %v", file, pathErr(err))
	}
	// The loader is given a relative name, so that a path it reads is
	// absolute only when the scenario wrote it so: a path the pods
	// cannot have.
	cwd, err := os.Getwd()
	if err != nil {
		return "", nil, err
	}
	rel, err := filepath.Rel(cwd, abs)
	if err != nil {
		return "", nil, err
	}
	read := map[string][]byte{}
	var absolute []string
	opts := scenario.Options{Set: sets, LookupEnv: e.lookupEnv, Importers: formats, ReadFile: func(p string) ([]byte, error) {
		if filepath.IsAbs(p) {
			absolute = append(absolute, p)
		}
		// The loader held the file to its limit when it validated the
		// scenario; the biggest limit holds here.
		data, err := scenario.ReadDataFile(p, scenario.MaxDataFileSize)
		if err == nil {
			read[filepath.Join(cwd, p)] = data
		}
		return data, err
	}}
	if _, err := scenario.Open(rel, opts); err != nil {
		return "", nil, fmt.Errorf("%s changed while it was read: %v", file, err)
	}
	if len(absolute) > 0 {
		return "", nil, fmt.Errorf("%s names %s by an absolute path, which the pods do not have: write it relative to the scenario", file, strings.Join(absolute, ", "))
	}
	if again, err := os.ReadFile(abs); err != nil || !bytes.Equal(again, src) {
		return "", nil, fmt.Errorf("%s changed while it was read", file)
	}
	root := filepath.Dir(abs)
	for p := range read {
		for !strings.HasPrefix(p, root+string(filepath.Separator)) && root != filepath.Dir(root) {
			root = filepath.Dir(root)
		}
	}
	relTo := func(p string) string {
		r, _ := filepath.Rel(root, p)
		return filepath.ToSlash(r)
	}
	files := []k8s.File{{Path: relTo(abs), Data: src}}
	var paths []string
	for p := range read {
		if p != abs {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		files = append(files, k8s.File{Path: relTo(p), Data: read[p]})
	}
	return files[0].Path, files, nil
}

// newRunID names a run after its scenario and when it was planned, with
// a random suffix so that two runs planned in the same second differ.
func newRunID(file string, now time.Time) string {
	stem := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	var b strings.Builder
	for _, r := range strings.ToLower(stem) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
	}
	slug := strings.Trim(b.String(), "-")
	slug = strings.TrimRight(slug[:min(len(slug), 24)], "-")
	if slug == "" {
		slug = "run"
	}
	var r [3]byte
	rand.Read(r[:])
	return slug + "-" + now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(r[:])
}
