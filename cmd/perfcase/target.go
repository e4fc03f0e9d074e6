package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/perfcase/perfcase/demo"
)

const targetUsage = `usage: perfcase target [--http addr] [--tcp addr] [--udp addr]

Serves the demo target the examples run against, until interrupted
(Ctrl-C or SIGTERM):
  --http  the HTTP API (login, items, echo, delay, status, counter), a
          WebSocket echo at /ws, a live HLS stream at /hls/master.m3u8 and
          a live HTTP-FLV stream at /live.flv; GET / lists the endpoints
  --tcp   an echo of lines ended by "\n"
  --udp   an echo of datagrams
It listens on loopback addresses only (127.0.0.1, ::1, localhost). An empty
address turns that listener off; port 0 picks a free port.

Example:
  perfcase target &
  curl http://127.0.0.1:8080/items/1
  perfcase target --http 127.0.0.1:9090 --tcp "" --udp ""   # HTTP only, elsewhere

Exit status: 0 stopped by a signal, 2 a bad flag or address, 3 a port is
already in use.

Flags:
`

func runTarget(e *env, args []string) error {
	opts, done, err := parseTargetFlags(e, args)
	if done || err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveTarget(ctx, e, opts)
}

// parseTargetFlags reads the command line; done is true when help was
// printed and there is nothing to serve.
func parseTargetFlags(e *env, args []string) (opts demo.Options, done bool, err error) {
	def := demo.DefaultOptions()
	fs := newFlagSet(e, "target", targetUsage)
	fs.StringVar(&opts.HTTP, "http", def.HTTP, "listen `address` of the HTTP API and WebSocket echo")
	fs.StringVar(&opts.TCP, "tcp", def.TCP, "listen `address` of the TCP line echo")
	fs.StringVar(&opts.UDP, "udp", def.UDP, "listen `address` of the UDP echo")
	if done, err := fs.parse(args); done || err != nil {
		return opts, true, err
	}
	if fs.NArg() > 0 {
		return opts, true, fs.mistake("takes no arguments, got %q", fs.Arg(0))
	}
	if opts == (demo.Options{}) {
		return opts, true, usageError("every listener is off; give at least one of --http, --tcp and --udp an address")
	}
	return opts, false, nil
}

// serveTarget runs the target until ctx ends; the context is the seam
// tests use instead of a signal.
func serveTarget(ctx context.Context, e *env, opts demo.Options) error {
	srv, err := demo.Start(opts)
	if err != nil {
		var addrErr *demo.AddrError
		if errors.As(err, &addrErr) {
			return usageError("%v", err)
		}
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%w (the flags --http, --tcp and --udp set the addresses)", err)
		}
		return err
	}
	if a := srv.HTTPAddr(); a != "" {
		fmt.Fprintf(e.stdout, "HTTP       http://%s/\n", a)
		fmt.Fprintf(e.stdout, "WebSocket  ws://%s/ws\n", a)
		fmt.Fprintf(e.stdout, "HLS        http://%s/hls/master.m3u8\n", a)
		fmt.Fprintf(e.stdout, "HTTP-FLV   http://%s/live.flv\n", a)
	}
	if a := srv.TCPAddr(); a != "" {
		fmt.Fprintf(e.stdout, "TCP echo   %s\n", a)
	}
	if a := srv.UDPAddr(); a != "" {
		fmt.Fprintf(e.stdout, "UDP echo   %s\n", a)
	}
	fmt.Fprintln(e.stdout, "Serving until interrupted (Ctrl-C).")
	<-ctx.Done()
	return srv.Close()
}
