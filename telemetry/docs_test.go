package telemetry

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// docs/live-metrics.md's table is the families': each row names one, in
// both spellings, with its unit, type and labels, and each family has
// its row.
func TestDocsTable(t *testing.T) {
	doc, err := os.ReadFile("../docs/live-metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	types := map[famType]string{counter: "counter", gauge: "gauge", histogram: "histogram"}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "| `perfcase_") {
			cells := strings.Split(strings.Trim(line, "|"), "|")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			rows[strings.Trim(cells[0], "`")] = cells
		}
	}
	if len(rows) != len(families) {
		t.Errorf("the table has %d rows, there are %d families", len(rows), len(families))
	}
	for _, f := range families {
		r, ok := rows[f.prom]
		if !ok {
			t.Errorf("no row for %s", f.prom)
			continue
		}
		otel := "`" + f.otel + "`"
		if f.unit != "" {
			otel += " (`" + f.unit + "`)"
		}
		labels := regexp.MustCompile("`(\\w+)`").FindAllStringSubmatch(r[3], -1)
		var names []string
		for _, l := range labels {
			names = append(names, l[1])
		}
		if r[1] != otel || r[2] != types[f.typ] || strings.Join(names, ",") != strings.Join(f.labels, ",") {
			t.Errorf("the row of %s is %q; the family is %s, %s, %v", f.prom, r[:4], otel, types[f.typ], f.labels)
		}
	}
}
