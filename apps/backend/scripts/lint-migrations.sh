#!/bin/sh
# CI: every migration's file name and sections, squawk-ignore reasons, and
# squawk (config: .squawk.toml at the repo root) over each up and down section.
exec sh "$(dirname "$0")/migrate.sh" lint "$@"
