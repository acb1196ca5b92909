// acolhe/module-boundaries: the module boundaries of apps/backend/src, checked on resolved paths (so
// `../x/../y` tricks and type-only imports count too).
//  - Outside a module, its files are reached only through its public entry, modules/<name>/index.js.
//  - Neither a module nor platform/ imports app.ts or server.ts (the app assembles them, not the reverse).
//  - platform/ imports no module at all.
import path from 'node:path';

const SRC = path.resolve(import.meta.dirname, '../apps/backend/src');
const MODULES = path.join(SRC, 'modules');
const PLATFORM = path.join(SRC, 'platform');
const ASSEMBLY = new Set(['app', 'server'].flatMap((f) => [`${f}.js`, `${f}.ts`]).map((f) => path.join(SRC, f)));

const within = (dir, file) => {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};
/** The module a file belongs to (the folder right under modules/), or null. */
const moduleOf = (file) => (within(MODULES, file) ? path.relative(MODULES, file).split(path.sep)[0] : null);

export default {
  meta: {
    type: 'problem',
    docs: { description: 'modules import only platform and other modules’ public entries; nothing imports app.ts' },
    messages: {
      internal:
        "'{{source}}' reaches into module {{target}}: import its public entry modules/{{target}}/index.js (or move what is shared to platform/)",
      assembly: "'{{source}}': modules and platform/ never import the app's assembly (app.ts, server.ts)",
      platform: "'{{source}}': platform/ must not depend on a module (modules depend on platform, not the reverse)",
    },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const fromModule = moduleOf(file);
    const fromPlatform = within(PLATFORM, file);
    function check(node) {
      const source = node?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = path.resolve(path.dirname(file), source);
      const toModule = moduleOf(target);
      if ((fromModule || fromPlatform) && ASSEMBLY.has(target)) {
        context.report({ node, messageId: 'assembly', data: { source } });
      } else if (fromPlatform && toModule) {
        context.report({ node, messageId: 'platform', data: { source } });
      } else if (toModule && toModule !== fromModule && target !== path.join(MODULES, toModule, 'index.js')) {
        context.report({ node, messageId: 'internal', data: { source, target: toModule } });
      }
    }
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source),
    };
  },
};
