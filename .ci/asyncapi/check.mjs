// Validates AsyncAPI documents with the reference parser (@asyncapi/parser): exits 1 when any
// document does not parse or has a diagnostic of severity error. Usage: node check.mjs FILE...
import { Parser } from '@asyncapi/parser';
import { readFileSync } from 'node:fs';

const ERROR = 0;
const parser = new Parser();
let failed = false;
for (const file of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(readFileSync(file, 'utf8'));
  const errors = diagnostics.filter((d) => d.severity === ERROR);
  for (const d of errors) {
    console.log(`${file}: ${d.code}: ${d.message} at /${d.path.join('/')}`);
  }
  if (!document || errors.length > 0) {
    failed = true;
  } else {
    console.log(`${file}: valid AsyncAPI ${document.version()}`);
  }
}
process.exit(failed ? 1 : 0);
