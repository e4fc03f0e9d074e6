package telemetry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/perfcase/perfcase/output"
)

// How pushes are paced and bounded: at most one a second while the run
// goes (each after a harvest), none waiting longer than pushTimeout; the
// last one, after the run, retries what a receiver may answer later for up
// to lastPushTimeout.
const (
	pushEvery       = time.Second
	pushTimeout     = 5 * time.Second
	lastPushTimeout = 10 * time.Second
)

// pusher is an output that sends the state to a receiver after the
// seconds the run harvests, from a goroutine of its own, so that the
// run's clock never waits on the network. The values are cumulative, so
// a push that fails or is skipped (a slow receiver) loses nothing: the
// next carries it. After the run, the final values go in one last push,
// which End waits for.
type pusher struct {
	st   state
	what string // names the receiver in messages
	send func(ctx context.Context, s *snapshot) error
	opts Options

	kick chan struct{} // a harvest since the last push
	stop context.CancelFunc
	done chan struct{} // the goroutine has returned
}

func newPusher(what string, send func(context.Context, *snapshot) error, opts Options) *pusher {
	return &pusher{what: what, send: send, opts: opts, kick: make(chan struct{}, 1)}
}

func (p *pusher) Start(s *output.Start) {
	p.st.begin(s)
	ctx, stop := context.WithCancel(context.Background())
	p.stop, p.done = stop, make(chan struct{})
	go p.loop(ctx)
}

func (p *pusher) Second(s *output.Second) {
	p.st.add(s)
	select {
	case p.kick <- struct{}{}:
	default: // a push is due already
	}
}

func (p *pusher) loop(ctx context.Context) {
	defer close(p.done)
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
		}
		began := time.Now()
		pctx, cancel := context.WithTimeout(ctx, pushTimeout)
		err := p.send(pctx, p.st.snapshot(began))
		cancel()
		switch {
		case err != nil && ctx.Err() != nil: // cut by End
		case err != nil && !failing:
			fmt.Fprintf(p.opts.log(), "perfcase: live metrics: cannot push to %s: %v (trying again each second)\n", p.what, err)
			failing = true
		case err == nil && failing:
			fmt.Fprintf(p.opts.log(), "perfcase: live metrics: pushing to %s again\n", p.what)
			failing = false
		}
		t := time.NewTimer(pushEvery - time.Since(began))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// End stops the pushes of the run and sends the final values, retrying
// while the receiver answers that it may take them later, until
// lastPushTimeout or the user's Ctrl-C.
func (p *pusher) End(f *output.Finished) error {
	p.st.end(f)
	if p.done == nil {
		return nil // never started
	}
	p.stop()
	<-p.done
	ctx, cancel := p.opts.afterRun(lastPushTimeout)
	defer cancel()
	snap := p.st.snapshot(time.Now())
	backoff := 250 * time.Millisecond
	var last error
	for {
		err := p.send(ctx, snap)
		if err == nil {
			return nil
		}
		if last == nil || ctx.Err() == nil {
			last = err // a try cut short says less than the one before it
		}
		var again *retryable
		if !errors.As(err, &again) || ctx.Err() != nil {
			return fmt.Errorf("cannot push the run's final metrics to %s: %v", p.what, last)
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// retryable is a push's failure that a later try may not meet: the
// receiver could not be reached, or answered 5xx or 429.
type retryable struct{ err error }

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }
