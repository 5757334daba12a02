import { describe, expect, it } from 'vitest';
import { type ChatMessageInput, type ToolDefinitionInput } from './chat-tokens.js';
import { imageTokens } from './image-tokens.js';
import { tokenProfileFor } from './token-profile.js';
import { countTokens, estimateChatInputTokens, loadTokenizer, preloadTokenizers } from './tokenizer.js';

// Examples and API-verified counts from OpenAI's cookbook "How to count tokens with tiktoken".
const cookbookMessages: ChatMessageInput[] = [
  { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
  { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
  { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
  {
    role: 'system',
    name: 'example_user',
    content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
  },
  { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
  { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
];

const weatherTool: ToolDefinitionInput = {
  name: 'get_current_weather',
  description: 'Get the current weather in a given location',
  parameters: {
    type: 'object',
    properties: {
      location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
      unit: { type: 'string', description: 'The unit of temperature to return', enum: ['celsius', 'fahrenheit'] },
    },
    required: ['location'],
  },
};
const weatherMessages: ChatMessageInput[] = [
  { role: 'system', content: 'You are a helpful assistant that can answer to questions about the weather.' },
  { role: 'user', content: "What's the weather like in San Francisco?" },
];

describe('countTokens', () => {
  it('matches the cookbook counts for cl100k_base', async () => {
    expect(await countTokens('tiktoken is great!', 'gpt-4')).toBe(6);
    expect(await countTokens('antidisestablishmentarianism', 'gpt-3.5-turbo')).toBe(6);
    expect(await countTokens('2 + 2 = 4', 'gpt-4')).toBe(7);
    expect(await countTokens('お誕生日おめでとう', 'gpt-4')).toBe(9);
  });

  it('counts special-token text as plain text instead of throwing', async () => {
    const count = await countTokens('<|endoftext|><|im_start|>', 'gpt-4o');
    expect(count).toBeGreaterThan(2);
  });

  it('scales the o200k count by the documented safety factor for non-OpenAI models', async () => {
    const text = 'Summarize the quarterly revenue figures and highlight any anomalies in the EMEA region.';
    const o200k = await countTokens(text, 'gpt-4o');
    expect(await countTokens(text, 'claude-sonnet-4-5')).toBe(Math.ceil((o200k * 5) / 4));
    expect(await countTokens(text, 'gemini-2.5-pro')).toBe(Math.ceil((o200k * 5) / 4));
    expect(await countTokens('', 'mistral-large-latest')).toBe(0);
  });

  it('is fast on 2 KB prompts once loaded', async () => {
    const tokenizer = await loadTokenizer('gpt-4o');
    const base = 'The quick brown fox jumps over the lazy dog while the auditors review invoice 4711. '.repeat(24);
    expect(base.length).toBeGreaterThan(2_000);
    const started = performance.now();
    let total = 0;
    for (let i = 0; i < 200; i += 1) total += tokenizer.count(`${i} ${base}`);
    const elapsed = performance.now() - started;
    expect(total).toBeGreaterThan(200 * 400);
    // about 0.2 ms per prompt on the reference machine; the bound leaves room for slow CI
    expect(elapsed).toBeLessThan(2_000);
  });
});

describe('estimateChatInputTokens', () => {
  it('matches the API-verified cookbook counts for messages', async () => {
    expect((await estimateChatInputTokens({ messages: cookbookMessages }, 'gpt-4-0613')).inputTokens).toBe(129);
    expect((await estimateChatInputTokens({ messages: cookbookMessages }, 'gpt-3.5-turbo')).inputTokens).toBe(129);
    expect((await estimateChatInputTokens({ messages: cookbookMessages }, 'gpt-4o')).inputTokens).toBe(124);
    expect((await estimateChatInputTokens({ messages: cookbookMessages }, 'gpt-4o-mini')).inputTokens).toBe(124);
  });

  it('matches the API-verified cookbook counts for tool definitions', async () => {
    const input = { messages: weatherMessages, tools: [weatherTool] };
    expect((await estimateChatInputTokens(input, 'gpt-4')).inputTokens).toBe(105);
    expect((await estimateChatInputTokens(input, 'gpt-3.5-turbo')).inputTokens).toBe(105);
    const o200k = await estimateChatInputTokens(input, 'gpt-4o');
    expect(o200k.inputTokens).toBe(101);
    expect(o200k.approximate).toBe(false);
    expect(o200k.breakdown.tools).toBeGreaterThan(0);
  });

  it('counts a top-level system prompt like a system message', async () => {
    const [system, ...rest] = weatherMessages;
    const asField = await estimateChatInputTokens({ system: system?.content ?? '', messages: rest }, 'gpt-4o');
    const asMessage = await estimateChatInputTokens({ messages: weatherMessages }, 'gpt-4o');
    expect(asField.inputTokens).toBe(asMessage.inputTokens);
  });

  it('adds images, tool calls, nested schemas and pre-counted parts', async () => {
    const plain = await estimateChatInputTokens({ messages: [{ role: 'user', content: 'Describe this.' }] }, 'gpt-4o');
    const withParts = await estimateChatInputTokens(
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Describe this.' },
              { type: 'image', width: 1024, height: 1024, detail: 'high' },
              { type: 'tokens', tokens: 40 },
            ],
          },
        ],
      },
      'gpt-4o',
    );
    expect(withParts.inputTokens).toBe(plain.inputTokens + 765 + 40);
    expect(withParts.breakdown.images).toBe(765);

    const call = { role: 'assistant', content: null, toolCalls: [{ name: 'get_current_weather', arguments: '{"location":"Paris"}' }] };
    const withCall = await estimateChatInputTokens({ messages: [...weatherMessages, call] }, 'gpt-4o');
    const without = await estimateChatInputTokens({ messages: weatherMessages }, 'gpt-4o');
    expect(withCall.inputTokens).toBeGreaterThan(without.inputTokens + 8);

    const nested: ToolDefinitionInput = {
      name: 'create_order',
      description: 'Create an order.',
      parameters: {
        type: 'object',
        properties: { items: { type: 'array', description: 'Order lines', items: { type: 'object', properties: { sku: { type: 'string' } } } } },
      },
    };
    const flat: ToolDefinitionInput = { ...nested, parameters: { type: 'object', properties: { items: { type: 'array', description: 'Order lines' } } } };
    const nestedCount = await estimateChatInputTokens({ messages: [], tools: [nested] }, 'gpt-4o');
    const flatCount = await estimateChatInputTokens({ messages: [], tools: [flat] }, 'gpt-4o');
    expect(nestedCount.breakdown.tools).toBeGreaterThan(flatCount.breakdown.tools);
  });

  it('applies the safety factor to the whole estimate for non-OpenAI models', async () => {
    const exact = await estimateChatInputTokens({ messages: cookbookMessages }, 'gpt-4o');
    const claude = await estimateChatInputTokens({ messages: cookbookMessages }, 'claude-haiku-4-5');
    expect(claude.approximate).toBe(true);
    expect(claude.encoding).toBe('o200k_base');
    expect(claude.inputTokens).toBe(Math.ceil((exact.inputTokens * 5) / 4));
  });
});

describe('tokenProfileFor', () => {
  it('picks the encoding of each OpenAI model family and approximates the others', () => {
    const cases: [string, string, boolean][] = [
      ['gpt-4', 'cl100k_base', true],
      ['gpt-4-turbo-2024-04-09', 'cl100k_base', true],
      ['gpt-3.5-turbo-0125', 'cl100k_base', true],
      ['text-embedding-3-small', 'cl100k_base', true],
      ['gpt-4o-2024-08-06', 'o200k_base', true],
      ['gpt-4.1-mini', 'o200k_base', true],
      ['gpt-5.4-nano', 'o200k_base', true],
      ['o3-mini', 'o200k_base', true],
      ['o4-mini', 'o200k_base', true],
      ['azure-openai/gpt-4o', 'o200k_base', true],
      ['claude-sonnet-4-5', 'o200k_base', false],
      ['gemini-2.5-flash', 'o200k_base', false],
      ['anthropic.claude-haiku-4-5-20251001-v1:0', 'o200k_base', false],
    ];
    for (const [model, encoding, exact] of cases) {
      const profile = tokenProfileFor(model);
      expect({ model, encoding: profile.encoding, exact: profile.exact }).toEqual({ model, encoding, exact });
    }
  });

  it('preloads encodings', async () => {
    await expect(preloadTokenizers(['cl100k_base'])).resolves.toBeUndefined();
  });
});

describe('imageTokens', () => {
  it('follows the documented tile examples', () => {
    expect(imageTokens({ type: 'image', width: 1024, height: 1024, detail: 'high' })).toBe(765);
    expect(imageTokens({ type: 'image', width: 2048, height: 4096, detail: 'high' })).toBe(1105);
    expect(imageTokens({ type: 'image', width: 4096, height: 8192, detail: 'low' })).toBe(85);
    expect(imageTokens({ type: 'image', width: 100, height: 100 })).toBe(255);
  });

  it('counts the original detail as high', () => {
    expect(imageTokens({ type: 'image', width: 2048, height: 4096, detail: 'original' })).toBe(1105);
    expect(imageTokens({ type: 'image', detail: 'original' })).toBe(1445);
  });

  it('assumes the largest count when dimensions are unknown or absurd', () => {
    expect(imageTokens({ type: 'image' })).toBe(1445);
    expect(imageTokens({ type: 'image', width: -5, height: 10 })).toBe(1445);
    for (const [width, height] of [
      [768, 2048],
      [10_000, 3_000],
      [3_000, 1_500],
      [513, 513],
    ] as const) {
      expect(imageTokens({ type: 'image', width, height })).toBeLessThanOrEqual(1445);
    }
  });
});
