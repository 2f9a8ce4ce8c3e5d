"""Drives `micro` (the prompt) through a pseudo-terminal and times what the
user sees: process start to the first prompt, and a Tab key to the completed
text on the screen. Called by bench/run-prompt; prints a table in ms."""
import os
import pty
import select
import sys
import time

PROMPT = b"local:micro> "


def read_until(fd, want, timeout=5.0):
    """Reads from fd until want has arrived; returns the time it arrived."""
    buf = b""
    end = time.monotonic() + timeout
    while want not in buf:
        left = end - time.monotonic()
        if left <= 0:
            raise SystemExit("prompt_pty: timed out waiting for %r, got %r" % (want, buf[-200:]))
        r, _, _ = select.select([fd], [], [], left)
        if r:
            buf += os.read(fd, 65536)
    return time.monotonic()


def drain(fd, quiet=0.02):
    while select.select([fd], [], [], quiet)[0]:
        try:
            os.read(fd, 65536)
        except OSError:
            return


def spawn(micro):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(micro, [micro])
    return pid, fd


def first_prompt(micro, runs):
    times = []
    for _ in range(runs):
        t0 = time.monotonic()
        pid, fd = spawn(micro)
        t1 = read_until(fd, PROMPT)
        times.append((t1 - t0) * 1000)
        os.write(fd, b"\x04")
        drain(fd)
        os.waitpid(pid, 0)
        os.close(fd)
    return times


def completion(fd, typed, shown, runs, pause=0.0):
    """Types `typed` (ending in a Tab) and times until `shown` is echoed."""
    times = []
    for _ in range(runs):
        if pause:
            time.sleep(pause)
        t0 = time.monotonic()
        os.write(fd, typed)
        t1 = read_until(fd, shown)
        times.append((t1 - t0) * 1000)
        os.write(fd, b"\x15")  # Ctrl-U: an empty line again
        drain(fd)
    return times


def row(name, times):
    times = sorted(times)
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print("%-34s %6d %8.2f %8.2f %8.2f" % (name, len(times), p(0.5), p(0.95), times[-1]))


def main():
    micro, runs = sys.argv[1], int(sys.argv[2])
    print("%-34s %6s %8s %8s %8s" % ("case", "runs", "p50 ms", "p95 ms", "max ms"))
    row("first prompt", first_prompt(micro, runs))
    pid, fd = spawn(micro)
    read_until(fd, PROMPT)
    completion(fd, b"he\t", b"lloworld ", 3)  # the schema cache warmed
    row("Tab: builtin (sto -> store)", completion(fd, b"sto\t", b"re ", runs))
    row("Tab: service, list fresh", completion(fd, b"he\t", b"lloworld ", runs))
    # a second after the last Tab: without the registry watch the list would be refetched
    row("Tab: service, 1 s after the last", completion(fd, b"he\t", b"lloworld ",
                                                      max(5, runs // 10), pause=1.05))
    row("Tab: nested field (--options_d)",
        completion(fd, b"registry getService --options_d\t", b"omain=", runs))
    os.write(fd, b"\x04")
    drain(fd)
    os.waitpid(pid, 0)


main()
