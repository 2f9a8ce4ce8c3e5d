#!/usr/bin/env python3
"""Runs the command blocks of the user guide against a real `micro server`.

The guide must not drift from the code, so every block a reader could paste is
executed here, and wherever the guide shows what a command prints, the output
is compared. The conventions (also in docs/README.md):

  ```sh        run in order; the block fails if any command in it fails
  ```console   lines starting with "$ " are commands (a line ending in "\\"
               continues), the lines after one are its combined stdout and
               stderr, compared exactly; it must exit 0
  anything else (```text, ```c, ```sh no-run, no language) is not run

In expected output a line "..." stands for any number of lines, "<...>" for
any text within a line; trailing spaces and trailing empty lines are ignored.

Each markdown file runs in one bash session (variables carry from block to
block), in file-name order, all against one server started on free loopback
ports with a fresh MICRO_HOME. So that the guide can show the default
addresses, 127.0.0.1/localhost:8080, :8081 and :8082 in commands are rewritten
to the real ports, and the real addresses in outputs are shown as the defaults.

usage: run_docs.py MICRO_BIN DOCS_DIR [FILE...]
"""
import difflib
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BLOCK_TIMEOUT = 120  # seconds: `micro run` builds a service with cmake
DEFAULT_PORTS = {"api": "8080", "proxy": "8081", "web": "8082"}
LOG_LABELS = {"api": "API gateway", "proxy": "gRPC proxy", "web": "web dashboard"}


class Block:
    def __init__(self, path, line, kind, text):
        self.path, self.line, self.kind, self.text = path, line, kind, text

    def where(self):
        return "%s:%d" % (self.path, self.line)


