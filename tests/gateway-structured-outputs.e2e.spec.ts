import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHarness, type Harness } from './support/gateway-harness.js';

// Anthropic's structured outputs (`output_config.format`, ADR 0033) from the Anthropic SDK: Claude,
// on Anthropic or on Bedrock's InvokeModel, gets the client's `output_config` as it came; OpenAI
// and Gemini models get the schema as their own JSON-schema output; Converse models an instruction.
describe('structured outputs across providers', () => {
  let h: Harness;
  let anthropic: Anthropic;
  const CLAUDE_ON_BEDROCK = 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0';
  const schema = {
    type: 'object',
    properties: { city: { type: 'string' }, country: { type: 'string' } },
    required: ['city', 'country'],
    additionalProperties: false,
  };
  const outputConfig = { format: { type: 'json_schema' as const, schema } };
  const ask = (model: string, output_config: Anthropic.MessageCreateParams['output_config'] = outputConfig) =>
    anthropic.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'Where is the Louvre?' }], output_config });
  const answer = JSON.stringify({ city: 'Paris', country: 'France' });

  beforeAll(async () => {
    h = await startHarness({ env: { BEDROCK_MODELS: `nova-pro=amazon.nova-pro-v1:0,claude-bedrock=${CLAUDE_ON_BEDROCK}` } });
    anthropic = new Anthropic({ apiKey: h.key, baseURL: h.url, maxRetries: 0 });
    for (const mock of ['openai', 'gemini', 'anthropic', 'bedrock'] as const) h.mocks[mock].setBehaviour({ reply: answer });
  });
  afterAll(async () => {
    await h?.close();
  });

  const textOf = (m: Anthropic.Message) => m.content.map((b) => (b.type === 'text' ? b.text : '')).join('');

  it('reaches an OpenAI model as a strict JSON-schema response format, and the answer is the JSON', async () => {
    const res = await ask('gpt-4o');
    const sent = h.mocks.openai.requests.at(-1)?.body as Record<string, unknown>;
    expect(sent['response_format']).toEqual({ type: 'json_schema', json_schema: { name: 'response', schema, strict: true } });
    expect(sent).not.toHaveProperty('output_config');
    expect(JSON.parse(textOf(res))).toEqual({ city: 'Paris', country: 'France' });
  });

  it("reaches a Gemini model as its response JSON schema", async () => {
    const res = await ask('gemini-2.5-flash');
    const sent = h.mocks.gemini.requests.at(-1)?.body as { generationConfig?: Record<string, unknown> };
    expect(sent.generationConfig).toMatchObject({ responseMimeType: 'application/json', responseJsonSchema: schema });
    expect(JSON.parse(textOf(res))).toEqual({ city: 'Paris', country: 'France' });
  });

  it('reaches Claude, on Anthropic and on Bedrock InvokeModel, as the client sent it, with no instruction added', async () => {
    await ask('claude-sonnet-4-5');
    const toAnthropic = h.mocks.anthropic.requests.at(-1)?.body as Record<string, unknown>;
    expect(toAnthropic['output_config']).toEqual(outputConfig);
    expect(toAnthropic).not.toHaveProperty('system');
    await ask('claude-bedrock');
    const toBedrock = h.mocks.bedrock.requests.at(-1);
    expect(toBedrock?.path).toBe(`/model/${encodeURIComponent(CLAUDE_ON_BEDROCK)}/invoke`);
    expect(toBedrock?.body).toMatchObject({ anthropic_version: 'bedrock-2023-05-31', output_config: outputConfig });
    // With the effort too: Claude's to judge, on both.
    await ask('claude-bedrock', { effort: 'low', format: outputConfig.format });
    expect(h.mocks.bedrock.requests.at(-1)?.body).toMatchObject({ output_config: { effort: 'low', format: outputConfig.format } });
  });

  it('reaches a Converse model (Nova) as an instruction with the schema', async () => {
    await ask('nova-pro');
    const sent = h.mocks.bedrock.requests.at(-1);
    expect(sent?.path).toBe(`/model/${encodeURIComponent('amazon.nova-pro-v1:0')}/converse`);
    expect(JSON.stringify((sent?.body as { system?: unknown }).system)).toContain('conforms to this JSON Schema');
    expect(sent?.body).not.toHaveProperty('output_config');
  });

  it('rewrites personal data inside the schema for every provider, as in any other text', async () => {
    const email = 'jane.doe@example.com';
    const described = { ...schema, properties: { ...schema.properties, city: { type: 'string', description: `the city ${email} lives in` } } };
    for (const [model, mock] of [['claude-sonnet-4-5', 'anthropic'], ['gpt-4o', 'openai']] as const) {
      await ask(model, { format: { type: 'json_schema', schema: described } });
      const sent = JSON.stringify(h.mocks[mock].requests.at(-1)?.body);
      expect(sent).toContain('the city <EMAIL_1> lives in');
      expect(sent).not.toContain(email);
    }
  });

  it("reaches Claude, on Anthropic and on Bedrock, from the openai client's parse() as Claude's own structured outputs where the model has them (ADR 0035)", async () => {
    const openai = new OpenAI({ apiKey: h.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const parse = (model: string) =>
      openai.chat.completions.parse({
        model,
        messages: [{ role: 'user', content: 'Where is the Louvre?' }],
        response_format: { type: 'json_schema', json_schema: { name: 'place', schema: { ...schema, properties: { ...schema.properties, city: { type: 'string', maxLength: 40 } } }, strict: true } },
      });
    const res = await parse('claude-sonnet-4-5');
    expect(res.choices[0]?.message.parsed).toEqual({ city: 'Paris', country: 'France' });
    const sent = h.mocks.anthropic.requests.at(-1)?.body as Record<string, unknown>;
    // The constraint Claude does not take moved into the description; no instruction added.
    expect(sent['output_config']).toEqual({ format: { type: 'json_schema', schema: { ...schema, properties: { ...schema.properties, city: { type: 'string', description: '{"maxLength":40}' } } } } });
    expect(sent).not.toHaveProperty('system');
    // Claude Opus 4.1 has no structured outputs: the schema goes as an instruction.
    const added = await h.cli('models', 'add', '--id', 'opus-41', '--alias', 'claude-opus-4-1', '--provider', 'anthropic', '--model', 'claude-opus-4-1', '--base-url', h.mocks.anthropic.baseUrl || h.mocks.anthropic.url, '--credential', 'env:ANTHROPIC_API_KEY', ...h.cliArgs);
    expect(added.code, added.err).toBe(0);
    await vi.waitFor(() => expect(h.gateway.catalog.directory.deploymentsFor('claude-opus-4-1')).toHaveLength(1), { timeout: 10_000 });
    expect((await parse('claude-opus-4-1')).choices[0]?.message.parsed).toEqual({ city: 'Paris', country: 'France' });
    const toOpus = h.mocks.anthropic.requests.at(-1)?.body as Record<string, unknown>;
    expect(toOpus).not.toHaveProperty('output_config');
    expect(JSON.stringify(toOpus['system'])).toContain('conforms to this JSON Schema');
    // Claude Sonnet 4.5 on Bedrock, through Converse: outputConfig.textFormat, the schema as a string.
    expect((await parse('claude-bedrock')).choices[0]?.message.parsed).toEqual({ city: 'Paris', country: 'France' });
    const toBedrock = h.mocks.bedrock.requests.at(-1);
    expect(toBedrock?.path).toBe(`/model/${encodeURIComponent(CLAUDE_ON_BEDROCK)}/converse`);
    const textFormat = (toBedrock?.body as { outputConfig?: { textFormat?: { type: string; structure: { jsonSchema: { schema: string; name: string } } } } }).outputConfig?.textFormat;
    expect(textFormat?.type).toBe('json_schema');
    expect(textFormat?.structure.jsonSchema.name).toBe('place');
    expect(JSON.parse(textFormat?.structure.jsonSchema.schema ?? '{}')).toEqual(sent['output_config'] && (sent['output_config'] as { format: { schema: unknown } }).format.schema);
    expect(toBedrock?.body).not.toHaveProperty('system');
    // The Responses API's parse() too.
    const viaResponses = await openai.responses.parse({
      model: 'claude-sonnet-4-5',
      input: 'Where is the Louvre?',
      text: { format: { type: 'json_schema', name: 'place', schema, strict: true } },
    });
    expect(viaResponses.output_parsed).toEqual({ city: 'Paris', country: 'France' });
    expect((h.mocks.anthropic.requests.at(-1)?.body as Record<string, unknown>)['output_config']).toEqual({ format: { type: 'json_schema', schema } });
  });

  it("reaches OpenAI with an Anthropic client's strict tool use as a strict function, and Claude with it as it came", async () => {
    const tools: Anthropic.Tool[] = [{ name: 'locate', description: 'finds a place', input_schema: schema as Anthropic.Tool.InputSchema, strict: true }];
    for (const [model, mock] of [['gpt-4o', 'openai'], ['claude-sonnet-4-5', 'anthropic']] as const) {
      h.mocks[mock].setBehaviour({ toolCalls: [{ name: 'locate', arguments: answer }] });
      const res = await anthropic.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'Where is the Louvre?' }], tools });
      const call = res.content.find((b) => b.type === 'tool_use');
      expect(call?.type === 'tool_use' ? call.input : undefined, model).toEqual({ city: 'Paris', country: 'France' });
    }
    const toOpenAI = h.mocks.openai.requests.at(-1)?.body as { tools: { function: { name: string; strict?: boolean } }[] } | undefined;
    expect(toOpenAI?.tools.map((t) => [t.function.name, t.function.strict])).toEqual([['locate', true]]);
    expect((h.mocks.anthropic.requests.at(-1)?.body as { tools: unknown[] }).tools).toEqual(tools);
    for (const mock of ['openai', 'anthropic'] as const) {
      h.mocks[mock].resetBehaviour();
      h.mocks[mock].setBehaviour({ reply: answer });
    }
  });

  it('refuses, naming it, an output_config that asks another provider for more than a schema', async () => {
    const before = h.mocks.openai.requestCount;
    const err = await ask('gpt-4o', { effort: 'low', format: outputConfig.format }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).message).toContain('`output_config` (of the Anthropic Messages request) cannot be sent to openai');
    expect(h.mocks.openai.requestCount).toBe(before);
  });
});
