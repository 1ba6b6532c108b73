#!/usr/bin/env python3
"""Crash survival through systemd's file descriptor store, against a stand-in for systemd.

It does what systemd does for a Type=notify unit with FileDescriptorStoreMax= and Restart=always:
binds the notify socket, keeps every descriptor the daemon pushes with FDSTORE=1 (and drops it on
FDSTOREREMOVE=1 or once it hangs up), and starts the next daemon with the kept descriptors as
LISTEN_FDS/LISTEN_FDNAMES/LISTEN_PID (sd_listen_fds(3): from fd 3 on).

1. The daemon alone is SIGKILLed: the next one adopts through the pipe holder; the store keeps one
   copy per pipe (nothing pushed twice).
2. The daemon and the pipe holder are SIGKILLed together: only the store has the pipes. The next
   daemon adopts anyway: same pid, no SIGPIPE, the counter's lines contiguous across both gaps.
3. SIGTERM: every service stopped, and the store is emptied.

Needs dist/ (./build.sh), root. Exit 0 when every check passes.
"""
import array
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DIST = os.path.join(ROOT, "dist")
CGROUP = "pmtest-%s-fdstore%d" % (os.environ.get("PMTEST_RUN", os.getpid()), os.getpid() % 1000)
# Numbered lines, about a thousand a second; no trap: a write nobody reads ends it with SIGPIPE.
COUNTER = "i=0; while :; do i=$((i+1)); echo $i; case $i in *00) sleep 0.1;; esac; done"

failures = 0


def check(description, ok):
    global failures
    print(("ok   " if ok else "FAIL ") + description, flush=True)
    if not ok:
        failures += 1


