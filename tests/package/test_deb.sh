#!/usr/bin/env bash
# The Debian package as a user gets it: cpack builds micro_*.deb in a scratch
# tree configured for /usr; its metadata and file list are checked; then it is
# installed, into this machine with apt when running as root in CI (CI=true,
# and removed again at the end), else unpacked into a scratch root with dpkg -x.
# From the installed files: `micro --version`, the man page, both completions,
# `pkg-config libmicro`, a C program linked against the shared and the static
# libmicro, a `micro new` service built with CMake against the installed
# libmicro, and `micro server` from usr/bin answering `micro services` and a
# call to that service (ephemeral loopback ports, temporary MICRO_HOME). Pipes
# into grep read all their input (no -q), so pipefail sees no SIGPIPE.
set -euo pipefail
: "${MICRO_SRC:?MICRO_SRC must point at the source tree}"
WORK=$(mktemp -d /tmp/micro-pkg.XXXXXX)
SYSTEM=false
[ "${CI:-}" = true ] && [ "$(id -u)" -eq 0 ] && SYSTEM=true
INSTALLED=false
SVC_PID=""

cleanup_pkg() {
  if [ -n "$SVC_PID" ]; then kill -TERM "$SVC_PID" 2>/dev/null || true; wait "$SVC_PID" 2>/dev/null || true; fi
  declare -F micro_cleanup >/dev/null && micro_cleanup
  if $INSTALLED; then dpkg --purge micro >/dev/null 2>&1 || echo "WARNING: dpkg --purge micro failed" >&2; fi
  rm -rf "$WORK"
}
trap cleanup_pkg EXIT
die() { echo "FAIL: $*" >&2; exit 1; }

# --- build the package -------------------------------------------------------------
B=$WORK/build
cmake -S "$MICRO_SRC" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DMICRO_TESTS=OFF >"$WORK/configure.log" 2>&1 || { cat "$WORK/configure.log"; die "configure"; }
cmake --build "$B" -j"$(nproc)" >"$WORK/build.log" 2>&1 || { tail -50 "$WORK/build.log"; die "build"; }
(cd "$B" && cpack -G DEB) >"$WORK/cpack.log" 2>&1 || { cat "$WORK/cpack.log"; die "cpack"; }
ARCH=$(dpkg --print-architecture)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
VERSION=$(sed -n 's/^project(micro VERSION \([0-9.]*\).*/\1/p' "$MICRO_SRC/CMakeLists.txt")
DEB=$B/micro_${VERSION}_${ARCH}.deb
[ -f "$DEB" ] || die "no $DEB (cpack made: $(ls "$B"/*.deb 2>/dev/null))"

# --- cmake --install --prefix DIR: the same files, and a .pc naming DIR ---------------
cmake --install "$B" --prefix "$WORK/inst" >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; die "cmake --install"; }
grep -qx "prefix=$WORK/inst" "$WORK/inst/lib/$MA/pkgconfig/libmicro.pc" || die "installed .pc: $(head -3 "$WORK/inst/lib/$MA/pkgconfig/libmicro.pc")"
for f in bin/micro include/micro/micro.h "lib/$MA/libmicro.a" "lib/$MA/libmicro.so.3" share/man/man1/micro.1.gz \
         share/bash-completion/completions/micro share/zsh/vendor-completions/_micro; do
  [ -e "$WORK/inst/$f" ] || die "cmake --install did not install $f"
done

# --- metadata ------------------------------------------------------------------------
field() { dpkg-deb -f "$DEB" "$1"; }
[ "$(field Package)" = micro ] || die "Package: $(field Package)"
[ "$(field Version)" = "$VERSION" ] || die "Version: $(field Version), want $VERSION"
[ "$(field Architecture)" = "$ARCH" ] || die "Architecture: $(field Architecture)"
DEPENDS=$(field Depends)
# shlibdeps must have found the libraries micro links, with versions
for lib in libc6 libcurl4 libgit2 libnghttp2 libprotobuf-c1 libcjson1 libsodium23 libsqlite3-0 libreadline8; do
  grep -Eq "(^|, )$lib[^,]*\(>= " <<<"$DEPENDS" || die "Depends lacks a versioned $lib: $DEPENDS"
