import Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadTokenCodec } from '@totra/pricing';
import { ALIAS, sdkClients, startHarness, type Harness } from './support/gateway-harness.js';

// PII through the running gateway with the official client. With no policy, every group is
// pseudonymized: the provider sees placeholders, the caller gets its own values back, in
// streams too, even when a placeholder is split across SSE chunks.
describe('gateway PII stage', () => {
  let h: Harness;
  let openai: OpenAI;
  let anthropic: Anthropic;
  const email = 'jane.doe@example.com';
  const card = '4111 1111 1111 1111';

  beforeAll(async () => {
    h = await startHarness();
    ({ openai, anthropic } = sdkClients(h));
  });
  afterAll(async () => {
    await h?.close();
  });

  const lastUserText = (body: unknown): string => JSON.stringify(body);

  it('pseudonymizes by default: the provider sees a placeholder, the caller its own value (JSON)', async () => {
    const res = await openai.chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: `Write to me at ${email} please` }] });
    const upstream = lastUserText(h.mocks.anthropic.requests.at(-1)?.body);
    expect(upstream).toContain('<EMAIL_1>');
    expect(upstream).not.toContain(email);
    expect(res.choices[0]?.message.content).toContain(email);
    expect(res.choices[0]?.message.content).not.toContain('<EMAIL_1>');
  });

  it('pseudonymizes what tool and response format definitions and stop sequences hold too', async () => {
    await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'file a ticket' }],
      tools: [{ type: 'function', function: { name: 'file_ticket', description: `File a ticket for ${email}`, parameters: { type: 'object', properties: { owner: { type: 'string', format: 'email', enum: [email] } }, required: ['owner'] } } }],
      response_format: { type: 'json_schema', json_schema: { name: 'ticket', description: `a ticket of ${email}`, schema: { type: 'object', properties: { owner: { const: email } } } } },
      stop: [`-- ${email}`],
    });
    const upstream = h.mocks.openai.requests.at(-1)?.body as Record<string, unknown>;
    expect(JSON.stringify(upstream)).not.toContain(email);
    expect(upstream['tools']).toEqual([
      { type: 'function', function: { name: 'file_ticket', description: 'File a ticket for <EMAIL_1>', parameters: { type: 'object', properties: { owner: { type: 'string', format: 'email', enum: ['<EMAIL_1>'] } }, required: ['owner'] } } },
    ]);
    expect(upstream['response_format']).toEqual({ type: 'json_schema', json_schema: { name: 'ticket', description: 'a ticket of <EMAIL_1>', schema: { type: 'object', properties: { owner: { const: '<EMAIL_1>' } } } } });
    expect(upstream['stop']).toEqual(['-- <EMAIL_1>']);
    // Anthropic's tools too.
    await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'file a ticket' }], tools: [{ name: 'file_ticket', description: `File a ticket for ${email}`, input_schema: { type: 'object', properties: {} } }] });
    const toAnthropic = h.mocks.anthropic.requests.at(-1)?.body as { tools: { description: string }[] };
    expect(toAnthropic.tools[0]?.description).toBe('File a ticket for <EMAIL_1>');
  });

  it("sends a provider of the client's API the client's own body with the rewritten texts, members the gateway does not read included", async () => {
    // Anthropic: citations of an earlier answer (a member the canonical model does not carry).
    const citations = [{ type: 'char_location' as const, cited_text: 'a clause', document_index: 0, document_title: null, start_char_index: 0, end_char_index: 8, file_id: null }];
    await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 50,
      messages: [
        { role: 'user', content: 'which clause?' },
        { role: 'assistant', content: [{ type: 'text', text: 'This one.', citations }] },
        { role: 'user', content: `send it to ${email}` },
      ],
    });
    expect((h.mocks.anthropic.requests.at(-1)?.body as { messages: unknown[] }).messages).toEqual([
      { role: 'user', content: 'which clause?' },
      { role: 'assistant', content: [{ type: 'text', text: 'This one.', citations }] },
      { role: 'user', content: 'send it to <EMAIL_1>' },
    ]);
    // OpenAI: an audio answer's id in the history, and the client's max_tokens as it wrote it.
    await openai.chat.completions.create({
      model: 'gpt-4o',
      max_tokens: 20,
      messages: [
        { role: 'user', content: 'say hi' },
        { role: 'assistant', content: null, audio: { id: 'audio_abc' } },
        { role: 'user', content: `now mail ${email}` },
      ],
    });
    const upstream = h.mocks.openai.requests.at(-1)?.body as Record<string, unknown>;
    expect(upstream['messages']).toEqual([
      { role: 'user', content: 'say hi' },
      { role: 'assistant', content: null, audio: { id: 'audio_abc' } },
      { role: 'user', content: 'now mail <EMAIL_1>' },
    ]);
    expect(upstream['max_tokens']).toBe(20);
    expect(upstream).not.toHaveProperty('max_completion_tokens');
    // Responses API: an earlier turn's reasoning item, to OpenAI's Responses API (ADR 0029).
    const reasoning = { type: 'reasoning' as const, id: 'rs_1', summary: [], encrypted_content: 'gAAAA-opaque' };
    const answer = await openai.responses.create({ model: 'gpt-4o', input: [{ role: 'user', content: 'think' }, reasoning, { role: 'user', content: `mail ${email}` }], include: ['reasoning.encrypted_content'] });
    const sent = h.mocks.openai.requests.at(-1);
    expect(sent?.path).toBe('/v1/responses');
    // Nothing said of `store`: the provider is told to keep nothing (the gateway serves no stored response).
    expect(sent?.body).toEqual({ model: 'gpt-4o', input: [{ role: 'user', content: 'think' }, reasoning, { role: 'user', content: 'mail <EMAIL_1>' }], include: ['reasoning.encrypted_content'], store: false });
    // The answer is restored (the mock echoes the prompt): the caller reads its own address.
    expect(answer.output_text).toContain(email);
    expect(answer.output_text).not.toContain('<EMAIL_1>');
  });

  it('restores placeholders split across stream chunks, for a same-format (OpenAI) provider too', async () => {
    for (const [model, mock] of [
      ['claude-sonnet-4-5', h.mocks.anthropic],
      ['gpt-4o', h.mocks.openai],
    ] as const) {
      // Many small chunks: the echoed placeholder is cut into pieces on the wire.
      mock.setBehaviour({ chunks: 40 });
      const stream = await openai.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: `My address is ${email}, repeat it` }] });
      const deltas: string[] = [];
      for await (const chunk of stream) deltas.push(chunk.choices[0]?.delta.content ?? '');
      mock.resetBehaviour();
      const upstream = lastUserText(mock.requests.at(-1)?.body);
      expect(upstream).toContain('<EMAIL_1>');
      expect(upstream).not.toContain(email);
      expect(deltas.join('')).toContain(`My address is ${email}, repeat it`);
      expect(deltas.some((d) => d.includes('<'))).toBe(false);
      expect(deltas.filter(Boolean).length).toBeGreaterThan(5);
    }
  });

  it('blocks with 422 naming the types (never the values) when policy says block, and records it', async () => {
    const set = await h.cli('pii', 'policy', 'set', '--scope', 'tenant:acme', '--action', 'CREDIT_CARD=block', ...h.cliArgs);
    expect(set.code, set.err).toBe(0);
    const send = () =>
      fetch(`${h.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: `charge my card ${card}` }] }),
      });
    // The policy reaches the gateway through the log, a moment after the CLI appended it.
    await vi.waitFor(async () => expect((await send()).status).toBe(422), { timeout: 10_000, interval: 100 });
    // From then on a blocked request never reaches the provider.
    const before = h.mocks.openai.requestCount;
    const res = await send();
    expect(res.status).toBe(422);
    const body = await res.text();
    expect(body).toContain('CREDIT_CARD');
    expect(body).not.toContain('4111 1111');
    expect(h.mocks.openai.requestCount).toBe(before);
    const events = await h.events();
    const blocked = events.filter((e) => e.type === 'PiiBlocked');
    expect(blocked.length).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'RequestRejected' && (e.data as { reason: string }).reason === 'pii_blocked')).toBe(true);
    // No event anywhere holds the values.
    // (Search the whole number, spaced and not: four digits alone can occur in any hash.)
    const log = JSON.stringify(events);
    expect(log).not.toContain(card);
    expect(log).not.toContain(card.replaceAll(' ', ''));
    expect(log).not.toContain(email);
  });

  it('records what it pseudonymized as PiiRedacted (types and counts only)', async () => {
    const redacted = (await h.events()).filter((e) => e.type === 'PiiRedacted');
    expect(redacted.length).toBeGreaterThan(0);
    expect(JSON.stringify(redacted[0]?.data)).toMatch(/"EMAIL"/);
  });

  it('scans what the provider gets outside the conversation: the end-user id, metadata, members the gateway does not read', async () => {
    // Nothing in the messages: before ADR 0025 this body went to the provider as it came.
    await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'nothing personal here' }],
      user: email,
      metadata: { owner: email },
      store: true,
      prediction: { type: 'content', content: `Dear ${email},` },
    });
    const upstream = h.mocks.openai.requests.at(-1)?.body;
    expect(JSON.stringify(upstream)).not.toContain(email);
    expect(upstream).toMatchObject({ user: '<EMAIL_1>', metadata: { owner: '<EMAIL_1>' }, store: true, prediction: { type: 'content', content: 'Dear <EMAIL_1>,' } });
  });

  it('scans what members the gateway does not read inside messages hold: a citation, a reasoning summary (ADR 0030)', async () => {
    // Nothing personal in the messages themselves: the address is in an earlier answer's citation,
    // which the client sends back as it got it (its own value restored) and the gateway does not read.
    const citation = { type: 'char_location' as const, cited_text: `write to ${email}`, document_index: 0, document_title: null, start_char_index: 0, end_char_index: 29, file_id: null };
    await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 50,
      messages: [
        { role: 'user', content: 'which clause?' },
        { role: 'assistant', content: [{ type: 'text', text: 'This one.', citations: [citation] }] },
        { role: 'user', content: 'thanks' },
      ],
    });
    const toClaude = h.mocks.anthropic.requests.at(-1)?.body as { messages: unknown[] };
    expect(JSON.stringify(toClaude)).not.toContain(email);
    expect(toClaude.messages).toEqual([
      { role: 'user', content: 'which clause?' },
      { role: 'assistant', content: [{ type: 'text', text: 'This one.', citations: [{ ...citation, cited_text: 'write to <EMAIL_1>' }] }] },
      { role: 'user', content: 'thanks' },
    ]);
    // Responses: an earlier turn's reasoning summary, to OpenAI's Responses API; the encrypted
    // reasoning and the ids go as they came.
    const reasoning = { type: 'reasoning' as const, id: 'rs_1', summary: [{ type: 'summary_text' as const, text: `The user ${email} wants a plan.` }], encrypted_content: 'gAAAA-opaque' };
    await openai.responses.create({ model: 'gpt-4o', input: [{ role: 'user', content: 'plan it' }, reasoning, { role: 'user', content: 'go on' }] });
    const sent = h.mocks.openai.requests.at(-1);
    expect(sent?.path).toBe('/v1/responses');
    expect(JSON.stringify(sent?.body)).not.toContain(email);
    expect(sent?.body).toEqual({
      model: 'gpt-4o',
      input: [{ role: 'user', content: 'plan it' }, { ...reasoning, summary: [{ type: 'summary_text', text: 'The user <EMAIL_1> wants a plan.' }] }, { role: 'user', content: 'go on' }],
      store: false,
    });
  });

  it('keeps the members it does not read when it rewrites a prompt, for both APIs', async () => {
    const res = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: `mail ${email}` }], logprobs: true, top_logprobs: 2, seed: 7 });
    const upstream = h.mocks.openai.requests.at(-1)?.body;
    expect(upstream).toMatchObject({ logprobs: true, top_logprobs: 2, seed: 7 });
    expect(JSON.stringify(upstream)).not.toContain(email);
    expect(res.choices[0]?.message.content).toContain(email);
    await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: `mail ${email}` }], service_tier: 'standard_only' });
    const claude = h.mocks.anthropic.requests.at(-1)?.body;
    expect(claude).toMatchObject({ service_tier: 'standard_only', max_tokens: 50 });
    expect(JSON.stringify(claude)).not.toContain(email);
  });

  it('scans embedding inputs with the same policy', async () => {
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: [`contact ${email}`, 'nothing personal'] });
    const upstream = JSON.stringify(h.mocks.openai.requests.at(-1)?.body);
    expect(upstream).toContain('<EMAIL_1>');
    expect(upstream).not.toContain(email);
  });

  it('scans token-array embedding inputs too: a rewritten one goes as the ids of its rewritten text', async () => {
    const codec = await loadTokenCodec('cl100k_base');
    const arrays = [codec.encode(`contact ${email}`), codec.encode('nothing personal')];
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: arrays });
    const sent = (h.mocks.openai.requests.at(-1)?.body as { input: number[][] }).input;
    expect(sent).toHaveLength(2);
    expect(codec.decode(sent[0] ?? [])).toBe('contact <EMAIL_1>');
    expect(sent[1]).toEqual(arrays[1]);
  });

  it('redacts personal data in the model output when the policy scans output', async () => {
    const set = await h.cli('pii', 'policy', 'set', '--scope', 'team:t-research', '--action', '*=pseudonymize', '--scan-output', ...h.cliArgs);
    expect(set.code, set.err).toBe(0);
    h.mocks.gemini.setBehaviour({ reply: 'Call our office: john.smith@corp.example or write to the desk.' });
    try {
      await vi.waitFor(
        async () => {
          const res = await openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'who do I call?' }] });
          const text = res.choices[0]?.message.content ?? '';
          expect(text).toContain('[EMAIL]');
          expect(text).not.toContain('john.smith@corp.example');
        },
        { timeout: 10_000, interval: 100 },
      );
    } finally {
      h.mocks.gemini.resetBehaviour();
    }
    const responseSide = (await h.events()).filter((e) => e.type === 'PiiRedacted' && (e.data as { direction: string }).direction === 'response');
    expect(responseSide.length).toBeGreaterThan(0);
  });

  it('redacts streamed output too, with values split across SSE chunks, in every dialect, as the JSON answer does', async () => {
    const set = await h.cli('pii', 'policy', 'set', '--scope', `key:${h.keyId}`, '--action', '*=pseudonymize', '--scan-output', ...h.cliArgs);
    expect(set.code, set.err).toBe(0);
    const iban = 'DE89 3704 0044 0532 0130 00';
    const reply = `Sure. Wire the money to IBAN ${iban} and send the receipt to billing.team@corp.example when it is done. Anything else?`;
    const expected = 'Sure. Wire the money to IBAN [IBAN] and send the receipt to [EMAIL] when it is done. Anything else?';
    const events = (await h.events()).length;
    for (const mock of ['gemini', 'openai', 'anthropic'] as const) {
      const model = ALIAS[mock];
      // 60 chunks of about two characters: the IBAN and the email are cut into many pieces on the wire.
      h.mocks[mock].setBehaviour({ reply, chunks: 60 });
      try {
        await vi.waitFor(
          async () => {
            const json = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'where do I pay?' }] });
            expect(json.choices[0]?.message.content).toBe(expected);
          },
          { timeout: 10_000, interval: 100 },
        );

        const chat = await openai.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'where do I pay?' }] });
        const deltas: string[] = [];
        for await (const chunk of chat) deltas.push(chunk.choices[0]?.delta.content ?? '');
        expect(deltas.join(''), `chat completions stream via ${mock}`).toBe(expected);
        expect(deltas.filter(Boolean).length).toBeGreaterThan(1);

        const responses = await openai.responses.create({ model, stream: true, input: 'where do I pay?' });
        let responsesText = '';
        for await (const e of responses) if (e.type === 'response.output_text.delta') responsesText += e.delta;
        expect(responsesText, `responses stream via ${mock}`).toBe(expected);

        const messages = anthropic.messages.stream({ model, max_tokens: 200, messages: [{ role: 'user', content: 'where do I pay?' }] });
        let messagesText = '';
        messages.on('text', (t) => {
          messagesText += t;
        });
        const final = await messages.finalMessage();
        expect(messagesText, `messages stream via ${mock}`).toBe(expected);
        expect(final.content[0]?.type === 'text' ? final.content[0].text : '').toBe(expected);
        expect(final.stop_reason).toBe('end_turn');
      } finally {
        h.mocks[mock].resetBehaviour();
      }
    }
    // Every streamed answer recorded what it redacted (types and counts, never the values).
    await vi.waitFor(
      async () => {
        const after = (await h.events()).slice(events);
        const response = after.filter((e) => e.type === 'PiiRedacted' && (e.data as { direction: string }).direction === 'response');
        // 3 providers x (3 streams + at least one JSON answer).
        expect(response.length).toBeGreaterThanOrEqual(12);
        for (const e of response) expect((e.data as { types: { type: string }[] }).types.map((t) => t.type)).toEqual(['EMAIL', 'IBAN']);
        const log = JSON.stringify(after);
        expect(log).not.toContain('billing.team@corp.example');
        expect(log).not.toContain(iban);
        expect(log).not.toContain(iban.replaceAll(' ', ''));
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it('refuses a document it cannot scan until a policy allows it, then sends it as it came, or as a PDF in another API\'s terms', async () => {
    const pdf = { type: 'document' as const, source: { type: 'base64' as const, media_type: 'application/pdf' as const, data: Buffer.from('%PDF-1.4 a contract').toString('base64') }, title: 'contract.pdf' };
    const ask = (model: string, text = 'summarize it') => anthropic.messages.create({ model, max_tokens: 50, messages: [{ role: 'user', content: [{ type: 'text', text }, pdf] }] });
    const before = h.mocks.anthropic.requestCount;
    const refused = await ask('claude-sonnet-4-5').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.UnprocessableEntityError);
    expect((refused as Error).message).toContain('the request carries content the gateway cannot scan for personal data (a document (Anthropic Messages `document` content))');
    expect((refused as Error).message).toContain('totra pii policy set --scope <scope> --allow-unscannable');
    expect(h.mocks.anthropic.requestCount).toBe(before);
    await vi.waitFor(async () => expect((await h.events()).some((e) => e.type === 'RequestRejected' && (e.data as { code?: string; reason?: string }).code === 'TOTRA_PII_UNSCANNABLE')).toBe(true), { timeout: 5_000, interval: 50 });

    for (const model of ['claude-sonnet-4-5', 'gpt-4o']) {
      const set = await h.cli('pii', 'policy', 'set', '--scope', `model:${model}`, '--allow-unscannable', ...h.cliArgs);
      expect(set.code, set.err).toBe(0);
    }
    // The policy reaches the gateway through the log.
    await vi.waitFor(() => ask('claude-sonnet-4-5'), { timeout: 10_000, interval: 100 });
    expect((h.mocks.anthropic.requests.at(-1)?.body as { messages: unknown[] }).messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'summarize it' }, pdf] }]);
    // Translated (the e-mail address is pseudonymized): the document goes as it came all the same.
    const { response } = await ask('claude-sonnet-4-5', `summarize it for ${email}`).withResponse();
    expect((h.mocks.anthropic.requests.at(-1)?.body as { messages: unknown[] }).messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'summarize it for <EMAIL_1>' }, pdf] }]);
    // The request's event says that one part of it went unscanned.
    await vi.waitFor(
      async () => {
        const done = (await h.events()).find((e) => e.type === 'RequestCompleted' && (e.data as { requestId: string }).requestId === response.headers.get('x-request-id'));
        expect(done?.data).toMatchObject({ unscanned: 1 });
      },
      { timeout: 5_000, interval: 50 },
    );
    // Another provider's API gets a PDF in its own terms (ADR 0027).
    const file = { type: 'file' as const, file: { filename: 'contract.pdf', file_data: `data:application/pdf;base64,${pdf.source.data}` } };
    await ask('gpt-4o');
    expect((h.mocks.openai.requests.at(-1)?.body as { messages: unknown[] }).messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'summarize it' }, file] }]);
    // A document whose citations are on is not portable (no other API gives citations back):
    // refused, the provider not asked.
    const openaiBefore = h.mocks.openai.requestCount;
    const cited = await anthropic.messages
      .create({ model: 'gpt-4o', max_tokens: 50, messages: [{ role: 'user', content: [{ type: 'text', text: 'summarize it' }, { ...pdf, citations: { enabled: true } }] }] })
      .catch((e: unknown) => e);
    expect(cited).toBeInstanceOf(Anthropic.BadRequestError);
    expect((cited as Error).message).toContain('a document (Anthropic Messages `document` content) cannot be sent to openai: only a deployment that speaks the Anthropic Messages API takes it as it is');
    expect(h.mocks.openai.requestCount).toBe(openaiBefore);
    // An OpenAI client's file goes to OpenAI as it came, and to Claude as a document; so does a
    // Responses API client's.
    await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'summarize it' }, file] }] });
    expect((h.mocks.openai.requests.at(-1)?.body as { messages: unknown[] }).messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'summarize it' }, file] }]);
    await openai.chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'text', text: 'summarize it' }, file] }] });
    expect((h.mocks.anthropic.requests.at(-1)?.body as { messages: unknown[] }).messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'summarize it' }, pdf] }]);
    const inputFile = { type: 'input_file' as const, filename: 'contract.pdf', file_data: file.file.file_data };
    await openai.responses.create({ model: 'claude-sonnet-4-5', input: [{ role: 'user', content: [{ type: 'input_text', text: 'summarize it' }, inputFile] }] });
    expect((h.mocks.anthropic.requests.at(-1)?.body as { messages: unknown[] }).messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'summarize it' }, pdf] }]);
  });
});
