package output

import (
	"errors"
	"slices"
	"testing"
)

// trace is an output that notes every call it gets.
type trace struct {
	name string
	log  *[]string
	err  error
}

func (o trace) Start(*Start)   { *o.log = append(*o.log, o.name+" start") }
func (o trace) Second(*Second) { *o.log = append(*o.log, o.name+" second") }
func (o trace) End(*Finished) error {
	*o.log = append(*o.log, o.name+" end")
	return o.err
}

// A List calls its outputs in order, and ends every one even after one
// failed, returning every error.
func TestList(t *testing.T) {
	var log []string
	errA, errC := errors.New("a failed"), errors.New("c failed")
	l := List{trace{"a", &log, errA}, trace{"b", &log, nil}, EndFunc(func(*Finished) error {
		log = append(log, "func end")
		return nil
	}), trace{"c", &log, errC}}
	l.Start(&Start{})
	l.Second(&Second{})
	err := l.End(&Finished{})
	want := []string{"a start", "b start", "c start", "a second", "b second", "c second", "a end", "b end", "func end", "c end"}
	if !slices.Equal(log, want) {
		t.Errorf("calls %q, want %q", log, want)
	}
	if !errors.Is(err, errA) || !errors.Is(err, errC) {
		t.Errorf("End = %v, want both failures", err)
	}
	if err := (List{trace{"d", &log, nil}}).End(&Finished{}); err != nil || List(nil).End(&Finished{}) != nil {
		t.Errorf("End without failures = %v", err)
	}
}
