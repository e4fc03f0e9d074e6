package main

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"time"

	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/telemetry"
)

// lingerFlag is the flag that keeps /metrics up after the run.
const lingerFlag = "prometheus-linger"

func addLingerFlag(fs *flag.FlagSet) {
	fs.Duration(lingerFlag, 0, "with --prometheus-listen, keep /metrics up for `duration` after the run, for a last scrape of the final values and checkpoints (Ctrl-C ends it)")
}

func (c *outputContext) telemetryOptions() telemetry.Options {
	return telemetry.Options{Log: c.e.stderr, Interrupt: c.ctx.Done(), Abort: c.abort}
}

// newPrometheusOutput serves /metrics while the run goes
// (--prometheus-listen); the address is taken now, so that one in use
// stops the run before it starts.
func newPrometheusOutput(c *outputContext, addr string) (output.Output, error) {
	linger := c.fs.Lookup(lingerFlag).Value.(flag.Getter).Get().(time.Duration)
	switch {
	case addr == "" && linger != 0:
		return nil, fmt.Errorf("--%s needs --prometheus-listen", lingerFlag)
	case addr == "":
		return nil, nil
	case linger < 0:
		return nil, fmt.Errorf("--%s must not be negative, got %v", lingerFlag, linger)
	}
	p, err := telemetry.Listen(addr, linger, c.telemetryOptions())
	if err != nil {
		return nil, fmt.Errorf("--prometheus-listen: cannot serve /metrics on %s: %v", addr, err)
	}
	return p, nil
}

func newRemoteWriteOutput(c *outputContext, raw string) (output.Output, error) {
	if raw == "" {
		return nil, nil
	}
	u, err := pushURL("prometheus-remote-write", raw, "http://127.0.0.1:9090/api/v1/write")
	if err != nil {
		return nil, err
	}
	return telemetry.NewRemoteWrite(u, c.telemetryOptions()), nil
}

func newOTLPOutput(c *outputContext, raw string) (output.Output, error) {
	if raw == "" {
		return nil, nil
	}
	u, err := pushURL("otlp", raw, "http://127.0.0.1:4318")
	if err != nil {
		return nil, err
	}
	o, err := telemetry.NewOTLP(u, c.telemetryOptions())
	if err != nil {
		return nil, fmt.Errorf("--otlp: %v", err)
	}
	return o, nil
}

// pushURL checks a receiver's URL before the run; example shows one.
func pushURL(flag, raw, example string) (*url.URL, error) {
	u, err := url.Parse(raw)
	var ue *url.Error
	switch {
	case errors.As(err, &ue):
		// Not ue itself: it quotes the URL, and a password with it.
		return nil, fmt.Errorf("--%s wants an http:// or https:// URL, e.g. %s: %v", flag, example, ue.Err)
	case err != nil:
		return nil, fmt.Errorf("--%s wants an http:// or https:// URL, e.g. %s", flag, example)
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, fmt.Errorf("--%s wants an http:// or https:// URL, e.g. %s; got %q", flag, example, u.Redacted())
	}
	return u, nil
}
