package importers

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/perfcase/perfcase/scenario"
	"gopkg.in/yaml.v3"
)

// YAML writes a conversion as perfcase import does: the scenario as
// scenario.FormatYAML writes it, the header first, and each comment above
// the variable, step or extraction it is about.
func YAML(c *Converted) ([]byte, error) {
	text, err := scenario.FormatYAML(c.File)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil || len(doc.Content) != 1 {
		return nil, fmt.Errorf("reading back the YAML of %s: %v", c.File.Name, err)
	}
	root := doc.Content[0]
	var head []string
	for _, l := range c.Header {
		head = append(head, "# "+l)
	}
	root.HeadComment = strings.Join(head, "\n")
	if vars := mapValue(root, "variables"); vars != nil {
		for _, v := range c.File.Variables {
			comment(c, v, mapKey(vars, v.Name))
		}
	}
	if txs := mapValue(root, "transactions"); txs != nil {
		for _, t := range c.File.Transactions {
			n := mapValue(txs, t.Name)
			if n != nil && n.Kind == yaml.MappingNode {
				n = mapValue(n, "steps")
			}
			commentSteps(c, t.Steps, n)
		}
	}
	if cases := mapValue(root, "cases"); cases != nil && len(cases.Content) == len(c.File.Cases) {
		for i, cs := range c.File.Cases {
			commentSteps(c, cs.Setup, mapValue(cases.Content[i], "setup"))
			commentSteps(c, cs.Steps, mapValue(cases.Content[i], "steps"))
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func commentSteps(c *Converted, steps []*scenario.Step, seq *yaml.Node) {
	if seq == nil || seq.Kind != yaml.SequenceNode || len(seq.Content) != len(steps) {
		return
	}
	for i, s := range steps {
		item := seq.Content[i]
		comment(c, s, item)
		if s.Kind != scenario.StepRequest || len(s.Request.Extract) == 0 {
			continue
		}
		ex := mapValue(item, "extract")
		for _, e := range s.Request.Extract {
			comment(c, e, mapKey(ex, e.Var))
		}
	}
}

func comment(c *Converted, owner any, n *yaml.Node) {
	if text, ok := c.Comments[owner]; ok && n != nil {
		n.HeadComment = "# " + strings.ReplaceAll(text, "\n", "\n# ")
	}
}

func mapKey(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return nil
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
