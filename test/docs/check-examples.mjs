// Every TypeScript example of README.md and docs/ is type-checked against the built package
// (dist/index.d.ts as `microkubes-nestjs`, dist/<entry>/index.d.ts as `microkubes-nestjs/<entry>`), so
// that no example drifts from the API. A fenced
// block ```ts (or ```typescript) is a module of its own and must compile as written, imports
// included; a block meant as a fragment says so in its info string (```ts fragment) and is left
// out. Run after `npm run build`: `npm run docs:check`.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = join(root, '.cache/doc-examples');
const built = join(root, 'dist/index.d.ts');
try {
  statSync(built);
} catch {
  console.error('docs: dist/index.d.ts is missing; run npm run build first');
  process.exit(1);
}

function markdownFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'api' ? [] : markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

/** Fenced blocks: their info string, first line (1-based) and text. */
function blocks(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, language, rest] = open;
    const body = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j].trimStart().startsWith(fence); j++) body.push(lines[j].slice(indent.length));
    found.push({ language: language.toLowerCase(), words: rest.split(/\s+/).filter(Boolean), line: i + 2, text: body.join('\n') });
    i = j;
  }
  return found;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const sources = new Map();
let fragments = 0;
for (const file of [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))]) {
  for (const block of blocks(file)) {
    if (block.language !== 'ts' && block.language !== 'typescript') continue;
    if (block.words.includes('fragment')) {
      fragments++;
      continue;
    }
    const name = `${relative(root, file).replace(/[/.]/g, '_')}_${block.line}.ts`;
    // `export {}` keeps a block without imports a module of its own.
    writeFileSync(join(out, name), `${block.text}\nexport {};\n`);
    sources.set(join(out, name), { file: relative(root, file), line: block.line });
  }
}

const program = ts.createProgram([...sources.keys()], {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
  paths: {
    'microkubes-nestjs': [built],
    ...Object.fromEntries(['testing', 'graphql', 'socket.io', 'ws', 'microservices', 'swagger'].map((entry) => [`microkubes-nestjs/${entry}`, [join(root, `dist/${entry}/index.d.ts`)]])),
  },
});
const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file && sources.has(d.file.fileName));
for (const diagnostic of diagnostics) {
  const { file, line } = sources.get(diagnostic.file.fileName);
  const at = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
  console.error(`${file}:${line + at.line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
}
console.log(`docs: ${sources.size} TypeScript examples type-checked against dist/, ${fragments} fragments left out, ${diagnostics.length} errors`);
process.exit(diagnostics.length > 0 ? 1 : 0);
