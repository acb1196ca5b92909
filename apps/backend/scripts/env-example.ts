// Writes .env.example from the configuration schema, so it always lists every variable with its
// default and meaning. Run: npm run env:example (a test fails when the file is stale).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigSchema, REPO_ROOT } from '../src/config.js';

export function renderEnvExample(): string {
  const lines = [
    '# Acolhe configuration: every variable the service reads, with its default and meaning.',
    '# Generated from apps/backend/src/config.ts by `npm run env:example`; copy to .env to use.',
    '# Development needs none of them. Production requires DATABASE_URL, REDIS_URL and JWT_SECRET.',
    '',
  ];
  for (const [name, schema] of Object.entries(ConfigSchema.properties) as [string, { description?: string; default?: unknown }][]) {
    lines.push(`# ${schema.description ?? ''}`);
    lines.push(schema.default === undefined ? `# ${name}=` : `${name}=${String(schema.default)}`);
    lines.push('');
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = path.join(REPO_ROOT, '.env.example');
  fs.writeFileSync(file, renderEnvExample());
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
