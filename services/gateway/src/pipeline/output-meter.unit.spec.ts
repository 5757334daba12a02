import { describe, expect, it } from 'vitest';
import { type StreamEvent } from '@totra/providers';
import { outputMeter } from './output-meter.js';

const text = (t: string): StreamEvent => ({ type: 'text_delta', text: t });

describe('outputMeter', () => {
  it('passes deltas that fit, cuts the one that passes the cap to what fits, then passes nothing', () => {
    const m = outputMeter(5); // about 20 characters
    expect(m.admit([{ type: 'message_start', id: 'x', model: 'm', created: 0 }, text('0123456789')])).toHaveLength(2);
    expect(m.cut).toBe(false);
    expect(m.admit([text('abcdefghijklmno'), text('never')])).toEqual([text('abcdefghij')]);
    expect(m.cut).toBe(true);
    expect(m.tokens()).toBe(5);
    expect(m.admit([text('more')])).toEqual([]);
  });

  it('counts tool-call arguments and uses the provider count reported mid-stream', () => {
    const m = outputMeter(10);
    expect(m.admit([{ type: 'tool_call_delta', index: 0, argumentsDelta: '{"a":1}' }])).toHaveLength(1);
    expect(m.tokens()).toBe(2);
    // The provider says 10 tokens so far: the next delta does not fit, whatever its length.
    expect(m.admit([{ type: 'usage', usage: { outputTokens: 10 } }, text('x')])).toEqual([{ type: 'usage', usage: { outputTokens: 10 } }]);
    expect(m.cut).toBe(true);
    expect(m.tokens()).toBe(10);
  });

  it('never cuts after the provider finished (a final usage report larger than the estimate)', () => {
    const m = outputMeter(2);
    const events: StreamEvent[] = [text('12345678'), { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage: { outputTokens: 3 } }];
    expect(m.admit(events)).toEqual(events);
    expect(m.cut).toBe(false);
  });

  it('does not split a surrogate pair', () => {
    const m = outputMeter(1); // 4 characters
    expect(m.admit([text('abc\u{1F600}def')])).toEqual([text('abc')]);
    expect(m.cut).toBe(true);
  });
});
