// The line-length guard (eslint.config.js, max-len): Prettier wraps code at 120 columns but never a comment,
// so ESLint holds comments to 120; lines holding strings, SQL template literals or regexes stay exempt.
import t from 'tap';
import { ESLint } from 'eslint';
import { REPO } from '../setup/paths.js';

const eslint = new ESLint({ cwd: REPO });
const lengthErrors = async (text: string) => {
  const [result] = await eslint.lintText(text, { filePath: `${REPO}/apps/backend/src/planted.ts` });
  return result!.messages.filter((m) => m.ruleId === 'max-len').map((m) => m.line);
};
const long = 'x'.repeat(130);

t.test('a comment longer than 120 characters fails the lint', async (t) => {
  t.same(await lengthErrors(`// ${long}\nexport const a = 1;\n`), [1], 'line comment');
  t.same(await lengthErrors(`/**\n * ${long}\n */\nexport const a = 1;\n`), [2], 'block comment');
  t.same(await lengthErrors(`export const a = 1; // ${long}\n`), [1], 'trailing comment');
});

t.test('strings, SQL template literals and regexes may run long', async (t) => {
  t.same(await lengthErrors(`export const message = '${long}';\n`), []);
  t.same(await lengthErrors(`export const sql = \`\n  SELECT ${long}\n  FROM t\`;\n`), []);
  t.same(await lengthErrors(`export const re = /${long}/;\n`), []);
  t.same(await lengthErrors(`// ${'x'.repeat(117)}\nexport const a = 1;\n`), [], '120 exactly is fine');
});
