# Debian's Firefox ESR, for the report's rendering check in a second browser
# (palfa-cli/tests/report_browser.rs; the DOM checks are Chromium's).
#
# Sourced by .ci/run (bash, `set -euo pipefail`). Installs the `firefox-esr`
# package with apt-get when `firefox-esr` is not on the PATH, checks that it
# runs, and exports PALFA_TEST_FIREFOX (with it set the Firefox check must
# run).

palfa_firefox_setup() {
  if ! command -v firefox-esr >/dev/null; then
    echo "firefox.sh: installing Debian's firefox-esr with apt-get"
    local sudo=""
    [ "$(id -u)" != 0 ] && command -v sudo >/dev/null && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends firefox-esr
  fi
  local browser
  browser="$(command -v firefox-esr)" || { echo "firefox.sh: firefox-esr is not on the PATH" >&2; return 1; }
  local version
  version="$("$browser" --version 2>/dev/null)" || { echo "firefox.sh: $browser --version failed" >&2; return 1; }
  export PALFA_TEST_FIREFOX="$browser"
  echo "firefox.sh: $version ready ($browser)"
}

palfa_firefox_setup
