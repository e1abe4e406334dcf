#!/bin/sh
# Renders the calendar's HTML export in headless Chromium and checks it
# and the report's (cmd/crieur TestCalendarHTMLInChromium, TestReportHTMLInChromium), installing Debian's chromium first
# when it is missing. With --update-screenshot it refreshes docs/calendar.png and docs/report.png.
set -eu
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
	apt-get update -qq
	apt-get install -y -qq chromium >/dev/null
fi
if [ "${1:-}" = "--update-screenshot" ]; then
	CRIEUR_SCREENSHOT="$PWD/docs/calendar.png"
	CRIEUR_REPORT_SCREENSHOT="$PWD/docs/report.png"
	export CRIEUR_SCREENSHOT CRIEUR_REPORT_SCREENSHOT
fi
go test -count=1 -run 'TestCalendarHTMLInChromium|TestReportHTMLInChromium' -v ./cmd/crieur/
