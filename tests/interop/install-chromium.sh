#!/usr/bin/env bash
# Installs Debian's Chromium, which the browser click-through test
# (tests/tests/browser_chromium.rs) drives headless through playwright-core.
#
#   bash tests/interop/install-chromium.sh
#
# Does nothing when /usr/bin/chromium is already there. Otherwise it needs root and apt-get
# (Debian or Ubuntu with Debian's package); it says so and exits 1 when either is missing,
# rather than leaving the test to fail later with a less clear message.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium.sh: $CHROMIUM is missing and apt-get is not available;" \
        "install Chromium so that $CHROMIUM runs it" >&2
    exit 1
fi

if [ "$(id -u)" != "0" ]; then
    echo "install-chromium.sh: $CHROMIUM is missing; installing it needs root:" \
        "sudo apt-get install -y --no-install-recommends chromium" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-chromium.sh: installing Debian's chromium package" >&2
apt-get update -q
apt-get install -y -q --no-install-recommends chromium

if [ ! -x "$CHROMIUM" ]; then
    echo "install-chromium.sh: apt-get installed chromium but $CHROMIUM is still missing" >&2
    exit 1
fi
"$CHROMIUM" --version >&2
