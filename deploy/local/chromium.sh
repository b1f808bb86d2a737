#!/usr/bin/env bash
# Headless Chromium and Node.js from Debian's packages, for the browser test
# (tests/e2e/test_browser.py drives them with puppeteer-core from tests/browser/), and
# LibreOffice Calc without a GUI, for the spreadsheet test
# (tests/integration/shared/test_csv_in_a_spreadsheet.py opens a CSV export in it).
#   chromium.sh install    apt-get install chromium (and nodejs npm, libreoffice-calc-nogui)
#                          when missing
# Not root and something missing: a note, and those tests skip (under CI=true the install
# fails instead, as the tests would).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

missing() {
  local packages=()
  command -v chromium >/dev/null || packages+=(chromium)
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
  command -v soffice >/dev/null || packages+=(libreoffice-calc-nogui)
  echo "${packages[@]}"
}

cmd_install() {
  local packages
  packages="$(missing)"
  [ -z "$packages" ] && return 0
  if [ "$(id -u)" != 0 ] && [ "${CI:-}" != true ]; then
    say "not installed: $packages (their tests will skip; run this as root to install)"
    return 0
  fi
  # shellcheck disable=SC2086
  apt_install --no-install-recommends $packages
  [ -z "$(missing)" ] || die "still missing after installing: $(missing)"
}

case "${1:-}" in
  install) cmd_install ;;
  *) die "usage: chromium.sh install" ;;
esac
