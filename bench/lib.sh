# Shared by the benchmark scripts: builds perfcase and the hello target
# into $tmp, starts the target pinned to CPU 0 on 127.0.0.1:$PORT, and
# cleans up on exit. Source it after setting PORT.
tmp=$(mktemp -d)
hello_pid=
cleanup() {
	if [ -n "$hello_pid" ]; then kill "$hello_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/perfcase" ./cmd/perfcase
go build -o "$tmp/hello" ./bench/hello
taskset -c 0 "$tmp/hello" "127.0.0.1:$PORT" &
hello_pid=$!
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	sleep 0.1
done
