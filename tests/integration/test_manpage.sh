#!/usr/bin/env bash
# docs/micro.1 against the command table, so the man page cannot drift from the
# binary: every command and subcommand `micro ... --help` lists has an entry
# (and every entry is a real command), every option of each is in its entry,
# every global option is under OPTIONS, every $MICRO_* variable a help names is
# under ENVIRONMENT, .TH carries `micro --version`, and man renders it without
# warnings. Runs the binary only; no server.
set -euo pipefail
: "${MICRO_BIN:?MICRO_BIN must point at the micro binary}"
: "${MICRO_SRC:?MICRO_SRC must point at the source tree}"
PAGE=${MICRO_MANPAGE:-$MICRO_SRC/docs/micro.1}
[ -f "$PAGE" ] || { echo "FAIL: no man page at $PAGE" >&2; exit 1; }

/usr/bin/python3 - "$MICRO_BIN" "$PAGE" <<'EOF'
import re, subprocess, sys

micro, page_path = sys.argv[1], sys.argv[2]
page = open(page_path).read()
problems = []

def help_of(path):
    r = subprocess.run([micro] + path + ["--help"], capture_output=True, text=True, timeout=10)
    if r.returncode != 0 or "USAGE:" not in r.stdout:
        sys.exit("FAIL: micro %s --help exited %d" % (" ".join(path), r.returncode))
    return r.stdout

def section(text, name):
    out, on = [], False
    for line in text.splitlines():
        if re.match(r"^[A-Z ]+:$", line):
            on = line == name + ":"
        elif on:
            out.append(line)
    return out

def subcommands(text):
    subs = []
    for line in section(text, "COMMANDS"):
        m = re.match(r"^\s+([^\s,]+)", line)
        if m and m.group(1) != "help":
            subs.append(m.group(1))
    return subs

def flags(text, name="OPTIONS"):
    """Every spelling of every option but --help: ['--store', '-d', ...]."""
    out = []
    for line in section(text, name):
        m = re.match(r"^\s+(-\S.*?)(?:\t|\s{2,}|$)", line)
        if not m:
            continue
        names = [w.split()[0] for w in m.group(1).split(", ")]
        if "--help" not in names:
            out.append(names)
    return out

def roff(s):
    return s.replace("-", "\\-")

# the command tree, walked through --help
tree, envs = {}, set()
def walk(path):
    text = help_of(path)
    envs.update(re.findall(r"\[\$([A-Z0-9_]+)\]", text))
    tree[" ".join(path)] = flags(text)
    for sub in subcommands(text):
        walk(path + [sub])
top = help_of([])
envs.update(re.findall(r"\[\$([A-Z0-9_]+)\]", top))
for cmd in subcommands(top):
    walk([cmd])
if len(tree) < 20:
    sys.exit("FAIL: only %d commands found in micro --help" % len(tree))

# the page's sections, and its COMMANDS entries: `.TP` then `\fBmicro PATH\fR ...`
sections = {}
name = None
for line in page.splitlines():
    m = re.match(r'^\.SH\s+"?([^"]+)"?$', line)
    if m:
        name = m.group(1).strip()
        sections[name] = []
    elif name:
        sections[name].append(line)
for want in ["NAME", "SYNOPSIS", "DESCRIPTION", "THE SERVER", "OPTIONS", "COMMANDS",
             "DYNAMIC COMMANDS", "PROMPT", "COMPLETION", "ENVIRONMENT", "FILES",
             "EXIT STATUS", "EXAMPLES"]:
    if want not in sections:
        problems.append("no section %s" % want)

entries, current, prev = {}, None, ""
for line in sections.get("COMMANDS", []):
    m = re.match(r"^\\fBmicro (.+?)\\fR", line)
    if prev == ".TP" and m:
        current = m.group(1).replace("\\-", "-")
        if current in entries:
            problems.append("two entries for 'micro %s'" % current)
        entries[current] = []
    elif current is not None:
        entries[current].append(line)
    prev = line

for path, opts in sorted(tree.items()):
    if path not in entries:
        problems.append("no entry for 'micro %s'" % path)
        continue
    body = "\n".join(entries[path])
    for names in opts:
        for n in names:
            if not re.search(re.escape(roff(n)) + r"(?![A-Za-z0-9_]|\\-)", body):
                problems.append("'micro %s': option %s is not in its entry" % (path, n))
for path in sorted(entries):
    if path not in tree and path != "help":
        problems.append("entry 'micro %s' is not a command of micro --help" % path)

options = "\n".join(sections.get("OPTIONS", []))
for names in flags(top, "GLOBAL OPTIONS") + [["--help", "-h"]]:
    for n in names:
        if not re.search(re.escape(roff(n)) + r"(?![A-Za-z0-9_]|\\-)", options):
            problems.append("global option %s is not under OPTIONS" % n)

environment = "\n".join(sections.get("ENVIRONMENT", []))
for var in sorted(envs):
    if "\\fB%s\\fR" % var not in environment and ".B %s" % var not in environment:
        problems.append("variable %s is not under ENVIRONMENT" % var)

version = subprocess.run([micro, "--version"], capture_output=True, text=True).stdout.split()[-1]
th = re.search(r'^\.TH .*"micro ([^"]+)"', page, re.M)
if not th or "v" + th.group(1) != version:
    problems.append(".TH says %s, micro --version says %s" % (th.group(1) if th else "nothing", version))

if problems:
    print("FAIL: docs/micro.1 does not match the command table:", file=sys.stderr)
    for p in problems:
        print("  " + p, file=sys.stderr)
    sys.exit(1)
print("man page: %d commands, %d variables checked" % (len(tree), len(envs)))
EOF

# roff errors and warnings (man-db may be missing on a minimal machine: then only the checks above)
if command -v man >/dev/null && command -v groff >/dev/null; then
  warn=$(MANWIDTH=80 man --warnings -l "$PAGE" 2>&1 >/dev/null || true)
  [ -z "$warn" ] || { echo "FAIL: man warns about $PAGE:"; echo "$warn"; exit 1; } >&2
fi
echo "PASS"
