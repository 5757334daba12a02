// Instruction counts of the per-prompt scan, for before/after ratios that do not depend on the
// machine's load: run this under an instruction counter twice, with 0 and with N rounds, and
// divide the difference by N x 256 (method in bench/pii/README.md). Imports the built @totra/pii.
//   node bench/pii/instructions.mjs <rounds>
import { createScanner } from '@totra/pii';
import { typicalPrompts } from './prompts.mjs';

const rounds = Number(process.argv[2] ?? 10);
if (!Number.isInteger(rounds) || rounds < 0) throw new Error('usage: node bench/pii/instructions.mjs <rounds>');
const prompts = typicalPrompts();
const scanner = createScanner();
let sink = 0;
// The same warm-up as run.mjs, so both runs compile the same code before the counted rounds.
for (let r = 0; r < 10; r++) for (const p of prompts) sink ^= scanner.scan(p).length;
for (let r = 0; r < rounds; r++) for (const p of prompts) sink ^= scanner.scan(p).length;
console.log(JSON.stringify({ rounds, prompts: prompts.length, sink }));
