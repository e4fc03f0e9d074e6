# Shared by the benchmark scripts: builds perfcase into $tmp, kills the
# target ($target_pid) and removes $tmp on exit, and offers the helpers
# below. Source it from the repository root after setting PORT.
tmp=$(mktemp -d)
target_pid=
cleanup() {
	if [ -n "$target_pid" ]; then kill "$target_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# needs exits with a message naming the first of its tools not installed.
needs() {
	for tool; do
		command -v "$tool" >/dev/null || {
			echo "$(basename "$0"): needs $tool" >&2
			exit 1
		}
	done
}

# wait_port waits up to 5 s for a listener on 127.0.0.1:$PORT.
wait_port() {
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return
		sleep 0.1
	done
}

# target_cpu prints the target's CPU so far, in clock ticks.
target_cpu() { awk '{print $14 + $15}' "/proc/$target_pid/stat"; }

# start_hello starts the hello target pinned to CPU 0 on 127.0.0.1:$PORT.
start_hello() {
	go build -o "$tmp/hello" ./bench/hello
	taskset -c 0 "$tmp/hello" "127.0.0.1:$PORT" &
	target_pid=$!
	wait_port
}

go build -o "$tmp/perfcase" ./cmd/perfcase
