// Command hello is the load benchmarks' target: a fasthttp server that
// answers every request with a short 200, so that what is measured is the
// generator, not the target. It listens on loopback only.
//
// With -hist it also counts requests per 100 ms and, on SIGINT or
// SIGTERM, prints those counts: how evenly a rate was delivered.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

func main() {
	hist := flag.Bool("hist", false, "count requests per 100 ms and print the counts on SIGINT/SIGTERM")
	flag.Parse()
	addr := "127.0.0.1:18090"
	if flag.NArg() > 0 {
		addr = flag.Arg(0)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		fmt.Fprintf(os.Stderr, "hello: listen on a loopback address such as 127.0.0.1:18090, not %q\n", addr)
		os.Exit(2)
	}
	body := []byte("hello")
	var mu sync.Mutex
	var first time.Time
	var buckets []int
	handler := func(ctx *fasthttp.RequestCtx) { ctx.SetBody(body) }
	if *hist {
		handler = func(ctx *fasthttp.RequestCtx) {
			now := time.Now()
			mu.Lock()
			if first.IsZero() {
				first = now
			}
			k := int(now.Sub(first) / (100 * time.Millisecond))
			for len(buckets) <= k {
				buckets = append(buckets, 0)
			}
			buckets[k]++
			mu.Unlock()
			ctx.SetBody(body)
		}
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		go func() {
			<-sig
			mu.Lock()
			fmt.Println("per 100 ms:", buckets)
			mu.Unlock()
			os.Exit(0)
		}()
	}
	srv := &fasthttp.Server{Handler: handler}
	if err := srv.ListenAndServe(addr); err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
}
