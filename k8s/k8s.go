// Package k8s builds the Kubernetes manifests of a run split over the
// pods of an Indexed Job (perfcase k8s): a ConfigMap with the scenario
// and its data files, and the Job whose pod I runs part I of N.
//
// The manifests are the Kubernetes API's own Go types, serialised as the
// API server reads them, so a field the API does not have cannot be
// written; the tests decode the output strictly into the same types.
package k8s

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Where the pods find what they read and write.
const (
	// FilesDir is where the ConfigMap's files are mounted, laid out as
	// they are on the machine that ran perfcase k8s, so that the paths a
	// scenario gives relative to itself resolve the same.
	FilesDir = "/perfcase/files"
	// ReportFile is where each pod's run writes its report, on an
	// emptyDir: the root file system is read-only, and --upload needs the
	// report on disk before it travels.
	ReportFile = "/perfcase/out/report.json"
	// TokenEnv is the variable perfcase run --upload reads the token from.
	TokenEnv = "PERFCASE_TOKEN"
	// TokenKey is the key of the token in its Secret.
	TokenKey = "token"
	// IndexEnv is the completion index of the pod, 0 to N-1.
	IndexEnv = "JOB_COMPLETION_INDEX"
	// ConfigMapLimit is what the API server accepts in one ConfigMap's
	// data and binaryData.
	ConfigMapLimit = 1 << 20
	// UID is the user the pods run as: distroless' nonroot, which the
	// image's final stage uses too.
	UID = 65532
)

// File is a file the pods read: the scenario or a data file it names.
type File struct {
	Path string // slash-separated, relative to FilesDir
	Data []byte
}

// Spec is what perfcase k8s was asked for; Build turns it into
// manifests.
type Spec struct {
	RunID     string
	Namespace string // empty: kubectl's current namespace
	Image     string
	Workers   int
	StartAt   time.Time // zero: each part starts when its pod runs
	// Scenario is the Path, among Files, of the scenario.
	Scenario string
	Files    []File
	// Sets and Labels are run's --set and --label, passed on as they
	// are, in order.
	Sets, Labels []string

	// Endpoint, Project and Insecure are run's upload flags; no Endpoint,
	// no upload.
	Endpoint, Project string
	Insecure          bool
	TokenSecret       string // the Secret holding the token under TokenKey

	CPU, Memory resource.Quantity // each pod's requests, and its limits
	TTL         time.Duration     // how long a finished Job is kept
}

// Name is the name of the ConfigMap and the Job of a run over workers
// pods: perfcase- and the run id, made a DNS label short enough that the
// hostname the Job controller gives pod I, the name, "-" and I, is still
// one (at most 63 lowercase letters, digits and -): Kubernetes does not
// shorten it, and a pod with a longer one is never created. An id that
// had to be changed to fit ends with a hash of itself, so two ids never
// share a name.
func Name(runID string, workers int) string {
	limit := 63 - len("-"+strconv.Itoa(max(workers-1, 0)))
	var b strings.Builder
	b.WriteString("perfcase-")
	for _, r := range strings.ToLower(runID) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	name := strings.TrimRight(b.String(), "-")
	if name == "perfcase-"+runID && len(name) <= limit {
		return name
	}
	sum := sha256.Sum256([]byte(runID))
	suffix := "-" + hex.EncodeToString(sum[:4])
	return strings.TrimRight(name[:min(len(name), limit-len(suffix))], "-") + suffix
}

// ValidRunID reports whether id can be a run id: the rule of the report
// service's idempotency key, which the run id is.
func ValidRunID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == ':', r == '-':
		default:
			return false
		}
	}
	return true
}

// runArgs are the arguments of the perfcase each pod runs (the image's
// entrypoint): part $(JOB_COMPLETION_INDEX) of Workers, which Kubernetes
// expands from the container's environment.
func runArgs(s *Spec) []string {
	args := []string{"run", "--segment", "$(" + IndexEnv + ")/" + strconv.Itoa(s.Workers)}
	if !s.StartAt.IsZero() {
		args = append(args, "--start-at", s.StartAt.UTC().Format(time.RFC3339))
	}
	args = append(args, "--run-id", s.RunID, "--out", ReportFile)
	for _, kv := range s.Sets {
		args = append(args, "--set", kv)
	}
	for _, kv := range s.Labels {
		args = append(args, "--label", kv)
	}
	if s.Endpoint != "" {
		args = append(args, "--upload", "--endpoint", s.Endpoint, "--project", s.Project)
		if s.Insecure {
			args = append(args, "--insecure")
		}
	}
	return append(args, path.Join(FilesDir, s.Scenario))
}

// TooBigError is a ConfigMap the API server would refuse.
type TooBigError struct {
	Total   int
	Biggest []File // the biggest files, biggest first
}

func (e *TooBigError) Error() string {
	var names []string
	for _, f := range e.Biggest {
		names = append(names, fmt.Sprintf("%s (%s)", f.Path, size(len(f.Data))))
	}
	return fmt.Sprintf("the scenario and its data files are %s, over the 1 MiB a ConfigMap holds; the biggest: %s. "+
		"Bake the data into the image (a Dockerfile FROM the perfcase image that COPYs it) or mount a volume that holds it, "+
		"and write its paths in the scenario as the pods see them",
		size(e.Total), strings.Join(names, ", "))
}

