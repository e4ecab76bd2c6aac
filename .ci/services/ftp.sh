# pyftpdlib (with PyOpenSSL for FTPS) for palfa-cli's downloader tests: an
# FTP server palfa did not write, which the tests start themselves on
# loopback (tests/fixtures/pyftpdlib_archive.py) with throwaway certificates.
#
# Sourced by .ci/run (bash, `set -euo pipefail`, as root, Debian 12).
# Installs python3 and python3-venv from Debian if missing, then pyftpdlib
# and pyopenssl from PyPI into a virtual environment whose python3 is put
# first on PATH (Debian 12's system Python refuses `pip install` outside a
# venv). Exports CI=true so that the tests fail, not skip, if the modules
# cannot be imported.

palfa_ftp_setup() {
  local sudo=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo="sudo"; fi
  local pkgs="python3 python3-venv python3-pip" missing="" p
  for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    echo "ftp.sh: installing$missing"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
  fi
  if ! python3 -c 'import pyftpdlib, OpenSSL' 2>/dev/null; then
    local venv="${PALFA_FTP_VENV:-/opt/palfa-ci-venv}"
    [ -x "$venv/bin/python3" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q pyftpdlib pyopenssl
    export PATH="$venv/bin:$PATH"
  fi
  python3 -c 'import pyftpdlib, OpenSSL; print("ftp.sh: pyftpdlib", pyftpdlib.__ver__)'
  export CI=true
}

palfa_ftp_setup