done
for dev in pkg-config libprotobuf-c-dev libnghttp2-dev libcjson-dev libsodium-dev; do
  grep -Eq "(^|, )$dev(,|$| )" <<<"$DEPENDS" || die "Depends lacks $dev: $DEPENDS"
done

# --- file list -------------------------------------------------------------------------
dpkg-deb -c "$DEB" >"$WORK/contents"
awk '{ print $6 ($7 ? " " $7 " " $8 : "") }' "$WORK/contents" | sed 's|^\./|/|' | grep -v '/$' >"$WORK/files"
cat >"$WORK/want" <<EOF
/usr/bin/micro
/usr/include/micro/micro.h
/usr/lib/$MA/libmicro.a
/usr/lib/$MA/libmicro.so -> libmicro.so.${VERSION%%.*}
/usr/lib/$MA/libmicro.so.${VERSION%%.*} -> libmicro.so.$VERSION
/usr/lib/$MA/libmicro.so.$VERSION
/usr/lib/$MA/pkgconfig/libmicro.pc
/usr/share/bash-completion/completions/micro
/usr/share/doc/micro/README.md
/usr/share/man/man1/micro.1.gz
/usr/share/zsh/vendor-completions/_micro
EOF
sort -o "$WORK/files" "$WORK/files"
diff -u "$WORK/want" "$WORK/files" || die "the package's files differ from the expected list"
awk '$2 != "root/root" { bad = 1 } END { exit bad }' "$WORK/contents" ||
  die "files not owned by root: $(grep -v root/root "$WORK/contents")"
grep -q -- '^-rwxr-xr-x .* \./usr/bin/micro$' "$WORK/contents" || die "usr/bin/micro is not 0755"
dpkg-deb -e "$DEB" "$WORK/control"
[ -s "$WORK/control/shlibs" ] || die "no shlibs control file"
for script in postinst postrm; do   # cpack's: they run ldconfig for libmicro.so
  grep -q ldconfig "$WORK/control/$script" 2>/dev/null || die "no ldconfig in $script"
done

# --- install --------------------------------------------------------------------------
if $SYSTEM; then
  ! dpkg-query -W -f='${Status}' micro 2>/dev/null | grep >/dev/null 'install ok installed' ||
    die "micro is installed on this machine already; not touching it"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$DEB" \
    >"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log"; die "apt-get install"; }
  INSTALLED=true
  ROOT=""
  dpkg -s micro | grep >/dev/null '^Status: install ok installed' || die "dpkg does not list micro as installed"
else
  # Not root in CI: unpack, and check that everything it depends on is installed here.
  ROOT=$WORK/root
  dpkg -x "$DEB" "$ROOT"
  for dep in $(sed 's/([^)]*)//g; s/|[^,]*//g; s/,/ /g' <<<"$DEPENDS"); do
    dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep >/dev/null 'install ok installed' ||
      die "dependency $dep is not installed on this machine"
  done
  export LD_LIBRARY_PATH=$ROOT/usr/lib/$MA
fi
BIN=$ROOT/usr/bin/micro
LIBDIR=$ROOT/usr/lib/$MA

# --- the binary, the man page, the completions ---------------------------------------
[ "$("$BIN" --version)" = "micro version v$VERSION" ] || die "micro --version: $("$BIN" --version)"
if $SYSTEM; then
  [ "$(command -v micro)" = /usr/bin/micro ] || [ "$(command -v micro)" = /usr/local/bin/micro ] ||
    die "micro is not on PATH"
