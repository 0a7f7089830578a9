#!/usr/bin/env bash
# Debian packages the tests need beyond Python's: Pango and HarfBuzz for WeasyPrint (the PDF
# report), Noto fonts so that Arabic renders with a proper naskh face (DejaVu is the fallback),
# and Chromium for the dashboard's browser test (Playwright drives /usr/bin/chromium:
# `playwright install` cannot download browsers here).
# Installs only what is missing; quiet when everything is there.
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core chromium)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "system-packages.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
