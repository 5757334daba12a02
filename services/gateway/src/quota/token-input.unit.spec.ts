import { describe, expect, it } from 'vitest';
import { imageTokens, loadTokenizer } from '@totra/pricing';
import { decodeOpenAIResponsesRequest, type ChatRequest } from '@totra/providers';
import { tokenInput } from './quota-stage.js';

const count = async (request: Pick<ChatRequest, 'messages' | 'tools' | 'unreadTexts'>) => (await loadTokenizer('gpt-4o')).estimateChatInput(tokenInput(request)).inputTokens;
const ask = (content: ChatRequest['messages'][number]['content']): Pick<ChatRequest, 'messages'> => ({ messages: [{ role: 'user', content } as ChatRequest['messages'][number]] });

describe('tokenInput: what a request is reserved for, and what count_tokens answers', () => {
  it('counts an image at the most an image can cost, whatever its bytes', async () => {
    const text = await count(ask([{ type: 'text', text: 'what is in this photo?' }]));
    const photo = { type: 'image' as const, source: { type: 'base64' as const, mediaType: 'image/jpeg', data: 'A'.repeat(400_000) } };
    const withPhoto = await count(ask([{ type: 'text', text: 'what is in this photo?' }, photo]));
    expect(withPhoto - text).toBeGreaterThanOrEqual(imageTokens({ type: 'image' }));
    const low = await count(ask([{ type: 'text', text: 'what is in this photo?' }, { ...photo, detail: 'low' }]));
    expect(low - text).toBeGreaterThanOrEqual(imageTokens({ type: 'image', detail: 'low' }));
    expect(low).toBeLessThan(withPhoto);
  });

  it('counts the tool calls of assistant messages, not only their text', async () => {
    const call = { id: 'c1', name: 'lookup_order', arguments: JSON.stringify({ order: 'A-1', fields: ['status', 'eta', 'carrier', 'address'] }) };
    const without = await count({ messages: [{ role: 'assistant', content: [] }] });
    const withCall = await count({ messages: [{ role: 'assistant', content: [], toolCalls: [call] }] });
    expect(withCall - without).toBeGreaterThan(10);
  });

  it("counts the texts only the client's body carries, such as what a local tool's command printed", async () => {
    const request = decodeOpenAIResponsesRequest({
      model: 'gpt-5.1',
      tools: [{ type: 'shell' }],
      input: [
        { role: 'user', content: 'How big is the log?' },
        { type: 'shell_call', call_id: 'c1', action: { commands: ['cat app.log'] }, status: 'completed' },
        { type: 'shell_call_output', call_id: 'c1', output: [{ stdout: 'line of the log\n'.repeat(200), stderr: '', outcome: { type: 'exit', exit_code: 0 } }] },
      ],
    });
    const { unreadTexts: _left, ...without } = request;
    expect((await count(request)) - (await count(without))).toBeGreaterThan(800);
  });
});
