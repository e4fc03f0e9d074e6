package scenario

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/perfcase/perfcase/internal/stamp"
)

// Built-in functions run once per rendered template per request, so every
// call appends to the caller's buffer and keeps its working state in fixed
// arrays: a steady-state call does not allocate. Errors (which do allocate)
// only happen for bad arguments. On error a call returns dst as it got it,
// so a failed call leaves no partial output behind.

// builtins is built by a function rather than in init() so that the set of
// functions is one declaration; nothing reachable from it refers back to
// the template parser, which would be an initialization cycle.
var builtins = indexBuiltins([]*builtin{
	{name: "uuid", doc: "uuid(): a random RFC 4122 version-4 UUID, e.g. 3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b", call: fnUUID},
	{name: "uuid_hex", doc: "uuid_hex(): a random version-4 UUID as 32 hex digits without dashes", call: fnUUIDHex},
	{name: "random_int", minArgs: 2, maxArgs: 2, doc: "random_int(min, max): a random integer in [min, max]", call: fnRandomInt},
	{name: "random_string", minArgs: 1, maxArgs: 1, doc: "random_string(length): length (1 to 1024) random lowercase letters and digits", call: fnRandomString},
	{name: "timestamp", doc: "timestamp(): the current Unix time in seconds", call: fnTimestamp},
	{name: "timestamp_ms", doc: "timestamp_ms(): the current Unix time in milliseconds", call: fnTimestampMs},
	{name: "sendstamp", doc: "sendstamp(): the send time as a stamp an MQTT receive reads to measure end-to-end latency: @pc and the Unix time in ns as 16 hex digits", call: fnSendStamp},
	{name: "now", minArgs: 1, maxArgs: 2, doc: "now(format [, offset_seconds]): the current time, e.g. now('yyyy-MM-dd HH:mm:ss.SSS', -3600); tokens: yyyy yy MM M dd d HH H hh h mm m ss s SSS", call: fnNow},

	{name: "base64", minArgs: 1, maxArgs: 1, pure: true, doc: "base64(s): s in standard base64 with padding", call: fnBase64},
	{name: "base64_decode", minArgs: 1, maxArgs: 1, pure: true, doc: "base64_decode(s): the bytes that the standard base64 text s encodes", call: fnBase64Decode},
	{name: "md5", minArgs: 1, maxArgs: 1, pure: true, doc: "md5(s): the MD5 digest of s in lowercase hex", call: fnMD5},
	{name: "md5_base64", minArgs: 1, maxArgs: 1, pure: true, doc: "md5_base64(s): the MD5 digest of s in base64, as in a Content-MD5 header", call: fnMD5Base64},
	{name: "sha1", minArgs: 1, maxArgs: 1, pure: true, doc: "sha1(s): the SHA-1 digest of s in lowercase hex", call: fnSHA1},
	{name: "sha224", minArgs: 1, maxArgs: 1, pure: true, doc: "sha224(s): the SHA-224 digest of s in lowercase hex", call: fnSHA224},
	{name: "sha256", minArgs: 1, maxArgs: 1, pure: true, doc: "sha256(s): the SHA-256 digest of s in lowercase hex", call: fnSHA256},
	{name: "sha384", minArgs: 1, maxArgs: 1, pure: true, doc: "sha384(s): the SHA-384 digest of s in lowercase hex", call: fnSHA384},
	{name: "sha512", minArgs: 1, maxArgs: 1, pure: true, doc: "sha512(s): the SHA-512 digest of s in lowercase hex", call: fnSHA512},
	{name: "url_encode", minArgs: 1, maxArgs: 1, pure: true, doc: "url_encode(s): s escaped for a URL query, space as +; url_encode('a b&c') is a+b%26c", call: fnURLEncode},
	{name: "url_decode", minArgs: 1, maxArgs: 1, pure: true, doc: "url_decode(s): s with %XX escapes decoded and + as a space", call: fnURLDecode},
	{name: "upper", minArgs: 1, maxArgs: 1, pure: true, doc: "upper(s): s with ASCII letters in upper case", call: fnUpper},
	{name: "lower", minArgs: 1, maxArgs: 1, pure: true, doc: "lower(s): s with ASCII letters in lower case", call: fnLower},
})

func indexBuiltins(list []*builtin) map[string]*builtin {
	m := make(map[string]*builtin, len(list))
	for _, b := range list {
		if b.maxArgs > maxArgs || b.minArgs > b.maxArgs || m[b.name] != nil {
			panic("scenario: bad built-in function " + b.name) // a programming error, caught by any test
		}
		m[b.name] = b
	}
	return m
}

func fnUUID(dst []byte, _ [][]byte, fe *FuncEnv) ([]byte, error) {
	return appendUUID(dst, fe, true), nil
}

func fnUUIDHex(dst []byte, _ [][]byte, fe *FuncEnv) ([]byte, error) {
	return appendUUID(dst, fe, false), nil
}

