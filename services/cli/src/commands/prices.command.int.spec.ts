import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsConnection } from '@nats-io/nats-core';
import { type Envelope } from '@totra/events';
import { readStream, type StreamOptions } from '@totra/eventlog';
import { cli, openIsolatedLog, type IsolatedLog } from '../cli.test-kit.js';

describe('totra prices (real NATS)', () => {
  let nc: NatsConnection;
  let stream: StreamOptions;
  let log: string[];
  let iso: IsolatedLog;
  beforeAll(async () => {
    iso = await openIsolatedLog('clipr');
    ({ nc, stream, args: log } = iso);
  });
  afterAll(async () => {
    await iso.close();
  });

  const events = async (type: string): Promise<Envelope[]> => {
    const out: Envelope[] = [];
    for await (const b of readStream(nc, stream)) out.push(...b.lines.map((l) => JSON.parse(l) as Envelope));
    return out.filter((e) => e.type === type);
  };

  it('a model without a price: show says so and how to set one; set appends PriceSet; show and list give it', async () => {
    const unknown = await cli('prices', 'show', '--provider', 'openai-compatible', '--model', 'llama-3.3-70b', ...log);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no price is known for openai-compatible llama-3.3-70b');
    expect(unknown.err).toContain('totra prices set --provider openai-compatible --model llama-3.3-70b');
    expect((await cli('prices', 'list', ...log)).out).toBe('no prices set: every model is charged at the shipped catalog\'s price\n');

    const set = await cli('prices', 'set', '--provider', 'openai-compatible', '--model', 'llama-3.3-70b', '--input', '0.59', '--output', '0.79', '--from', '2026-01-01T00:00:00Z', ...log);
    expect(set.code, set.err).toBe(0);
    expect(set.out).toBe('price set: openai-compatible llama-3.3-70b (every deployment) from 2026-01-01T00:00:00Z: input 0.59, output 0.79 USD per 1M tokens\n');
    const [event] = await events('PriceSet');
    expect(event).toMatchObject({
      tenant: 'system',
      data: { provider: 'openai-compatible', model: 'llama-3.3-70b', inputPerMTokMicroUsd: 590_000, outputPerMTokMicroUsd: 790_000, effectiveFrom: '2026-01-01T00:00:00Z' },
    });

    const shown = await cli('prices', 'show', '--provider', 'openai-compatible', '--model', 'llama-3.3-70b', ...log);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toBe(`openai-compatible llama-3.3-70b: input 0.59, output 0.79 USD per 1M tokens  (priceset:${event?.id})\n`);
    const list = await cli('prices', 'list', ...log);
    expect(list.out).toBe(`openai-compatible llama-3.3-70b  every deployment  from 2026-01-01T00:00:00Z  input 0.59, output 0.79 USD per 1M tokens  (priceset:${event?.id})\n`);
  });

  it('a deployment\'s price beats the provider-wide one; a price from a later date applies from then', async () => {
    const future = '2099-01-01T00:00:00Z';
    expect((await cli('prices', 'set', '--provider', 'openai', '--model', 'gpt-4o', '--deployment', 'gpt4o-negotiated', '--input', '2', '--output', '8', '--cached-input', '1', ...log)).code).toBe(0);
    expect((await cli('prices', 'set', '--provider', 'openai', '--model', 'gpt-4o', '--input', '3', '--output', '12', '--from', future, ...log)).code).toBe(0);
    const show = async (...extra: string[]) => JSON.parse((await cli('prices', 'show', '--provider', 'openai', '--model', 'gpt-4o', '--json', ...extra, ...log)).out) as Record<string, unknown>;
    expect(await show('--deployment', 'gpt4o-negotiated')).toMatchObject({ origin: 'override', inputPerMTokMicroUsd: 2_000_000, outputPerMTokMicroUsd: 8_000_000, cachedInputPerMTokMicroUsd: 1_000_000 });
    // Another deployment, today: the shipped catalog's price.
    expect(await show('--deployment', 'other')).toMatchObject({ origin: 'catalog' });
    expect(String((await show())['priceVersion'])).toMatch(/^catalog:/);
    // From the future date on, the provider-wide price, except for the deployment with its own.
    expect(await show('--at', future)).toMatchObject({ origin: 'override', inputPerMTokMicroUsd: 3_000_000 });
    expect(await show('--deployment', 'gpt4o-negotiated', '--at', future)).toMatchObject({ inputPerMTokMicroUsd: 2_000_000 });
  });

  it('remove: the next price down applies from its date on; list shows it; nothing set is refused', async () => {
    const args = ['--provider', 'mistral', '--model', 'mistral-large-latest'];
    const show = async (...extra: string[]) => JSON.parse((await cli('prices', 'show', ...args, '--json', ...extra, ...log)).out) as Record<string, unknown>;
    const nothing = await cli('prices', 'remove', ...args, ...log);
    expect(nothing.code).toBe(2);
    expect(nothing.err).toContain('no price is set for mistral mistral-large-latest (every deployment) at ');
    expect(nothing.err).toContain('`totra prices list` shows the prices set');

    expect((await cli('prices', 'set', ...args, '--input', '1.5', '--output', '4', '--from', '2026-01-01T00:00:00Z', ...log)).code).toBe(0);
    expect((await cli('prices', 'set', ...args, '--deployment', 'mistral-eu', '--input', '1', '--output', '3', '--from', '2026-01-01T00:00:00Z', ...log)).code).toBe(0);
    // A deployment without a price of its own has nothing of its own to remove.
    const notOwn = await cli('prices', 'remove', ...args, '--deployment', 'mistral-us', ...log);
    expect(notOwn.code).toBe(2);
    expect(notOwn.err).toMatch(/deployment mistral-us has no price of its own for mistral mistral-large-latest at .*: it is charged the provider-wide price set \(priceset:[^)]+\), which `totra prices remove` without --deployment removes/);

    const own = await cli('prices', 'remove', ...args, '--deployment', 'mistral-eu', '--from', '2026-06-01T00:00:00Z', ...log);
    expect(own.code, own.err).toBe(0);
    expect(own.out).toMatch(/^price removed: mistral mistral-large-latest \(deployment mistral-eu\) from 2026-06-01T00:00:00Z \(was input 1\.00?, output 3\.00? USD per 1M tokens, priceset:[^)]+\); the provider-wide price set, or else the shipped catalog's applies\n$/);
    const [removal] = await events('PriceRemoved');
    expect(removal).toMatchObject({ tenant: 'system', data: { provider: 'mistral', model: 'mistral-large-latest', deployment: 'mistral-eu', effectiveFrom: '2026-06-01T00:00:00Z' } });
    expect(await show('--deployment', 'mistral-eu', '--at', '2026-05-01T00:00:00Z')).toMatchObject({ inputPerMTokMicroUsd: 1_000_000 });
    expect(await show('--deployment', 'mistral-eu', '--at', '2026-07-01T00:00:00Z')).toMatchObject({ origin: 'override', inputPerMTokMicroUsd: 1_500_000 });

    expect((await cli('prices', 'remove', ...args, '--from', '2026-08-01T00:00:00Z', ...log)).code).toBe(0);
    expect(await show('--deployment', 'mistral-eu', '--at', '2026-09-01T00:00:00Z')).toMatchObject({ origin: 'catalog' });
    // Removed once, there is nothing left to remove at that date.
    expect((await cli('prices', 'remove', ...args, '--from', '2026-09-01T00:00:00Z', ...log)).code).toBe(2);

    const list = (await cli('prices', 'list', ...log)).out.split('\n').filter((l) => l.startsWith('mistral '));
    expect(list).toHaveLength(4);
    expect(list[2]).toBe(`mistral mistral-large-latest  deployment mistral-eu  from 2026-06-01T00:00:00Z  removed  (priceremoved:${removal?.id})`);
    expect(list[3]).toMatch(/^mistral mistral-large-latest  every deployment  from 2026-08-01T00:00:00Z  removed  \(priceremoved:/);
  });

  it('refuses what is not a price, naming the option', async () => {
    const cases: [string[], RegExp][] = [
      [['--input', 'two', '--output', '1'], /--input: "two" is not a price in USD per million tokens/],
      [['--input', '1', '--output', '-1'], /--output: "-1" is not a price/],
      [['--input', '1', '--output', '1.1234567'], /--output: "1.1234567" is not a price/],
      [['--input', '1', '--output', '1', '--from', 'tomorrow'], /--from: /],
      [['--provider', 'opneai', '--input', '1', '--output', '1'], /--provider: "opneai" is not a provider; one of openai, azure-openai, anthropic/],
    ];
    for (const [args, message] of cases) {
      const run = await cli('prices', 'set', '--provider', 'openai', '--model', 'gpt-4o', ...args, ...log);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.err).toMatch(message);
    }
    const missing = await cli('prices', 'set', '--provider', 'openai', '--model', 'gpt-4o', '--input', '1', ...log);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--output/);
    expect((await cli('prices', 'show', '--provider', 'openai', '--model', 'gpt-4o', '--at', 'soon', ...log)).err).toMatch(/--at: "soon" is not a date-time/);
    expect((await cli('prices', 'remove', '--provider', 'openai', '--model', 'gpt-4o', '--from', 'soon', ...log)).err).toMatch(/--from: /);
  });
});
