// Command hello is the load benchmark's target: a fasthttp server that
// answers every request with a short 200, so that what is measured is the
// generator, not the target. It listens on loopback only.
package main

import (
	"fmt"
	"net"
	"os"

	"github.com/valyala/fasthttp"
)

func main() {
	addr := "127.0.0.1:18090"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		fmt.Fprintf(os.Stderr, "hello: listen on a loopback address such as 127.0.0.1:18090, not %q\n", addr)
		os.Exit(2)
	}
	body := []byte("hello")
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBody(body) }}
	if err := srv.ListenAndServe(addr); err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
}
