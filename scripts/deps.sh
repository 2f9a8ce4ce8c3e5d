# Sourced by scripts/quickstart and scripts/test: installs the Debian 12 packages the
# build and the tests need, only those missing (apt-get, as root).
MICRO_DEBIAN_PACKAGES=(
  build-essential cmake pkg-config git
  libnghttp2-dev libprotobuf-c-dev protobuf-c-compiler libcjson-dev libsqlite3-dev
  libgit2-dev libsodium-dev libcurl4-openssl-dev libreadline-dev libncurses-dev libcmocka-dev
  clang libclang-rt-14-dev
  python3 python3-grpcio curl jq tmux procps zsh
  chromium   # the web dashboard's browser tests (tests/web; they also need node and npm)
)

micro_install_deps() {
  local missing=() p
  for p in "${MICRO_DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # the web tests' driver: node and npm, from whatever package provides them here
  # (Debian splits npm out of nodejs; other builds of nodejs include it)
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# micro_build DIR [cmake options...]: configure and build into DIR.
micro_build() {
  local dir=$1; shift
  cmake -S "$MICRO_ROOT" -B "$dir" "$@" >"$dir.configure.log" 2>&1 || {
    cat "$dir.configure.log"; return 1; }
  cmake --build "$dir" -j"$(nproc)"
}
