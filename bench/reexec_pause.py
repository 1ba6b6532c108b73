#!/usr/bin/env python3
"""Measures a re-exec's pause as a client sees it: calls server_version on a fresh connection in a tight
loop (as monitoring would), and reports the gap between the last reply of the old image and the first
reply of the next generation. Usage: reexec_pause.py SOCKET PMCTL SECONDS; prints pause_ms=... and
failures=... (any refused connection or error counts)."""
import json, re, socket, subprocess, sys, time

sock_path, pmctl, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
described = subprocess.run([pmctl, "version"], capture_output=True, text=True, check=True).stdout
m = re.search(r"built on (\S+) at (\S+) (\S+) UTC, build (\w+)", described)
hello = {"build_time": f"{m.group(2)}T{m.group(3)}Z", "build_host": m.group(1), "build_id": m.group(4)}

def call():
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(sock_path)
        s.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": "hello", "params": hello}) + "\n" +
                   json.dumps({"jsonrpc": "2.0", "id": 2, "method": "server_version", "params": {}}) + "\n").encode())
        data = b""
        while data.count(b"\n") < 2:
            chunk = s.recv(65536)
            if not chunk:
                raise IOError("connection closed")
            data += chunk
        replies = [json.loads(line) for line in data.decode().splitlines()]
        if any("error" in r for r in replies):
            raise IOError(str(replies))
        return replies[1]["result"]["generation"]

first = call()
last_old = time.monotonic()
first_new = None
failures = []
end = time.monotonic() + seconds
while time.monotonic() < end:
    try:
        generation = call()
    except Exception as e:  # every failure a client could see
        failures.append(repr(e))
        continue
    now = time.monotonic()
    if generation == first:
        last_old = now
    elif first_new is None:
        first_new = now
        end = min(end, now + 0.5)
print(f"pause_ms={(first_new - last_old) * 1000:.0f}" if first_new else "pause_ms=none (no new generation answered)")
print(f"failures={len(failures)}" + (f" first={failures[0]}" if failures else ""))
