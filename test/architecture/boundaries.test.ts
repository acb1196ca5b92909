// The module boundaries hold: the lint rule refuses a planted cross-module import (the same rule `npm run
// lint` runs in CI), and our import graph (type-only imports included) has no cycle.
import path from 'node:path';
import t from 'tap';
import { ESLint } from 'eslint';
import { REPO } from '../setup/paths.js';
import { cycles, importGraph } from './import-graph.js';

const RULE = 'acolhe/module-boundaries';

t.test('the lint rule refuses imports across module boundaries', async (t) => {
  const eslint = new ESLint({ cwd: REPO });
  const lint = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: path.join(REPO, 'apps/backend/src', file) });
    return result!.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
  };
  const refused: [string, string, RegExp][] = [
    [
      'modules/users/planted.ts',
      "import { createSessionStore } from '../auth/session-store.js';",
      /public entry modules\/auth\/index\.js/,
    ],
    ['modules/users/planted.ts', "import type { AuthService } from '../auth/service.js';", /reaches into module auth/],
    ['modules/users/planted.ts', "export * from '../access/catalogue.js';", /reaches into module access/],
    ['modules/users/planted.ts', "import { x } from '../users/../auth/repository.js';", /reaches into module auth/],
    ['modules/users/planted.ts', "import type { App } from '../../app.js';", /never import the app's assembly/],
    ['platform/planted.ts', "import { buildApp } from '../app.js';", /never import the app's assembly/],
    [
      'platform/planted.ts',
      "import type { AuthService } from '../modules/auth/index.js';",
      /must not depend on a module/,
    ],
    ['database/seed/planted.ts', "import { PERMISSIONS } from '../../modules/access/catalogue.js';", /reaches into/],
  ];
  for (const [file, code, why] of refused) {
    const messages = await lint(file, code);
    t.equal(messages.length, 1, `${file}: ${code} is refused`);
    t.match(messages[0], why);
  }
  const allowed: [string, string][] = [
    ['modules/users/planted.ts', "import type { AuthService } from '../auth/index.js';"],
    ['modules/users/planted.ts', "import { createUsersRepository } from './repository.js';"],
    ['modules/users/planted.ts', "import { SqlBuilder } from '../../platform/sql.js';"],
    ['app.ts', "import usersModule from './modules/users/index.js';"],
  ];
  for (const [file, code] of allowed) t.same(await lint(file, code), [], `${file}: ${code} is allowed`);
});

t.test('the import graph of src, scripts and tests has no cycle', async (t) => {
  const graph = importGraph(['apps/backend/src', 'apps/backend/scripts', 'test'].map((d) => path.join(REPO, d)));
  t.ok(graph.size > 100, `${graph.size} files read`);
  t.ok(
    graph.get(path.join(REPO, 'apps/backend/src/app.ts'))?.includes(path.join(REPO, 'apps/backend/src/platform/db.ts')),
    'edges are resolved to files',
  );
  const found = cycles(graph).map((c) => c.map((f) => path.relative(REPO, f)));
  t.same(found, [], 'no cycle');
  // The detector itself: a → b → c → a and d → d are found, e → a is not part of one.
  const toy = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', ['d']],
    ['e', ['a']],
  ]);
  t.same(cycles(toy), [['a', 'b', 'c'], ['d']]);
});