func size(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	if n >= 1<<10 {
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Build makes the ConfigMap and the Job of a spec, or a *TooBigError
// when the files do not fit a ConfigMap.
func Build(s *Spec) (*corev1.ConfigMap, *batchv1.Job, error) {
	name := Name(s.RunID, s.Workers)
	labels := map[string]string{
		"app.kubernetes.io/name":      "perfcase",
		"app.kubernetes.io/instance":  name,
		"app.kubernetes.io/component": "load-generator",
	}
	meta := metav1.ObjectMeta{Name: name, Namespace: s.Namespace, Labels: labels,
		Annotations: map[string]string{"perfcase/run-id": s.RunID, "perfcase/scenario": s.Scenario}}

	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: meta}
	var items []corev1.KeyToPath
	total := 0
	for i, f := range s.Files {
		key := fileKey(i, f.Path)
		// The API counts the bytes of the values; the keys are counted
		// too, so that a change in how it counts cannot let through what
		// it refuses.
		total += len(key) + len(f.Data)
		if utf8.Valid(f.Data) {
			if cm.Data == nil {
				cm.Data = map[string]string{}
			}
			cm.Data[key] = string(f.Data)
		} else {
			if cm.BinaryData == nil {
				cm.BinaryData = map[string][]byte{}
			}
			cm.BinaryData[key] = f.Data
		}
		items = append(items, corev1.KeyToPath{Key: key, Path: f.Path})
	}
	if total > ConfigMapLimit {
		return nil, nil, &TooBigError{Total: total, Biggest: biggest(s.Files, 3)}
	}

	container := corev1.Container{
		Name:            "perfcase",
		Image:           s.Image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Args:            runArgs(s),
		// The Job controller sets this variable too; declaring it makes
		// the $(JOB_COMPLETION_INDEX) in the arguments expand whatever
		// the cluster's version.
		Env: []corev1.EnvVar{{Name: IndexEnv, ValueFrom: &corev1.EnvVarSource{
			FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}}},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: s.CPU, corev1.ResourceMemory: s.Memory},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: s.CPU, corev1.ResourceMemory: s.Memory},
		},
		SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot:             ptr(true),
			RunAsUser:                ptr(int64(UID)),
			RunAsGroup:               ptr(int64(UID)),
			ReadOnlyRootFilesystem:   ptr(true),
			AllowPrivilegeEscalation: ptr(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		VolumeMounts: []corev1.VolumeMount{
			{Name: "files", MountPath: FilesDir, ReadOnly: true},
			{Name: "out", MountPath: path.Dir(ReportFile)},
		},
	}
	if s.Endpoint != "" {
		container.Env = append(container.Env, corev1.EnvVar{Name: TokenEnv, ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: s.TokenSecret}, Key: TokenKey}}})
	}
	outLimit := resource.MustParse("1Gi")
	pod := corev1.PodSpec{
		RestartPolicy: corev1.RestartPolicyNever,
		// A load generator talks to its target and the report service,
		// never to the Kubernetes API.
		AutomountServiceAccountToken: ptr(false),
		EnableServiceLinks:           ptr(false),
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr(true),
			RunAsUser:      ptr(int64(UID)),
			RunAsGroup:     ptr(int64(UID)),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{container},
		Volumes: []corev1.Volume{
			{Name: "files", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: name}, Items: items, DefaultMode: ptr(int32(0o444))}}},
			{Name: "out", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: &outLimit}}},
		},
	}
	n := int32(s.Workers)
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: meta,
		Spec: batchv1.JobSpec{
			CompletionMode: ptr(batchv1.IndexedCompletion),
			Completions:    ptr(n),
			Parallelism:    ptr(n),
			// A part that ran again would add its load a second time and
			// upload a second report for its index: a failed part is
			// never retried, and the others run on, so the run is
			// reported partial rather than doubled or cut short.
			BackoffLimitPerIndex:    ptr(int32(0)),
			TTLSecondsAfterFinished: ptr(int32(s.TTL / time.Second)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       pod,
			},
		},
	}
	return cm, job, nil
}

// fileKey is a file's key in the ConfigMap: its index, which makes it
// unique, then its base name made of the characters a key may have, so
// that kubectl shows which file it is.
func fileKey(i int, p string) string {
	base := []byte(path.Base(p))
	for j, c := range base {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			base[j] = '_'
		}
	}
	return fmt.Sprintf("%d-%s", i, base[:min(len(base), 200)])
}

func biggest(files []File, n int) []File {
	sorted := append([]File(nil), files...)
	sort.SliceStable(sorted, func(i, j int) bool { return len(sorted[i].Data) > len(sorted[j].Data) })
	return sorted[:min(n, len(sorted))]
}

// Write writes the manifests as one YAML stream, as kubectl apply -f -
// reads it.
func Write(w io.Writer, cm *corev1.ConfigMap, job *batchv1.Job) error {
	var b bytes.Buffer
	for i, obj := range []any{cm, job} {
		data, err := yaml.Marshal(obj)
		if err != nil {
			return err
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(data)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func ptr[T any](v T) *T { return &v }
