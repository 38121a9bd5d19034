# Shared by scripts/test, scripts/screenshots and the bench scripts (source it): install what the scripts need when missing.

# install_debian_packages PACKAGE...: apt-get install (via sudo unless root).
install_debian_packages() {
  local sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@" >/dev/null
}

# ensure_chromium: Debian's headless browser and its WebDriver, for the page tests and screenshots.
ensure_chromium() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    printf '\n== %s\n' "installing Chromium (Debian packages chromium, chromium-driver)"
    install_debian_packages chromium chromium-driver
  fi
}

# ensure_e2e_packages: everything the end-to-end tests run besides Python, in one apt-get when any is missing:
# Chromium and its WebDriver (page tests), slowhttptest (slow-client test).
ensure_e2e_packages() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
  command -v slowhttptest >/dev/null 2>&1 || missing+=(slowhttptest)
  if [ "${#missing[@]}" -gt 0 ]; then
    printf '\n== %s\n' "installing ${missing[*]} (Debian packages)"
    install_debian_packages "${missing[@]}"
  fi
}

# prepare_venv ROOT: ROOT/.venv with tests/python/requirements.txt (pinned, from PyPI), rebuilt when they change.
prepare_venv() {
  local venv="$1/.venv" requirements="$1/tests/python/requirements.txt"
  if [ ! -x "$venv/bin/pytest" ] || ! cmp -s "$requirements" "$venv/.requirements"; then
    printf '\n== %s\n' "preparing the Python venv for end-to-end tests"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip >/dev/null
    "$venv/bin/pip" install -q -r "$requirements"
    cp "$requirements" "$venv/.requirements"
  fi
}

# release_binary ROOT: exports GRAPHGATE_BIN, a release build in ROOT/.build-release unless it is already set
# (the benchmarks; their own scratch path, so they never replace the debug build the tests use).
release_binary() {
  if [ -z "${GRAPHGATE_BIN:-}" ]; then
    printf '\n== %s\n' "swift build -c release --scratch-path .build-release --product graphgate"
    (cd "$1" && swift build -c release --scratch-path .build-release --product graphgate >/dev/null)
    GRAPHGATE_BIN="$(cd "$1" && swift build -c release --scratch-path .build-release --show-bin-path)/graphgate"
  fi
  export GRAPHGATE_BIN
}
