import { describe, expect, it } from 'vitest';
import { prepareRequest } from '../adapters/adapter.js';
import { providerAdapters } from '../adapters/registry.js';
import { decodeOpenAIChatRequest } from '../openai/openai-chat.codec.js';
import { claudeTakesStructuredOutputs } from './claude-models.js';
import { claudeOutputSchema } from './structured-outputs.js';

describe("Claude's structured outputs for other APIs' schemas", () => {
  it('knows the Claude models that have them: 4.5 and later', () => {
    for (const model of ['claude-sonnet-4-5', 'claude-sonnet-4-5-20250929', 'claude-haiku-4-5-20251001', 'claude-opus-4-5', 'claude-opus-4-6', 'claude-sonnet-4-6@20260101', 'claude-sonnet-5']) {
      expect(claudeTakesStructuredOutputs(model), model).toBe(true);
    }
    for (const model of ['claude-opus-4-1', 'claude-opus-4-1-20250805', 'claude-sonnet-4-20250514', 'claude-sonnet-4', 'claude-3-7-sonnet-20250219', 'claude-3-5-haiku-latest', 'claude', 'gpt-4o', 'my-claude-sonnet-4-5']) {
      expect(claudeTakesStructuredOutputs(model), model).toBe(false);
    }
  });

  const strict = {
    type: 'object',
    properties: {
      city: { type: 'string', description: 'the city' },
      when: { type: 'string', format: 'date' },
      tags: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false }, minItems: 1 },
      kind: { enum: ['a', 'b', null] },
      note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    },
    required: ['city', 'when', 'tags', 'kind', 'note'],
    additionalProperties: false,
  };

  it('takes a strict schema in their subset as it is', () => {
    expect(claudeOutputSchema(strict)).toEqual(strict);
  });

  it('moves the constraints they do not take into the description of their schema', () => {
    const out = claudeOutputSchema({
      type: 'object',
      properties: {
        age: { type: 'integer', minimum: 0, maximum: 150 },
        code: { type: 'string', description: 'a postcode', pattern: '^[0-9]{5}$', maxLength: 5 },
        site: { type: 'string', format: 'hostname' },
        colour: { type: 'string', format: 'hex-colour' },
        picks: { type: 'array', items: { type: 'string' }, minItems: 3, maxItems: 5 },
      },
      required: ['age', 'code', 'site', 'colour', 'picks'],
      additionalProperties: false,
    });
    expect(out?.['properties']).toEqual({
      age: { type: 'integer', description: '{"minimum":0,"maximum":150}' },
      code: { type: 'string', description: 'a postcode\n{"pattern":"^[0-9]{5}$","maxLength":5}' },
      site: { type: 'string', format: 'hostname' },
      colour: { type: 'string', description: '{"format":"hex-colour"}' },
      picks: { type: 'array', items: { type: 'string' }, description: '{"minItems":3,"maxItems":5}' },
    });
  });

  it('keeps references to the schema\'s own definitions, and closes every object', () => {
    const out = claudeOutputSchema({
      type: 'object',
      properties: { home: { $ref: '#/$defs/place' }, work: { $ref: '#/$defs/place' } },
      required: ['home', 'work'],
      $defs: { place: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    });
    expect(out).toEqual({
      type: 'object',
      properties: { home: { $ref: '#/$defs/place' }, work: { $ref: '#/$defs/place' } },
      required: ['home', 'work'],
      $defs: { place: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } },
      additionalProperties: false,
    });
  });

  it('gives up on what they cannot take, so that the schema goes as an instruction', () => {
    const wrap = (property: unknown, extra: Record<string, unknown> = {}) => ({ type: 'object', properties: { x: property }, required: ['x'], additionalProperties: false, ...extra });
    const cases: Record<string, Record<string, unknown>> = {
      'recursive through the root': wrap({ type: 'array', items: { $ref: '#' } }),
      'recursive through definitions': wrap({ $ref: '#/$defs/node' }, { $defs: { node: { type: 'object', properties: { kids: { type: 'array', items: { $ref: '#/$defs/tree' } } }, required: ['kids'], additionalProperties: false }, tree: { $ref: '#/$defs/node' } } }),
      'a reference outside the schema': wrap({ $ref: 'https://example.com/s.json' }),
      'a reference into properties': wrap({ $ref: '#/properties/y' }),
      oneOf: wrap({ oneOf: [{ type: 'string' }, { type: 'integer' }] }),
      'an enum of objects': wrap({ enum: [{ a: 1 }] }),
      'open additional properties': { type: 'object', properties: {}, additionalProperties: { type: 'string' } },
      patternProperties: wrap({ type: 'object', patternProperties: { '^a': { type: 'string' } }, additionalProperties: false }),
      'more than 16 union properties': {
        type: 'object',
        properties: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`p${i}`, { type: ['string', 'null'] }])),
        required: Array.from({ length: 17 }, (_, i) => `p${i}`),
        additionalProperties: false,
      },
    };
    for (const [name, schema] of Object.entries(cases)) expect(claudeOutputSchema(schema), name).toBeUndefined();
    // Sixteen are still taken.
    const sixteen = { type: 'object', properties: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`p${i}`, { type: ['string', 'null'] }])), additionalProperties: false };
    expect(claudeOutputSchema(sixteen)).toEqual(sixteen);
  });

  describe('an OpenAI client asking Claude', () => {
    const date = new Date('2026-12-01T00:00:00Z');
    const ask = (format: unknown) => decodeOpenAIChatRequest({ model: 'claude', messages: [{ role: 'user', content: 'where?' }], response_format: format });
    const send = async (format: unknown, model = 'claude-sonnet-4-5') => JSON.parse((await prepareRequest(providerAdapters.anthropic, ask(format), { provider: 'anthropic', model, apiKey: 'k' }, date)).body as string) as Record<string, unknown>;
    const strictFormat = { type: 'json_schema', json_schema: { name: 'place', schema: strict, strict: true } };

    it('gets output_config for a strict schema, and no instruction, from a model that has structured outputs', async () => {
      const body = await send(strictFormat);
      expect(body['output_config']).toEqual({ format: { type: 'json_schema', schema: strict } });
      expect(body['system']).toBeUndefined();
    });

    it('gets the instruction from a model without them, for a schema that is not strict, or one they cannot take', async () => {
      const instructed = (body: Record<string, unknown>) => {
        expect(body['output_config']).toBeUndefined();
        expect(JSON.stringify(body['system'])).toContain('conforms to this JSON Schema');
      };
      instructed(await send(strictFormat, 'claude-opus-4-1'));
      instructed(await send({ type: 'json_schema', json_schema: { name: 'place', schema: strict } }));
      instructed(await send({ type: 'json_schema', json_schema: { name: 'tree', schema: { ...strict, properties: { ...strict.properties, kids: { type: 'array', items: { $ref: '#' } } } }, strict: true } }));
      // A conversation that ends with the assistant's words (a prefill, which they do not take).
      const prefilled = decodeOpenAIChatRequest({ model: 'claude', messages: [{ role: 'user', content: 'where?' }, { role: 'assistant', content: '{"city":' }], response_format: strictFormat });
      for (const [adapter, model] of [[providerAdapters.anthropic, 'claude-sonnet-4-5'], [providerAdapters.bedrock, 'anthropic.claude-sonnet-4-5-20250929-v1:0']] as const) {
        const body = JSON.parse((await prepareRequest(adapter, prefilled, { provider: adapter.provider, model, apiKey: 'k', region: 'eu-central-1' }, date)).body as string) as Record<string, unknown>;
        expect(body['output_config'] ?? body['outputConfig'], adapter.provider).toBeUndefined();
        expect(JSON.stringify(body['system']), adapter.provider).toContain('conforms to this JSON Schema');
      }
      const jsonObject = await send({ type: 'json_object' });
      expect(jsonObject['output_config']).toBeUndefined();
      expect(JSON.stringify(jsonObject['system'])).toContain('single valid JSON object');
    });
  });

  describe('an OpenAI client asking Claude on Bedrock (Converse)', () => {
    const date = new Date('2026-12-01T00:00:00Z');
    const req = decodeOpenAIChatRequest({ model: 'claude', messages: [{ role: 'user', content: 'where?' }], response_format: { type: 'json_schema', json_schema: { name: 'place', description: 'a place', schema: strict, strict: true } } });
    const send = async (model: string) => JSON.parse((await prepareRequest(providerAdapters.bedrock, req, { provider: 'bedrock', model, region: 'eu-central-1', apiKey: 'k' }, date)).body as string) as Record<string, unknown>;

    it('gets outputConfig.textFormat, the schema as a JSON string, from Claude 4.5 and later, named by model id, inference profile or ARN', async () => {
      for (const model of ['anthropic.claude-sonnet-4-5-20250929-v1:0', 'eu.anthropic.claude-haiku-4-5-20251001-v1:0', 'arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-opus-4-5-20251101-v1:0']) {
        const body = await send(model);
        expect(body['outputConfig'], model).toEqual({ textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify(strict), name: 'place', description: 'a place' } } } });
        expect(body['system'], model).toBeUndefined();
      }
    });

    it('gets the instruction from other models', async () => {
      for (const model of ['anthropic.claude-opus-4-1-20250805-v1:0', 'anthropic.claude-3-5-sonnet-20240620-v1:0', 'amazon.nova-pro-v1:0']) {
        const body = await send(model);
        expect(body['outputConfig'], model).toBeUndefined();
        expect(JSON.stringify(body['system']), model).toContain('conforms to this JSON Schema');
      }
    });
  });
});
