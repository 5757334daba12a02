// The inputs of the per-prompt measurements, shared by run.mjs and instructions.mjs.
import { Rng, generateCorpus } from '@totra/pii';

export const PROMPTS = 256;
export const PROMPT_CHARS = 2048;

/** A small deterministic PRNG (the corpus generator's mulberry32), so the inputs are the same on every run. */
export function prng(seed) {
  const rng = new Rng(seed);
  return () => rng.next();
}

/** Prompts of ~2 KB: clean text with two PII values set in at random places. */
export function typicalPrompts() {
  const rand = prng(11);
  const pii = generateCorpus({ seed: 4444, docsPerType: 4, cleanDocs: 0 }).map((d) => d.text);
  const clean = generateCorpus({ seed: 4545, docsPerType: 0, cleanDocs: 2000 }).map((d) => d.text);
  const prompts = [];
  for (let i = 0; i < PROMPTS; i++) {
    const parts = [];
    let len = 0;
    while (len < PROMPT_CHARS - 300) {
      const t = clean[Math.floor(rand() * clean.length)];
      parts.push(t);
      len += t.length + 1;
    }
    for (let k = 0; k < 2; k++) parts.splice(Math.floor(rand() * parts.length), 0, pii[Math.floor(rand() * pii.length)]);
    prompts.push(parts.join('\n').slice(0, PROMPT_CHARS));
  }
  return prompts;
}
