#!/usr/bin/env bash
# The quick start of README.rst: installs everything (.ci/setup: packages, .venv, test bed),
# then deploys this example map over SSH to the test bed's host bed1 and shows the result.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
bash "$repo/.ci/setup"
cd "$here"
printf '\n=== dockerfab -H bed1 startup web_server --dry-run\n'
"$repo/.venv/bin/dockerfab" -H bed1 startup web_server --dry-run
printf '\n=== dockerfab -H bed1 startup web_server\n'
"$repo/.venv/bin/dockerfab" -H bed1 startup web_server
printf '\n=== dockerfab -H bed1 status\n'
"$repo/.venv/bin/dockerfab" -H bed1 status
