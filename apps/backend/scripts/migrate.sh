#!/bin/sh
# `npm run migrate -- <command> [options]`: the name DBAs and CI know.
# With no command it applies pending migrations (`up`). See `migrate.ts --help`.
dir=$(dirname "$0")
# Prefer the installed tsx binary (workspace or hoisted): npx adds ~0.3 s per run.
for bin in "$dir/../node_modules/.bin/tsx" "$dir/../../../node_modules/.bin/tsx"; do
  if [ -x "$bin" ]; then exec "$bin" "$dir/migrate.ts" "$@"; fi
done
exec npx --no-install tsx "$dir/migrate.ts" "$@"
