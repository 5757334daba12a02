import { describe, expect, it } from 'vitest';
import { LeafLedger } from './leaf-ledger.js';

const h = (chain: string, seq: number): string => `${chain === 'a' ? 'a' : chain === 'b' ? 'b' : 'c'}${String(seq).padStart(63, '0')}`;

function ledgerWith(events: Record<string, number>): LeafLedger {
  const ledger = new LeafLedger();
  for (const [chain, last] of Object.entries(events)) for (let seq = 1; seq <= last; seq++) ledger.record(chain, seq, h(chain, seq));
  return ledger;
}

describe('LeafLedger: the heads a checkpoint lists and the leaves they add', () => {
  it('lists only the chains that moved since the anchored heads, and collects their new events in chain then seq order', () => {
    const ledger = ledgerWith({ a: 3, b: 2, c: 1 });
    const first = ledger.nextHeads()!;
    expect(first).toEqual({ heads: [{ chain: 'a', seq: 3, hash: h('a', 3) }, { chain: 'b', seq: 2, hash: h('b', 2) }, { chain: 'c', seq: 1, hash: h('c', 1) }], added: 6 });
    expect(ledger.collect(first.heads).problems).toEqual([]);
    ledger.commit(first.heads);
    expect(ledger.nextHeads()).toBeNull();

    // Only b moves: the next checkpoint lists b alone, and adds b's two new events.
    ledger.record('b', 3, h('b', 3));
    ledger.record('b', 4, h('b', 4));
    const second = ledger.nextHeads()!;
    expect(second).toEqual({ heads: [{ chain: 'b', seq: 4, hash: h('b', 4) }], added: 2 });
    expect(ledger.collect(second.heads)).toEqual({ leaves: [{ chain: 'b', seq: 3, hash: h('b', 3) }, { chain: 'b', seq: 4, hash: h('b', 4) }], problems: [] });
    ledger.commit(second.heads);
    // The anchored heads of every chain stay known (what a notary saves with its state).
    expect(ledger.heads().map((x) => [x.chain, x.seq])).toEqual([['a', 3], ['b', 4], ['c', 1]]);
  });

  it('accepts a checkpoint that lists every chain, unmoved ones at their anchored head (as written before ADR 0023)', () => {
    const ledger = ledgerWith({ a: 2, b: 1 });
    ledger.commit(ledger.nextHeads()!.heads);
    ledger.record('a', 3, h('a', 3));
    const full = [{ chain: 'a', seq: 3, hash: h('a', 3) }, { chain: 'b', seq: 1, hash: h('b', 1) }];
    expect(ledger.collect(full)).toEqual({ leaves: [{ chain: 'a', seq: 3, hash: h('a', 3) }], problems: [] });
  });

  it('still finds what a checkpoint cannot add: a head that goes back, another hash at an anchored head, a cut chain', () => {
    const ledger = ledgerWith({ a: 3, b: 2 });
    ledger.commit(ledger.nextHeads()!.heads);
    ledger.record('a', 4, h('a', 4));
    const { problems } = ledger.collect([
      { chain: 'a', seq: 6, hash: h('a', 6) },
      { chain: 'b', seq: 1, hash: h('b', 1) },
      { chain: 'c', seq: 1, hash: h('c', 1) },
    ]);
    expect(problems.map((p) => p.kind)).toEqual(['chain-truncated', 'head-regressed', 'chain-missing']);
    expect(ledger.collect([{ chain: 'b', seq: 2, hash: h('a', 2) }]).problems.map((p) => p.kind)).toEqual(['head-mismatch']);
  });
});
