# aiosmtpd (a maintained SMTP server in Python, from PyPI) for the e-mail tests.
#
# Sourced by .ci/run (bash, `set -euo pipefail`). Installs aiosmtpd with pip if
# `python3 -c 'import aiosmtpd'` fails, and checks that openssl is there (the
# tests make a throwaway CA and server certificate for STARTTLS with it). The
# tests start their own server on 127.0.0.1 with a free port. Exports
# PALFA_TEST_PYTHON (the python3 that has aiosmtpd) and PALFA_TEST_SMTP=1 (the
# e-mail tests run, and fail if the server cannot be started).

palfa_smtp_setup() {
  local py
  py="$(command -v python3 || true)"
  if [ -z "$py" ]; then
    local sudo=""
    [ "$(id -u)" != 0 ] && command -v sudo >/dev/null && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3 python3-pip
    py="$(command -v python3)"
  fi
  if ! "$py" -c 'import aiosmtpd' 2>/dev/null; then
    echo "smtp.sh: installing aiosmtpd with pip"
    "$py" -m pip install -q aiosmtpd 2>/dev/null \
      || "$py" -m pip install -q --break-system-packages aiosmtpd
  fi
  "$py" -c 'import aiosmtpd' || { echo "smtp.sh: aiosmtpd cannot be imported by $py" >&2; return 1; }
  command -v openssl >/dev/null || { echo "smtp.sh: openssl is missing" >&2; return 1; }
  export PALFA_TEST_PYTHON="$py"
  export PALFA_TEST_SMTP=1
  echo "smtp.sh: aiosmtpd $("$py" -c 'import aiosmtpd; print(aiosmtpd.__version__)') ready ($py)"
}

palfa_smtp_setup
