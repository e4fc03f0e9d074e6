// Package redact hides secret values in text meant for people: error
// messages, summaries, reports, logs. perfcase applies it where such text
// is made from data that may hold a secret (a request's failure, a
// scenario's compile errors, the upload client's messages), so that what
// leaves those places is clean and the reporters need not know.
//
// A secret is caught as written and in the forms a message is likely to
// quote it in: URL-encoded (query and path escaping), JSON- and
// Go-quoted, and hex-encoded; and in any letter case, since hosts and
// hex digits are often lowercased or uppercased on the way (a DNS error
// quotes the host lowercased).
package redact

import (
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mask replaces every secret found, unless NewMask says otherwise.
const Mask = "***"

// Secrets is a set of secret values. A nil *Secrets hides nothing. It is
// not changed after New, so it is safe for concurrent use.
type Secrets struct {
	mask string
	// forms by the folded first rune of each, longest first, so that the
	// longest form found at a place is the one masked.
	forms map[rune][]string
}

// New returns the set of values, ignoring empty ones; nil when none is
// left.
func New(values ...string) *Secrets { return NewMask(Mask, values...) }

// NewMask is New with another mask, one that names what it hides (the
// upload client's "[token]", say).
func NewMask(mask string, values ...string) *Secrets {
	s := &Secrets{mask: mask, forms: map[rune][]string{}}
	for _, v := range values {
		if v == "" {
			continue
		}
		for _, f := range encodings(v) {
			r, _ := utf8.DecodeRuneInString(f)
			k := fold(r)
			if !slices.Contains(s.forms[k], f) {
				s.forms[k] = append(s.forms[k], f)
			}
		}
	}
	if len(s.forms) == 0 {
		return nil
	}
	for _, fs := range s.forms {
		slices.SortStableFunc(fs, func(a, b string) int { return len(b) - len(a) })
	}
	return s
}

// encodings are the forms of v that text may quote it in.
func encodings(v string) []string {
	var js strings.Builder
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	jsHTML, _ := json.Marshal(v) // escapes <, > and & as \u003c...
	return []string{
		v,
		url.QueryEscape(v),
		url.PathEscape(v),
		unquote(strings.TrimSpace(js.String())),
		unquote(string(jsHTML)),
		unquote(strconv.Quote(v)),
		hex.EncodeToString([]byte(v)),
	}
}

func unquote(q string) string { return q[1 : len(q)-1] }

// String returns msg with every secret replaced by the mask. When none is
// found it returns msg itself and allocates nothing.
func (s *Secrets) String(msg string) string {
	if s == nil {
		return msg
	}
	var b strings.Builder
	last, found := 0, false
	for i := 0; i < len(msg); {
		r, n := utf8.DecodeRuneInString(msg[i:])
		if m := s.match(msg[i:], r); m > 0 {
			if !found {
				found = true
				b.Grow(len(msg))
			}
			b.WriteString(msg[last:i])
			b.WriteString(s.mask)
			i += m
			last = i
			continue
		}
		i += n
	}
	if !found {
		return msg
	}
	b.WriteString(msg[last:])
	return b.String()
}

// match returns the length of the longest secret form at the start of s,
// whose first rune is r, or 0.
func (s *Secrets) match(text string, r rune) int {
	for _, f := range s.forms[fold(r)] {
		if n := prefixFold(text, f); n > 0 {
			return n
		}
	}
	return 0
}

// prefixFold returns how many bytes of text match form, ignoring case,
// or 0 when text does not start with form.
func prefixFold(text, form string) int {
	i := 0
	for _, fr := range form {
		if i >= len(text) {
			return 0
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		if r != fr && fold(r) != fold(fr) {
			return 0
		}
		i += n
	}
	return i
}

// fold maps every rune of a case-folding orbit (k, K and the Kelvin sign,
// say) to one of them.
func fold(r rune) rune {
	if r >= utf8.RuneSelf {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			r = min(r, f)
		}
	}
	if 'A' <= r && r <= 'Z' {
		r += 'a' - 'A'
	}
	return r
}
