// Command streamsrv is the streaming benchmark's target (bench/stream.sh):
// it serves a live HLS stream under /hls/ made of the files in -hls (laid
// out as internal/media's assets: hls/master.m3u8 and
// hls/{low,high}/seg{0,1,2}.ts of two seconds each) and a live HTTP-FLV
// stream at /live.flv looping the FLV file -flv at its own pace (its tags
// written one by one, or -batch at a time), as the demo target serves its
// own small streams. It listens on loopback only.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/perfcase/perfcase/internal/media"
)

func main() {
	hlsDir := flag.String("hls", "", "a folder holding hls/master.m3u8 and hls/{low,high}/seg{0,1,2}.ts")
	flvFile := flag.String("flv", "", "an FLV file to loop as the live HTTP-FLV stream")
	batch := flag.Duration("batch", 0, "write the FLV tags due in each slice this long at once (0: each tag when it is due)")
	flag.Parse()
	addr := "127.0.0.1:18093"
	if flag.NArg() > 0 {
		addr = flag.Arg(0)
	}
	if host, _, err := net.SplitHostPort(addr); err != nil || !net.ParseIP(host).IsLoopback() {
		fmt.Fprintf(os.Stderr, "streamsrv: listen on a loopback address such as 127.0.0.1:18093, not %q\n", addr)
		os.Exit(2)
	}
	data, err := os.ReadFile(*flvFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "streamsrv:", err)
		os.Exit(2)
	}
	live, err := media.NewLiveFLVOf(data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "streamsrv: -flv:", err)
		os.Exit(2)
	}
	live.Batch = *batch
	mux := http.NewServeMux()
	mux.Handle("GET /hls/", http.StripPrefix("/hls", &media.LiveHLS{Start: time.Now(), Assets: os.DirFS(*hlsDir)}))
	mux.Handle("GET /live.flv", live)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintln(os.Stderr, "streamsrv:", srv.ListenAndServe())
	os.Exit(1)
}