func fnTimestamp(dst []byte, _ [][]byte, fe *FuncEnv) ([]byte, error) {
	return strconv.AppendInt(dst, fe.Now().Unix(), 10), nil
}

func fnTimestampMs(dst []byte, _ [][]byte, fe *FuncEnv) ([]byte, error) {
	return strconv.AppendInt(dst, fe.Now().UnixMilli(), 10), nil
}

// fnSendStamp writes the time the template is rendered, which for a
// publish is when its message is sent, give or take the rendering.
func fnSendStamp(dst []byte, _ [][]byte, fe *FuncEnv) ([]byte, error) {
	return stamp.Append(dst, fe.Now()), nil
}

func fnBase64(dst []byte, args [][]byte, _ *FuncEnv) ([]byte, error) {
	return base64.StdEncoding.AppendEncode(dst, args[0]), nil
}

// Each digest goes into an array on the stack; only its encoding is
// appended.

func fnMD5(dst []byte, args [][]byte, _ *FuncEnv) ([]byte, error) {
	d := md5.Sum(args[0])
	return hex.AppendEncode(dst, d[:]), nil
}

func fnMD5Base64(dst []byte, args [][]byte, _ *FuncEnv) ([]byte, error) {
	d := md5.Sum(args[0])
	return base64.StdEncoding.AppendEncode(dst, d[:]), nil
}

func fnSHA1(dst []byte, args [][]byte, _ *FuncEnv) ([]byte, error) {
	d := sha1.Sum(args[0])
	return hex.AppendEncode(dst, d[:]), nil
}

func fnSHA224(dst []byte, args [][]byte, _ *FuncEnv) ([]byte, error) {
	d := sha256.Sum224(args[0])
	return hex.AppendEncode(dst, d[:]), nil
}

func fnSHA256(dst []byte, args [][]byte, _ *FuncEnv) ([]byte, error) {
	d := sha256.Sum256(args[0])
	return hex.AppendEncode(dst, d[:]), nil
}

func fnSHA384(dst []byte, args [][]byte, _ *FuncEnv) ([]byte, error) {
	d := sha512.Sum384(args[0])
	return hex.AppendEncode(dst, d[:]), nil
}

func fnSHA512(dst []byte, args [][]byte, _ *FuncEnv) ([]byte, error) {
	d := sha512.Sum512(args[0])
	return hex.AppendEncode(dst, d[:]), nil
}

func fnURLEncode(dst []byte, args [][]byte, _ *FuncEnv) ([]byte, error) {
	return appendQueryEscape(dst, args[0]), nil
}

func fnUpper(dst []byte, args [][]byte, _ *FuncEnv) ([]byte, error) {
	return appendASCIICase(dst, args[0], 'a', 'z'), nil
}

func fnLower(dst []byte, args [][]byte, _ *FuncEnv) ([]byte, error) {
	return appendASCIICase(dst, args[0], 'A', 'Z'), nil
}

const hexLower = "0123456789abcdef"

func appendUUID(dst []byte, fe *FuncEnv, dashes bool) []byte {
	var u [16]byte
	binary.BigEndian.PutUint64(u[:8], fe.Rand.Uint64())
	binary.BigEndian.PutUint64(u[8:], fe.Rand.Uint64())
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	for i, b := range u {
		if dashes && (i == 4 || i == 6 || i == 8 || i == 10) {
			dst = append(dst, '-')
		}
		dst = append(dst, hexLower[b>>4], hexLower[b&0x0f])
	}
	return dst
}

func fnRandomInt(dst []byte, args [][]byte, fe *FuncEnv) ([]byte, error) {
	lo, ok := parseIntArg(args[0])
	if !ok {
		return dst, fmt.Errorf("min %q is not an integer", args[0])
	}
	hi, ok := parseIntArg(args[1])
	if !ok {
		return dst, fmt.Errorf("max %q is not an integer", args[1])
	}
	if lo > hi {
		return dst, fmt.Errorf("min %d is greater than max %d", lo, hi)
	}
	// The span is computed in uint64, where hi-lo cannot overflow even for
	// the full int64 range; adding it back to lo wraps to the right value.
	span := uint64(hi) - uint64(lo)
	var n uint64
	if span == math.MaxUint64 {
		n = fe.Rand.Uint64()
	} else {
		n = fe.Rand.Uint64N(span + 1)
	}
	return strconv.AppendInt(dst, int64(uint64(lo)+n), 10), nil
}

const (
	randomAlphabet   = "abcdefghijklmnopqrstuvwxyz0123456789"
	maxRandomStrings = 1024
)

func fnRandomString(dst []byte, args [][]byte, fe *FuncEnv) ([]byte, error) {
	n, ok := parseIntArg(args[0])
	if !ok {
		return dst, fmt.Errorf("length %q is not an integer", args[0])
	}
	if n < 1 || n > maxRandomStrings {
		return dst, fmt.Errorf("length %d is out of range (1 to %d)", n, maxRandomStrings)
	}
	for range n {
		dst = append(dst, randomAlphabet[fe.Rand.IntN(len(randomAlphabet))])
	}
	return dst, nil
}

