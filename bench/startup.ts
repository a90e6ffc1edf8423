import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run bench`, start-up part: an HTTP-only app (the quick start's) started RUNS times, each in
 * a fresh process, from process start to listening; prints the median and the spread. The GraphQL
 * and WebSocket support must not slow it: none of their packages is loaded.
 */
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 15);
const APP = fileURLToPath(new URL('./startup-app.js', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'mk-bench-startup-'));
try {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'default.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  execFileSync(process.execPath, [APP, dir]); // warm the file system cache
  const runs = Array.from({ length: RUNS }, () => JSON.parse(execFileSync(process.execPath, [APP, dir], { encoding: 'utf8' })) as { listeningMs: number; rssMb: number });
  const times = runs.map((run) => run.listeningMs).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  console.log(`\nHTTP-only app, process start to listening, ${RUNS} runs: median ${median.toFixed(0)} ms (min ${times[0]!.toFixed(0)}, max ${times.at(-1)!.toFixed(0)}), RSS ${Math.max(...runs.map((run) => run.rssMb)).toFixed(0)} MB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
