package reporters

import "bytes"

// indentJSON appends compact JSON src to dst indented by two spaces, as
// json.Indent does, except that an array holding no object or array is
// written on one line, as compact: the report's per-second columns would
// otherwise take a line per number (a one-hour run's curves, millions of
// lines).
func indentJSON(dst *bytes.Buffer, src []byte) {
	src = bytes.TrimSpace(src)
	depth := 0
	newline := func() {
		dst.WriteByte('\n')
		for range depth {
			dst.WriteString("  ")
		}
	}
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '"':
			j := stringEnd(src, i)
			dst.Write(src[i:j])
			i = j - 1
		case '{', '[':
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst.Write(src[i : i+2])
				i++
				continue
			}
			if c == '[' {
				if j, flat := flatArray(src, i); flat {
					dst.Write(src[i:j])
					i = j - 1
					continue
				}
			}
			dst.WriteByte(c)
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst.WriteByte(c)
		case ',':
			dst.WriteByte(c)
			newline()
		case ':':
			dst.WriteString(": ")
		default:
			dst.WriteByte(c)
		}
	}
	dst.WriteByte('\n')
}

// stringEnd is the index just past the JSON string that starts at
// src[i].
func stringEnd(src []byte, i int) int {
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(src)
}

// flatArray reports whether the array that starts at src[i] holds no
// object or array, and where it ends (just past its ']').
func flatArray(src []byte, i int) (end int, flat bool) {
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '"':
			j = stringEnd(src, j) - 1
		case '{', '[':
			return 0, false
		case ']':
			return j + 1, true
		}
	}
	return 0, false
}