// maxNowOffset keeps now()'s offset within what time.Duration can hold.
const maxNowOffset = math.MaxInt64 / int64(time.Second)

func fnNow(dst []byte, args [][]byte, fe *FuncEnv) ([]byte, error) {
	if len(args[0]) == 0 {
		return dst, errors.New("the format is empty")
	}
	var off int64
	if len(args) > 1 {
		var ok bool
		if off, ok = parseIntArg(args[1]); !ok {
			return dst, fmt.Errorf("offset %q is not a whole number of seconds", args[1])
		}
		if off > maxNowOffset || off < -maxNowOffset {
			return dst, fmt.Errorf("offset %d seconds is out of range", off)
		}
	}
	return appendTime(dst, args[0], fe.Now().Add(time.Duration(off)*time.Second)), nil
}

// appendTime formats t with PerfTest's (Java SimpleDateFormat-like) date
// tokens. A run of one letter is split greedily into the longest tokens
// that fit, so "yyyyyy" is yyyy then yy and a letter with no token left
// (the third y of "yyy", a lone S) is copied as is.
func appendTime(dst, format []byte, t time.Time) []byte {
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	hour12 := hour % 12
	if hour12 == 0 {
		hour12 = 12
	}
	for i := 0; i < len(format); {
		c := format[i]
		n := 1
		for i+n < len(format) && format[i+n] == c {
			n++
		}
		i += n
		var v, long, short int // token widths, longest first; 0 is none
		switch c {
		case 'y':
			v, long, short = year, 4, 2
		case 'M':
			v, long, short = int(month), 2, 1
		case 'd':
			v, long, short = day, 2, 1
		case 'H':
			v, long, short = hour, 2, 1
		case 'h':
			v, long, short = hour12, 2, 1
		case 'm':
			v, long, short = minute, 2, 1
		case 's':
			v, long, short = sec, 2, 1
		case 'S':
			v, long = t.Nanosecond()/int(time.Millisecond), 3
		default:
			for range n {
				dst = append(dst, c)
			}
			continue
		}
		for n > 0 {
			switch {
			case n >= long:
				dst = appendPadded(dst, v, long)
				n -= long
			case short > 0 && n >= short:
				if c == 'y' {
					v = (v%100 + 100) % 100 // yy; yyyy is the whole year
				}
				dst = appendPadded(dst, v, short)
				n -= short
			default:
				dst = append(dst, c)
				n--
			}
		}
	}
	return dst
}

// appendPadded appends v with at least width digits.
func appendPadded(dst []byte, v, width int) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	digits := 1
	for x := v; x >= 10; x /= 10 {
		digits++
	}
	for ; digits < width; digits++ {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, int64(v), 10)
}

// parseIntArg parses a base-10 int64 with an optional sign, strictly (no
// spaces, no underscores). strconv.ParseInt would need a string, and
// whether that conversion allocates is up to the compiler.
func parseIntArg(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if u > (limit-d)/10 {
			return 0, false
		}
		u = u*10 + d
	}
	if neg {
		return int64(-u), true
	}
	return int64(u), true
}

func fnBase64Decode(dst []byte, args [][]byte, _ *FuncEnv) ([]byte, error) {
	out, err := base64.StdEncoding.AppendDecode(dst, args[0])
	if err != nil {
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return dst, fmt.Errorf("not valid base64 at byte %d", int64(ce))
		}
		return dst, err
	}
	return out, nil
}

// appendQueryEscape matches url.QueryEscape: letters, digits and -_.~ are
// kept, space becomes +, every other byte is %XX with upper-case hex.
func appendQueryEscape(dst, s []byte) []byte {
	const hexUpper = "0123456789ABCDEF"
	for _, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~':
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', hexUpper[c>>4], hexUpper[c&0x0f])
		}
	}
	return dst
}

// fnURLDecode matches url.QueryUnescape, including rejecting a % that is not
// followed by two hex digits.
func fnURLDecode(dst []byte, args [][]byte, _ *FuncEnv) ([]byte, error) {
	s := args[0]
	n0 := len(dst)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			dst = append(dst, ' ')
		case '%':
			if i+2 >= len(s) || !isHexDigit(s[i+1]) || !isHexDigit(s[i+2]) {
				return dst[:n0], fmt.Errorf("invalid escape %q at byte %d", s[i:min(i+3, len(s))], i)
			}
			dst = append(dst, unhexDigit(s[i+1])<<4|unhexDigit(s[i+2]))
			i += 2
		default:
			dst = append(dst, c)
		}
	}
	return dst, nil
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhexDigit(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// appendASCIICase flips the case of bytes in [from, to]; other bytes,
// including every byte of a multi-byte UTF-8 sequence, are kept, so the
// output stays valid UTF-8 if the input was.
func appendASCIICase(dst, s []byte, from, to byte) []byte {
	for _, c := range s {
		if from <= c && c <= to {
			c ^= 0x20
		}
		dst = append(dst, c)
	}
	return dst
}
