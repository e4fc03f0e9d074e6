package k8s

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

func TestName(t *testing.T) {
	long := strings.Repeat("Run.", 32)
	cases := map[string]string{
		"shop-20260101-120000-abcdef": "perfcase-shop-20260101-120000-abcdef",
		"Shop_Run.1":                  "",
		"shop_run.1":                  "",
		"shop-run-1":                  "perfcase-shop-run-1",
		"a:b":                         "",
		long:                          "",
		long[:len(long)-1] + "x":      "",
		"--x--":                       "",
	}
	seen := map[string]string{}
	for id, want := range cases {
		if !ValidRunID(id) {
			t.Errorf("ValidRunID(%q) = false", id)
		}
		got := Name(id, 10)
		if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
			t.Errorf("Name(%q) = %q: %v", id, got, errs)
		}
		// The Job controller names pod I's host name-I, unshortened.
		for _, workers := range []int{1, 10, 1000} {
			host := Name(id, workers) + "-" + strconv.Itoa(workers-1)
			if errs := validation.IsDNS1123Label(host); len(errs) > 0 {
				t.Errorf("Name(%q, %d): the last pod's host name %q: %v", id, workers, host, errs)
			}
		}
		if want != "" && got != want {
			t.Errorf("Name(%q) = %q, want %q", id, got, want)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("ids %q and %q share the name %q", id, other, got)
		}
		seen[got] = id
	}
	for _, bad := range []string{"", "a b", "a/b", "é", strings.Repeat("a", 129)} {
		if ValidRunID(bad) {
			t.Errorf("ValidRunID(%q) = true", bad)
		}
	}
}

func TestBuildKeysAndLimit(t *testing.T) {
	s := &Spec{RunID: "r", Image: "perfcase", Workers: 2, Scenario: "s.yaml", TokenSecret: "t",
		CPU: resource.MustParse("1"), Memory: resource.MustParse("1Gi"),
		Files: []File{{Path: "s.yaml", Data: []byte("name: s\n")}, {Path: "d/ü ber$.csv", Data: []byte("a\n")}, {Path: "d/.hidden", Data: []byte{0xff}}}}
	cm, job, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	items := job.Spec.Template.Spec.Volumes[0].ConfigMap.Items
	if len(items) != 3 {
		t.Fatalf("items %v", items)
	}
	for _, it := range items {
		if errs := validation.IsConfigMapKey(it.Key); len(errs) > 0 {
			t.Errorf("key %q of %s: %v", it.Key, it.Path, errs)
		}
	}
	if cm.Data[items[1].Key] != "a\n" || string(cm.BinaryData[items[2].Key]) != "\xff" {
		t.Errorf("data %v, binaryData %v", cm.Data, cm.BinaryData)
	}

	// Exactly the limit, keys counted, fits; a byte more does not.
	key0 := len("0-s.yaml")
	s.Files = []File{{Path: "s.yaml", Data: make([]byte, ConfigMapLimit-key0)}}
	if _, _, err := Build(s); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	s.Files[0].Data = append(s.Files[0].Data, 'x')
	_, _, err = Build(s)
	var tb *TooBigError
	if !errors.As(err, &tb) || tb.Total != ConfigMapLimit+1 || len(tb.Biggest) != 1 {
		t.Errorf("a byte over the limit: %v", err)
	}
}
