package perftest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Conversions between PerfTest's dotted JSON keys (with their condition
// expressions) and RFC 9535 JSONPath.

// perfTestKeyToJSONPath converts PerfTest's JSON key (a.b[0].c) and its
// optional condition (a.b[].c = v, which picks the element of a.b whose c
// is v) to an RFC 9535 JSONPath: $.a.b[0].c, or $.a.b[?@.c=='v'].c for
// key a.b[].c. PerfTest compares as text, so a value that reads as a JSON
// number or literal matches either type: [?@.c=='5' || @.c==5].
func perfTestKeyToJSONPath(key, cond string) (string, error) {
	if key == "" {
		return "", errors.New("json_key is empty")
	}
	if strings.HasPrefix(key, "$") {
		return "", fmt.Errorf("json_key %q is a JSONPath; json_key is PerfTest's dotted form, and a JSONPath goes in jsonpath", key)
	}
	if cond == "" {
		if strings.Contains(key, "[]") {
			return "", fmt.Errorf("json_key %q has [] but no condition picks the element", key)
		}
		p, err := dottedPath(key)
		return "$" + p, err
	}
	lhs, val, ok := strings.Cut(cond, "=")
	val = strings.TrimPrefix(val, "=")
	lhs, val = strings.TrimSpace(lhs), strings.TrimSpace(val)
	if !ok || strings.HasSuffix(lhs, "!") || strings.HasSuffix(lhs, "<") || strings.HasSuffix(lhs, ">") {
		return "", fmt.Errorf("condition %q is not of the form a.b[].c = v", cond)
	}
	prefix, field, ok := strings.Cut(lhs, "[].")
	if !ok || strings.Contains(field, "[]") || field == "" {
		return "", fmt.Errorf("condition %q is not of the form a.b[].c = v (one [] and a field after it)", cond)
	}
	rest, ok := strings.CutPrefix(key, prefix+"[]")
	if !ok || rest != "" && !strings.HasPrefix(rest, ".") || strings.Contains(rest, "[]") {
		return "", fmt.Errorf("json_key %q does not start with the condition's list %s[]", key, prefix)
	}
	pp, err := dottedPath(prefix)
	if err != nil {
		return "", err
	}
	fp, err := dottedPath(field)
	if err != nil {
		return "", err
	}
	rp := ""
	if rest != "" {
		if rp, err = dottedPath(rest[1:]); err != nil {
			return "", err
		}
	}
	filter := "@" + fp + "==" + jsonPathString(val)
	if isJSONLiteral(val) {
		filter += " || @" + fp + "==" + val
	}
	return "$" + pp + "[?" + filter + "]" + rp, nil
}

func isJSONLiteral(s string) bool {
	if s == "true" || s == "false" || s == "null" {
		return true
	}
	return s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') && json.Valid([]byte(s))
}

// dottedPath converts a.b[0].c to the JSONPath segments .a.b[0].c.
func dottedPath(key string) (string, error) {
	var b strings.Builder
	for i, seg := range strings.Split(key, ".") {
		name, idx, _ := strings.Cut(seg, "[")
		if idx != "" || strings.Contains(seg, "[") {
			idx = "[" + idx
		}
		if name == "" && (i > 0 || idx == "") {
			return "", fmt.Errorf("json_key %q has an empty name", key)
		}
		if strings.Contains(name, "]") {
			return "", fmt.Errorf("json_key %q: %q is not a name", key, name)
		}
		if name != "" {
			b.WriteString(jsonPathMember(name))
		}
		for idx != "" {
			end := strings.IndexByte(idx, ']')
			if !strings.HasPrefix(idx, "[") || end < 0 {
				return "", fmt.Errorf("json_key %q: %q is not an index like [0]", key, idx)
			}
			n := idx[1:end]
			if _, err := strconv.Atoi(n); err != nil || strings.HasPrefix(n, "+") {
				return "", fmt.Errorf("json_key %q: [%s] is not an index like [0]", key, n)
			}
			b.WriteString("[" + n + "]")
			idx = idx[end+1:]
		}
	}
	return b.String(), nil
}

// jsonPathMember writes a member name as .name when RFC 9535's shorthand
// allows it, else as ['name'].
func jsonPathMember(name string) string {
	for i, r := range name {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80 || i > 0 && r >= '0' && r <= '9' {
			continue
		}
		return "[" + jsonPathString(name) + "]"
	}
	return "." + name
}

func jsonPathString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch {
		case r == '\'' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// jsonPathToPerfTestKey is the inverse of perfTestKeyToJSONPath for the
// paths it writes; ok is false for any other path.
func jsonPathToPerfTestKey(path string) (key, cond string, ok bool) {
	rest, found := strings.CutPrefix(path, "$")
	if !found {
		return "", "", false
	}
	var keyB strings.Builder
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, "[?@"):
			end := filterEnd(rest)
			if cond != "" || end < 0 {
				return "", "", false
			}
			field, lit, found := strings.Cut(rest[3:end], "==")
			if !found {
				return "", "", false
			}
			fkey, _, fok := jsonPathToPerfTestKey("$" + field)
			val, vok := unquoteJSONPathString(strings.SplitN(lit, " || ", 2)[0])
			if !fok || !vok {
				return "", "", false
			}
			cond = keyB.String() + "[]." + fkey + " = " + val
			keyB.WriteString("[]")
			rest = rest[end+1:]
		case strings.HasPrefix(rest, "."):
			n := 1
			for n < len(rest) && rest[n] != '.' && rest[n] != '[' {
				n++
			}
			if keyB.Len() > 0 {
				keyB.WriteByte('.')
			}
			keyB.WriteString(rest[1:n])
			rest = rest[n:]
		case strings.HasPrefix(rest, "['"):
			end := strings.Index(rest, "']")
			if end < 0 {
				return "", "", false
			}
			name, vok := unquoteJSONPathString(rest[1 : end+1])
			if !vok {
				return "", "", false
			}
			if keyB.Len() > 0 {
				keyB.WriteByte('.')
			}
			keyB.WriteString(name)
			rest = rest[end+2:]
		case strings.HasPrefix(rest, "["):
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return "", "", false
			}
			keyB.WriteString(rest[:end+1])
			rest = rest[end+1:]
		default:
			return "", "", false
		}
	}
	key = keyB.String()
	// Only a path that converts back to itself has a faithful dotted form.
	if back, err := perfTestKeyToJSONPath(key, cond); err != nil || back != path {
		return "", "", false
	}
	return key, cond, true
}

// filterEnd is the index of the ] that closes the filter selector at the
// start of s, skipping quoted strings; -1 if there is none.
func filterEnd(s string) int {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch {
		case quoted && s[i] == '\\':
			i++
		case s[i] == '\'':
			quoted = !quoted
		case !quoted && s[i] == ']':
			return i
		}
	}
	return -1
}

func unquoteJSONPathString(s string) (string, bool) {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return "", false
	}
	var b strings.Builder
	body := s[1 : len(s)-1]
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(body) {
			return "", false
		}
		i++
		switch body[i] {
		case '\'', '\\':
			b.WriteByte(body[i])
		case 'u':
			if i+4 >= len(body) {
				return "", false
			}
			n, err := strconv.ParseUint(body[i+1:i+5], 16, 16)
			if err != nil {
				return "", false
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			return "", false
		}
	}
	return b.String(), true
}
