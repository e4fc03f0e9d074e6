package protocols

// appendUnhex decodes hex digits onto dst, ignoring white space, as
// payloads are written ("de ad be ef"); ok is false for anything else or
// an odd number of digits.
func appendUnhex(dst, src []byte) (_ []byte, ok bool) {
	var hi byte
	half := false
	for _, ch := range src {
		var v byte
		switch {
		case '0' <= ch && ch <= '9':
			v = ch - '0'
		case 'a' <= ch && ch <= 'f':
			v = ch - 'a' + 10
		case 'A' <= ch && ch <= 'F':
			v = ch - 'A' + 10
		case ch == ' ', ch == '\t', ch == '\n', ch == '\r', ch == '\v', ch == '\f':
			continue
		default:
			return dst, false
		}
		if half {
			dst = append(dst, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	return dst, !half
}