class FakeSystemd:
    """The notify socket and the fd store of one unit."""

    def __init__(self, work):
        self.path = os.path.join(work, "notify.sock")
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(self.path)
        self.store = {}  # name -> fd
        self.messages = []

    def pump(self, seconds):
        """Handles what arrives within `seconds`; returns the messages seen."""
        seen = []
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.socket], [], [], left)[0]:
                break
            data, ancillary, _, _ = self.socket.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
            fds = array.array("i")
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            name = fields.get("FDNAME", "stored")
            if fields.get("FDSTORE") == "1":
                for fd in fds:
                    self.store.setdefault(name, []).append(fd)
            else:
                for fd in fds:
                    os.close(fd)
            if fields.get("FDSTOREREMOVE") == "1":
                for fd in self.store.pop(name, []):
                    os.close(fd)
            seen.append(data.decode())
        self.drop_hung_up()
        self.messages += seen
        return seen

    def drop_hung_up(self):
        """systemd closes a stored descriptor once it reports POLLHUP or POLLERR (every writer is gone)."""
        poller = select.poll()
        for fds in self.store.values():
            for fd in fds:
                poller.register(fd, select.POLLIN)
        hung = {fd for fd, events in poller.poll(0) if events & (select.POLLHUP | select.POLLERR)}
        for name in list(self.store):
            kept = [fd for fd in self.store[name] if fd not in hung]
            for fd in self.store[name]:
                if fd in hung:
                    os.close(fd)
            if kept:
                self.store[name] = kept
            else:
                del self.store[name]

    def wait_for(self, prefix, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(m.startswith(prefix) for m in self.pump(0.2)):
                return True
        return False

    def stored(self):
        return sum(len(fds) for fds in self.store.values())

    def start(self, work, config, log):
        """Starts the daemon as the unit's main process, handing it the store from fd 3 on."""
        names = sorted(self.store)
        kept = [self.store[name][0] for name in names]
        env = dict(os.environ, NOTIFY_SOCKET=self.path)
        if kept:
            env.update(LISTEN_FDS=str(len(kept)), LISTEN_FDNAMES=":".join(names))

        def arrange():
            # Out of the way first, so no dup2 below overwrites a descriptor still to be moved.
            high = [os.dup2(fd, 1000 + i) for i, fd in enumerate(kept)]
            for i, fd in enumerate(high):
                os.dup2(fd, 3 + i)
                os.close(fd)

        # sh's $$ is the pid the daemon keeps after exec: what systemd puts in LISTEN_PID.
        return subprocess.Popen(
            ["/bin/sh", "-c", 'LISTEN_PID=$$ exec "$0" "$@"' if kept else 'exec "$0" "$@"',
             os.path.join(DIST, "processmaster"), "-c", config],
            cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=arrange, pass_fds=tuple(range(3, 3 + len(kept))))


def cgroup2_mount():
    with open("/proc/self/mountinfo") as mounts:
        for line in mounts:
            fields = line.split()
            if fields[fields.index("-") + 1] == "cgroup2":
                return fields[4]
    raise SystemExit("no cgroup2 mount")


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def main():
    work = tempfile.mkdtemp(prefix="pmtest-fdstore-")
    os.chmod(work, 0o755)
    config = os.path.join(work, "config.yaml")
    sock = os.path.join(work, "pm.sock")
    os.makedirs(os.path.join(work, "config.d"))
    os.makedirs(os.path.join(work, "counter"))
    with open(config, "w") as f:
        f.write("cgroup:\n  name: %s\nunix_socket:\n  path: %s\nglobal:\n  config_directory: ./config.d\n" % (CGROUP, sock))
    with open(os.path.join(work, "config.d", "counter.yaml"), "w") as f:
        f.write("process:\n  working_directory: %s\n  start_command: [\"/bin/sh\", \"-c\", %s]\n"
                % (os.path.join(work, "counter"), json.dumps(COUNTER)))
    holder_group = os.path.join(cgroup2_mount(), CGROUP, "pipe_holder")
    systemd = FakeSystemd(work)
    log = open(os.path.join(work, "daemon.log"), "ab")
    daemon = None

    def pmctl(*args):
        return subprocess.run([os.path.join(DIST, "pmctl"), "-s", sock, *args], capture_output=True, text=True, timeout=60)

    def counter():
        result = pmctl("status", "counter", "--format", "json")
        return json.loads(result.stdout)["services"][0] if result.returncode == 0 else None

    def holder_pids():
        try:
            with open(os.path.join(holder_group, "cgroup.procs")) as procs:
                return [int(p) for p in procs.read().split()]
        except FileNotFoundError:
            return []

    def boot():
        started = systemd.start(work, config, log)
        check("the daemon says READY=1", systemd.wait_for("READY=1"))
        return started

    def crash(with_holder):
        holders = holder_pids()
        daemon.kill()
        daemon.wait()
        if with_holder:
            for pid in holders:
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while any(alive(p) for p in holders) and time.monotonic() < deadline:
                time.sleep(0.05)
        systemd.pump(3)  # the counter writes on meanwhile, into pipes only the store (and holder) read

    def captured_without_gaps():
        path = os.path.join(work, "counter", "logs", "stdout.log")
        size = os.path.getsize(path)
        deadline = time.monotonic() + 20
        while os.path.getsize(path) < size + 10000 and time.monotonic() < deadline:
            time.sleep(0.1)
        with open(path) as f:
            text = f.read()
        lines = text[: text.rfind("\n") + 1].split()
        return lines[0] == "1" and all(lines[i] == str(i + 1) for i in range(len(lines)))

    try:
        daemon = boot()
        first = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (first is None or first["state"] != "RUNNING"):
            first = counter()
            systemd.pump(0.1)
        check("the counter runs", first is not None and first["state"] == "RUNNING")
        systemd.pump(1)
        check("its two output pipes are in the store", systemd.stored() == 2)

        crash(with_holder=False)
        daemon = boot()
        adopted = counter()
        check("after a crash of the daemon alone: adopted through the holder, same pid",
              adopted is not None and adopted["main_pid"] == first["main_pid"] and adopted["restarts"] == 0)
        systemd.pump(1)
        check("the store still keeps each pipe once", systemd.stored() == 2)

        crash(with_holder=True)
        check("the counter survived the daemon and the holder (no SIGPIPE)", alive(first["main_pid"]))
        daemon = boot()
        adopted = counter()
        check("after a crash of both: adopted from the store, same pid, no restart",
              adopted is not None and adopted["state"] == "RUNNING" and adopted["main_pid"] == first["main_pid"] and adopted["restarts"] == 0)
        check("the events say the store kept the pipes",
              "systemd's file descriptor store kept 2 output pipe(s)" in pmctl("events").stdout)
        check("a new holder runs", len(holder_pids()) == 1)
        check("every line is captured, in order, across both gaps", captured_without_gaps())

        daemon.send_signal(signal.SIGTERM)
        check("SIGTERM: the daemon exits 0", daemon.wait(timeout=60) == 0)
        systemd.pump(1)
        check("SIGTERM: the counter is stopped", not alive(first["main_pid"]))
        check("the store is empty after the shutdown", systemd.stored() == 0)
        daemon = None
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        subprocess.run([os.path.join(ROOT, "tests", "cleanup-stale-cgroups.sh"), CGROUP], capture_output=True)
        if failures:
            log.flush()
            with open(os.path.join(work, "daemon.log"), errors="replace") as f:
                print("systemd: daemon log:\n" + f.read()[-6000:])
        subprocess.run(["rm", "-rf", work])

    print("systemd: %s" % ("every check passed" if failures == 0 else "%d check(s) failed" % failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