def parse_blocks(path):
    """The runnable fenced blocks of a markdown file, in order."""
    blocks, lines = [], open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(`{3,})(.*)$", lines[i])
        if not m:
            i += 1
            continue
        fence, info, start = m.group(1), m.group(2).strip(), i + 1
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1
        words = info.split()
        if words and words[0] in ("sh", "console") and "no-run" not in words[1:]:
            blocks.append(Block(path, start, words[0], "\n".join(body)))
    return blocks


def parse_console(text):
    """(command, expected output lines, index of the command's last line) of a console block."""
    steps, cmd, out, cont, end = [], None, [], False, 0
    for n, line in enumerate(text.split("\n")):
        if cont:
            cmd += "\n" + line
            cont, end = line.endswith("\\"), n
        elif line.startswith("$ "):
            if cmd is not None:
                steps.append((cmd, out, end))
            cmd, out, end = line[2:], [], n
            cont = line.endswith("\\")
        elif cmd is None:
            if line.strip():
                raise ValueError("console block: output before the first '$ ' command")
        else:
            out.append(line)
    if cmd is not None:
        steps.append((cmd, out, end))
    return steps


def trim(lines):
    lines = [l.rstrip() for l in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def line_matches(want, got):
    if "<...>" not in want:
        return want == got
    pattern = ".*".join(re.escape(p) for p in want.split("<...>"))
    return re.fullmatch(pattern, got) is not None


def output_matches(want, got):
    """Whether got matches want, where a want line "..." takes any lines."""
    if not want:
        return not got
    if want[0] == "...":
        return any(output_matches(want[1:], got[k:]) for k in range(len(got) + 1))
    return bool(got) and line_matches(want[0], got[0]) and output_matches(want[1:], got[1:])


class Server:
    """`micro server` on free loopback ports, with its own MICRO_HOME."""

    def __init__(self, micro, home):
        self.log = os.path.join(home, "server.log")
        args = [micro, "server", "--api_address", "127.0.0.1:0",
                "--proxy_address", "127.0.0.1:0", "--web_address", "127.0.0.1:0"]
        env = dict(os.environ, MICRO_HOME=home)
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env)
        self.addr = self._wait_addresses()

    def _wait_addresses(self):
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("micro server exited during start:\n" + self.tail())
            text = open(self.log, encoding="utf-8", errors="replace").read()
            found = {}
            for key, label in LOG_LABELS.items():
                m = re.search(label + r" listening on (\S+)", text)
                if m:
                    found[key] = m.group(1)
            if len(found) == len(LOG_LABELS):
                return found
            time.sleep(0.05)
        raise RuntimeError("micro server did not report its addresses:\n" + self.tail())

    def tail(self):
        return "".join(open(self.log, encoding="utf-8", errors="replace").readlines()[-30:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Session:
    """One bash process that runs a file's blocks; state carries between them."""

    MARK = "__micro_docs_done__"

    def __init__(self, env, cwd):
        self.proc = subprocess.Popen(["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env=env, cwd=cwd, start_new_session=True)
        self.scratch = tempfile.mkdtemp(prefix="micro-docs-cmd.")
        self.count = 0

    def run(self, script, strict):
        """Runs script; returns (exit code or None if bash died, output)."""
        self.count += 1
        path = os.path.join(self.scratch, "cmd%d.sh" % self.count)
        with open(path, "w") as f:
            f.write(script + "\n")
        # strict: set -e inside the block, so a failure ends the session
        pre = "set -e; " if strict else ""
        self.proc.stdin.write(("%ssource %s </dev/null; rc=$?; set +e; echo; echo %s $rc\n"
                               % (pre, path, self.MARK)).encode())
        self.proc.stdin.flush()
        return self._read()

    def _read(self):
        buf, fd, deadline = b"", self.proc.stdout.fileno(), time.time() + BLOCK_TIMEOUT
        while time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return None, buf.decode(errors="replace")
            buf += chunk
            m = re.search((r"\n%s (\d+)\n" % self.MARK).encode(), buf)
            if m:
                return int(m.group(1)), buf[:m.start()].decode(errors="replace")
        return None, buf.decode(errors="replace") + "\n(timed out)"

    def close(self):
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        shutil.rmtree(self.scratch, ignore_errors=True)


class Runner:
    def __init__(self, micro, server, home, work):
        self.server, self.failures = server, 0
        self.bindir = os.path.join(work, "bin")
        os.makedirs(self.bindir, exist_ok=True)
        os.symlink(os.path.abspath(micro), os.path.join(self.bindir, "micro"))
        self.env = dict(os.environ, MICRO_HOME=home, MICRO_PROXY=server.addr["proxy"],
                        PATH=self.bindir + os.pathsep + os.environ["PATH"], NO_COLOR="1",
                        TERM="dumb")
        self.work = work
        # MICRO_DOCS_FILL=1, for writing the guide: a command documented with no output
        # gets what it printed written below it (review the result before keeping it)
        self.fill = [] if os.environ.get("MICRO_DOCS_FILL") else None

    def to_real(self, text):
        for key, port in DEFAULT_PORTS.items():
            text = re.sub(r"(127\.0\.0\.1|localhost):%s\b" % port, self.server.addr[key], text)
        return text

    def to_doc(self, text):
        for key, port in DEFAULT_PORTS.items():
            text = text.replace(self.server.addr[key], "127.0.0.1:" + port)
        return text

    def fail(self, block, what, detail):
        self.failures += 1
        print("FAIL %s (%s block): %s\n%s" % (block.where(), block.kind, what, detail.rstrip()))

    def run_file(self, path):
        blocks = parse_blocks(path)
        session = Session(self.env, self.work)
        try:
            for b in blocks:
                if not self.run_block(session, b):
                    return len(blocks)
        finally:
            session.close()
            self.write_fill(path)
        return len(blocks)

    def write_fill(self, path):
        if not self.fill:
            return
        lines = open(path, encoding="utf-8").read().split("\n")
        for after, got in sorted(self.fill, reverse=True):
            lines[after:after] = got
        open(path, "w", encoding="utf-8").write("\n".join(lines))
        self.fill.clear()

    def run_block(self, session, block):
        """False when the session cannot go on."""
        if block.kind == "sh":
            rc, out = session.run(self.to_real(block.text), strict=True)
            if rc != 0:
                what = "a command failed" if rc is None else "exit %d" % rc
                self.fail(block, what, self.to_doc(out))
                return False
            return True
        for cmd, want, end in parse_console(block.text):
            rc, out = session.run(self.to_real(cmd), strict=False)
            got = trim(self.to_doc(out).split("\n"))
            if os.environ.get("MICRO_DOCS_SHOW"):  # for writing the guide
                print("$ %s\n%s" % (cmd, "\n".join(got)))
            if rc is None:
                self.fail(block, "bash ended at: " + cmd, "\n".join(got))
                return False
            if rc != 0:
                self.fail(block, "exit %d: %s" % (rc, cmd), "\n".join(got))
            elif not trim(want) and got and self.fill is not None:
                self.fill.append((block.line + 1 + end, got))
            elif not output_matches(trim(want), got):
                diff = difflib.unified_diff(trim(want), got, "documented", "printed", lineterm="")
                self.fail(block, "output differs: " + cmd, "\n".join(diff))
        return True


def self_test():
    """The matching rules, checked before the guide is trusted to them."""
    ok = [(["a", "b"], ["a", "b"]), (["...", "b"], ["b"]), (["a", "..."], ["a", "x", "y"]),
          (["a", "...", "d"], ["a", "b", "c", "d"]), (["id <...> end"], ["id 42 end"]),
          (["<...>"], [""]), ([], [])]
    bad = [(["a"], ["b"]), (["a"], ["a", "b"]), (["a", "b"], ["a"]), (["...", "c"], ["a", "b"]),
           (["id <...> end"], ["id 42 end!"]), (["a.c"], ["abc"]), ([], ["x"])]
    for want, got in ok:
        assert output_matches(want, got), (want, got)
    for want, got in bad:
        assert not output_matches(want, got), (want, got)
    steps = parse_console("$ one \\\n  two\nout1\n$ three\n")
    assert steps == [("one \\\n  two", ["out1"], 1), ("three", [""], 3)], steps
    print("run_docs self-test: ok")


def main(argv):
    if argv[1:] == ["--self-test"]:
        self_test()
        return 0
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    micro, docs = argv[1], argv[2]
    files = argv[3:] or sorted(
        os.path.join(d, f) for d, _, fs in os.walk(docs) for f in fs if f.endswith(".md"))
    work = tempfile.mkdtemp(prefix="micro-docs.")
    # the guide runs from a checkout: ./examples/helloworld is there
    src_examples = os.path.join(os.path.dirname(os.path.abspath(docs)), "examples")
    shutil.copytree(src_examples, os.path.join(work, "examples"),
                    ignore=shutil.ignore_patterns("build", ".micro"))
    home = os.path.join(work, "home")
    os.makedirs(home)
    server = Server(micro, home)
    try:
        runner = Runner(micro, server, home, work)
        total = 0
        for path in files:
            n = runner.run_file(path)
            total += n
            print("%s: %d blocks" % (os.path.relpath(path, docs), n))
        if runner.failures:
            print("--- server log (last lines)\n" + server.tail())
            print("docs: %d failures" % runner.failures)
            return 1
        print("docs: %d blocks in %d files: ok" % (total, len(files)))
        return 0
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