fi
MAN=$ROOT/usr/share/man/man1/micro.1.gz
zcat "$MAN" | cmp -s - "$MICRO_SRC/docs/micro.1" || die "the installed man page is not docs/micro.1"
if command -v man >/dev/null; then
  found=$(MANPATH=$ROOT/usr/share/man man -w micro) || die "man -w micro found nothing"
  [ "$found" = "$MAN" ] || die "man -w micro: $found, want $MAN"
  MANWIDTH=80 man -l "$MAN" 2>/dev/null | grep >/dev/null 'micro server' || die "man micro does not render"
fi
BASH_C=$ROOT/usr/share/bash-completion/completions/micro
ZSH_C=$ROOT/usr/share/zsh/vendor-completions/_micro
"$BIN" completion bash | cmp -s - "$BASH_C" || die "bash completion file differs from micro completion bash"
"$BIN" completion zsh | cmp -s - "$ZSH_C" || die "zsh completion file differs from micro completion zsh"
bash -c "source '$BASH_C' && complete -p micro" | grep >/dev/null -- '-F _micro_complete micro' ||
  die "the bash completion does not register"
if command -v zsh >/dev/null; then
  zsh -fc 'print -l $fpath' | grep -x >/dev/null /usr/share/zsh/vendor-completions ||
    die "/usr/share/zsh/vendor-completions is not on zsh's fpath"
  zsh -fc "fpath=('${ZSH_C%/*}' \$fpath); autoload -U compinit && compinit -u -D && print -r -- \$_comps[micro]" |
    grep -qx _micro || die "zsh's compinit does not bind _micro to micro"
fi

# --- pkg-config and libmicro -----------------------------------------------------------
PC=$LIBDIR/pkgconfig/libmicro.pc
grep -qx 'prefix=/usr' "$PC" || die "libmicro.pc: $(cat "$PC")"
if [ -n "$ROOT" ]; then
  # unpacked only: the same .pc moved under the scratch root (a sysroot would move
  # the Requires' system paths too)
  mkdir -p "$WORK/pc"
  sed "s|^prefix=/usr\$|prefix=$ROOT/usr|" "$PC" >"$WORK/pc/libmicro.pc"
  export PKG_CONFIG_PATH=$WORK/pc
else
  # the package's own .pc first: a libmicro installed under /usr/local (quickstart's
  # cmake --install) comes before /usr in pkg-config's default search path
  export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
fi
CFLAGS_PC=$(pkg-config --cflags libmicro) || die "pkg-config --cflags libmicro"
LIBS_PC=$(pkg-config --libs libmicro) || die "pkg-config --libs libmicro"
[ "$(pkg-config --modversion libmicro)" = "$VERSION" ] || die "libmicro version $(pkg-config --modversion libmicro)"
grep -q -- "-I$ROOT/usr/include/micro" <<<"$CFLAGS_PC" || die "cflags: $CFLAGS_PC"
objdump -p "$LIBDIR/libmicro.so.$VERSION" | grep >/dev/null "SONAME *libmicro.so.${VERSION%%.*}$" || die "no SONAME"
undefined=$(ldd -r "$LIBDIR/libmicro.so.$VERSION" 2>&1 | grep 'undefined symbol' || true)
[ -z "$undefined" ] || die "libmicro.so leaves symbols undefined: $undefined"
cat >"$WORK/hello.c" <<'EOF'
#include <micro.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    struct micro_service *svc = micro_service_new("pkgtest");
    if (!svc || strcmp(micro_service_name(svc), "pkgtest") != 0)
        return 1;
    printf("%s|%s\n", micro_service_namespace(svc), micro_strerror(MICRO_ENOTFOUND));
    micro_service_free(svc);
    return 0;
}
EOF
# shellcheck disable=SC2086
cc -Wall -Werror -o "$WORK/hello_shared" "$WORK/hello.c" $CFLAGS_PC $LIBS_PC || die "linking the shared libmicro"
# shellcheck disable=SC2086
cc -Wall -Werror -o "$WORK/hello_static" "$WORK/hello.c" $CFLAGS_PC ${LIBS_PC/-lmicro/-l:libmicro.a} ||
  die "linking the static libmicro"
