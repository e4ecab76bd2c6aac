# Debian's chromium, for the browser test of the HTML report
# (palfa-cli/tests/report_browser.rs).
#
# Sourced by .ci/run (bash, `set -euo pipefail`). Installs the `chromium`
# package with apt-get when `chromium` is not on the PATH, checks that it
# runs, and exports PALFA_TEST_CHROMIUM (the browser the test starts,
# headless, with its own profile in a temporary directory; with the variable
# set the test must run).

palfa_chromium_setup() {
  if ! command -v chromium >/dev/null; then
    echo "chromium.sh: installing Debian's chromium with apt-get"
    local sudo=""
    [ "$(id -u)" != 0 ] && command -v sudo >/dev/null && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium
  fi
  local browser
  browser="$(command -v chromium)" || { echo "chromium.sh: chromium is not on the PATH" >&2; return 1; }
  local version
  version="$("$browser" --version 2>/dev/null)" || { echo "chromium.sh: $browser --version failed" >&2; return 1; }
  export PALFA_TEST_CHROMIUM="$browser"
  echo "chromium.sh: $version ready ($browser)"
}

palfa_chromium_setup