readelf -d "$WORK/hello_shared" | grep >/dev/null 'NEEDED.*\[libmicro.so.3\]' || die "hello_shared does not use libmicro.so.3"
readelf -d "$WORK/hello_static" | grep >/dev/null 'NEEDED.*libmicro' && die "hello_static needs libmicro.so"
want="micro|$(MICRO_SERVICE_NAME= "$WORK/hello_shared" | cut -d'|' -f2)"
[ -n "${want#micro|}" ] || die "hello_shared did not run"
for h in hello_shared hello_static; do
  [ "$(env -u MICRO_NAMESPACE -u MICRO_SERVICE_NAME "$WORK/$h")" = "$want" ] || die "$h printed something else"
done

# --- micro server from usr/bin, and a `micro new` service built on the installed libmicro ---
export MICRO_BIN=$BIN
. "$MICRO_SRC/tests/integration/lib.sh"
micro_start_server
trap cleanup_pkg EXIT
cli_harness
run login --username admin --password micro; expect "login" 0 "Successfully logged in.\n" ""
run services
[ "$RC" = 0 ] || fail "micro services: exit $RC: $(cat "$T/err")"
for s in auth config registry runtime store; do grep -qx "$s" "$T/out" || fail "micro services lacks $s: $(cat "$T/out")"; done

(cd "$WORK" && "$BIN" new greeter >/dev/null) || fail "micro new greeter"
SRC=$WORK/greeter
cmake -S "$SRC" -B "$SRC/.micro/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$WORK/svc-build.log" 2>&1 &&
  cmake --build "$SRC/.micro/build" -j2 >>"$WORK/svc-build.log" 2>&1 ||
  { cat "$WORK/svc-build.log" >&2; fail "the scaffold does not build against the installed libmicro"; }
readelf -d "$SRC/.micro/build/greeter" | grep >/dev/null 'NEEDED.*\[libmicro.so.3\]' ||
  fail "the service is not linked with the installed libmicro.so.3"
ADMIN=$(micro_admin_token)
SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d "{\"id\":\"greeter-latest\",\"secret\":\"$SECRET\",\"type\":\"service\",\"scopes\":[\"service\"]}" \
  "http://$API_ADDR/auth/auth/generate")
[ "$code" = 200 ] || fail "generating the service account: HTTP $code"
env MICRO_SERVICE_NAME=greeter MICRO_NAMESPACE=micro MICRO_PROXY="$PROXY_ADDR" \
  MICRO_AUTH_ID=greeter-latest MICRO_AUTH_SECRET="$SECRET" "$SRC/.micro/build/greeter" >"$WORK/svc.log" 2>&1 &
SVC_PID=$!
for _ in $(seq 1 100); do m services | grep -x >/dev/null greeter && break; sleep 0.05; done
m services | grep -x >/dev/null greeter || { cat "$WORK/svc.log" >&2; fail "greeter did not register"; }
run greeter --name=Alice
expect "call greeter" 0 '{\n\t"msg": "Hello Alice"\n}\n' ""

mode=$($SYSTEM && echo "installed with apt" || echo "unpacked with dpkg -x")
echo "package: $(basename "$DEB"), $(stat -c %s "$DEB") bytes, $(wc -l <"$WORK/files") files, $mode"
if $SYSTEM; then
  kill -TERM "$SVC_PID" 2>/dev/null; wait "$SVC_PID" 2>/dev/null || true; SVC_PID=""
  micro_cleanup; SERVER_PID=""
  dpkg --purge micro >"$WORK/remove.log" 2>&1 || { cat "$WORK/remove.log"; die "dpkg --purge micro"; }
  INSTALLED=false
  [ ! -e /usr/bin/micro ] && [ ! -e "/usr/lib/$MA/libmicro.so.3" ] || die "files left after dpkg --purge"
  [ ! -e "/usr/lib/$MA/pkgconfig/libmicro.pc" ] || die "libmicro.pc left after dpkg --purge"
  dpkg-query -W micro >/dev/null 2>&1 && die "dpkg still knows micro after --purge"
fi
echo "PASS"
