import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sdkClients, startHarness, type Harness } from './support/gateway-harness.js';

// OpenAI's local tools (ADR 0038): `shell`, `local_shell` and `apply_patch`, which the model calls
// in items of their own and the application runs. Through the gateway with the official SDK, in
// OpenAI's and Azure OpenAI's Responses API, streamed or not: the caller's personal data is
// pseudonymized in the calls and outputs of the history and restored in the model's calls;
// refused, saying why, for a provider without them and for a shell in a hosted container.
describe('local tools through the gateway', () => {
  let h: Harness;
  let openai: OpenAI;
  const email = 'jane.doe@example.com';
  const prompt = `Find the orders of ${email} in orders.csv.`;
  const shell: OpenAI.Responses.Tool[] = [{ type: 'shell' }];
  const command = (who: string) => `grep '${who}' orders.csv`;
  const shellCall = (who: string) => ({ action: { commands: [command(who), 'wc -l orders.csv'], timeout_ms: 10_000, max_output_length: 4096 } });

  beforeAll(async () => {
    h = await startHarness();
    openai = sdkClients(h).openai;
  });
  afterEach(() => {
    h.mocks.openai.setBehaviour({ toolCalls: undefined });
    h.mocks.azure.setBehaviour({ toolCalls: undefined });
  });
  afterAll(async () => {
    await h?.close();
  });

  const sentBody = (): Record<string, unknown> => h.mocks.openai.requests.at(-1)?.body as Record<string, unknown>;

  it('reaches OpenAI as declared, and its shell call comes back with the caller’s data in its commands', async () => {
    h.mocks.openai.setBehaviour({ toolCalls: [{ name: 'shell', local: 'shell_call', arguments: JSON.stringify(shellCall('<EMAIL_1>')), id: 'call_sh' }] });
    const res = await openai.responses.create({ model: 'gpt-4o', input: prompt, tools: shell, tool_choice: { type: 'shell' } });
    const sent = sentBody();
    expect(sent['tools']).toEqual(shell);
    expect(sent['tool_choice']).toEqual({ type: 'shell' });
    expect(sent['input']).toBe(`Find the orders of <EMAIL_1> in orders.csv.`);
    const call = res.output.find((o) => o.type === 'shell_call');
    expect(call).toMatchObject({ type: 'shell_call', call_id: 'call_sh', status: 'completed', ...shellCall(email) });
  });

  it('streams the call: OpenAI’s own events when nothing is restored, the restored item otherwise', async () => {
    h.mocks.openai.setBehaviour({ toolCalls: [{ name: 'shell', local: 'shell_call', arguments: JSON.stringify(shellCall('orders')), id: 'call_sh' }] });
    const types: string[] = [];
    let commands = '';
    for await (const event of await openai.responses.create({ model: 'gpt-4o', input: 'Count the orders.', tools: shell, stream: true })) {
      types.push(event.type);
      if (event.type === 'response.shell_call_command.delta') commands += event.delta;
    }
    expect(commands).toBe(`${command('orders')}wc -l orders.csv`);
    expect(types.at(-1)).toBe('response.completed');

    h.mocks.openai.setBehaviour({ toolCalls: [{ name: 'shell', local: 'shell_call', arguments: JSON.stringify(shellCall('<EMAIL_1>')), id: 'call_sh' }] });
    let added: unknown;
    let done: unknown;
    let completed: unknown;
    for await (const event of await openai.responses.create({ model: 'gpt-4o', input: prompt, tools: shell, stream: true })) {
      if (event.type === 'response.output_item.added' && event.item.type === 'shell_call') added = event.item;
      if (event.type === 'response.output_item.done' && event.item.type === 'shell_call') done = event.item;
      if (event.type === 'response.completed') completed = event.response.output.find((o) => o.type === 'shell_call');
    }
    expect(added).toMatchObject({ type: 'shell_call', call_id: 'call_sh', status: 'in_progress', ...shellCall(email) });
    expect(done).toMatchObject({ type: 'shell_call', call_id: 'call_sh', status: 'completed', ...shellCall(email) });
    expect(completed).toEqual(done);
  });

  it('carries calls and outputs in the history as they came, the caller’s data pseudonymized in each', async () => {
    const patch = `*** Begin Patch\n*** Update File: owners.txt\n@@\n-owner: nobody\n+owner: ${email}\n*** End Patch`;
    await openai.responses.create({
      model: 'gpt-4o',
      tools: [{ type: 'shell' }, { type: 'apply_patch' }],
      input: [
        { role: 'user', content: prompt },
        { type: 'shell_call', id: 'sh_1', call_id: 'call_sh', action: { commands: [command(email)], timeout_ms: null, max_output_length: null }, status: 'completed' },
        { type: 'shell_call_output', call_id: 'call_sh', max_output_length: null, output: [{ stdout: `17,${email},42.00\n`, stderr: '', outcome: { type: 'exit', exit_code: 0 } }] },
        { type: 'apply_patch_call', id: 'apc_1', call_id: 'call_ap', operation: { type: 'update_file', path: 'owners.txt', diff: patch }, status: 'completed' },
        { type: 'apply_patch_call_output', call_id: 'call_ap', status: 'completed', output: `Updated owners.txt for ${email}` },
      ],
    });
    const input = sentBody()['input'] as Record<string, unknown>[];
    expect(JSON.stringify(input)).not.toContain(email);
    expect(input[1]).toEqual({ type: 'shell_call', id: 'sh_1', call_id: 'call_sh', action: { commands: [command('<EMAIL_1>')], timeout_ms: null, max_output_length: null }, status: 'completed' });
    expect(input[2]).toEqual({ type: 'shell_call_output', call_id: 'call_sh', max_output_length: null, output: [{ stdout: '17,<EMAIL_1>,42.00\n', stderr: '', outcome: { type: 'exit', exit_code: 0 } }] });
    expect(input[3]).toEqual({ type: 'apply_patch_call', id: 'apc_1', call_id: 'call_ap', operation: { type: 'update_file', path: 'owners.txt', diff: patch.replace(email, '<EMAIL_1>') }, status: 'completed' });
    expect(input[4]).toEqual({ type: 'apply_patch_call_output', call_id: 'call_ap', status: 'completed', output: 'Updated owners.txt for <EMAIL_1>' });
  });

  it('answers apply_patch and local_shell calls, restored, from Azure OpenAI too', async () => {
    const operation = { type: 'create_file', path: 'contacts.md', diff: '+# Contacts\n+- <EMAIL_1>\n' };
    h.mocks.azure.setBehaviour({ toolCalls: [{ name: 'apply_patch', local: 'apply_patch_call', arguments: JSON.stringify({ operation }), id: 'call_ap' }] });
    const patched = await openai.responses.create({ model: 'azure-gpt', input: prompt, tools: [{ type: 'apply_patch' }] });
    expect(patched.output.find((o) => o.type === 'apply_patch_call')).toMatchObject({ type: 'apply_patch_call', call_id: 'call_ap', operation: { ...operation, diff: `+# Contacts\n+- ${email}\n` } });

    const action = { type: 'exec', command: ['grep', '<EMAIL_1>', 'orders.csv'], env: {}, timeout_ms: 1000, working_directory: null, user: null };
    h.mocks.openai.setBehaviour({ toolCalls: [{ name: 'local_shell', local: 'local_shell_call', arguments: JSON.stringify({ action }), id: 'call_ls' }] });
    const stream = await openai.responses.create({ model: 'gpt-4o', input: prompt, tools: [{ type: 'local_shell' }], stream: true });
    let done: unknown;
    for await (const event of stream) if (event.type === 'response.output_item.done' && event.item.type === 'local_shell_call') done = event.item;
    expect(done).toMatchObject({ type: 'local_shell_call', call_id: 'call_ls', action: { ...action, command: ['grep', email, 'orders.csv'] } });
  });

  it('serves computer use: the action comes back restored, a screenshot in the history goes as it came', async () => {
    const screenshot = `data:image/png;base64,${'iVBORw0KGgoAAAANSUhEUgAA'.repeat(40)}`;
    const action = { type: 'type', text: '<EMAIL_1>' };
    h.mocks.openai.setBehaviour({ toolCalls: [{ name: 'computer', local: 'computer_call', arguments: JSON.stringify({ action, pending_safety_checks: [] }), id: 'call_cu' }] });
    const computer: OpenAI.Responses.Tool[] = [{ type: 'computer_use_preview', display_width: 1280, display_height: 800, environment: 'browser' }];
    const res = await openai.responses.create({
      model: 'gpt-4o',
      tools: computer,
      input: [
        { role: 'user', content: prompt },
        { type: 'computer_call', id: 'cu_1', call_id: 'call_0', action: { type: 'type', text: email }, pending_safety_checks: [], status: 'completed' },
        { type: 'computer_call_output', call_id: 'call_0', output: { type: 'computer_screenshot', image_url: screenshot } },
      ],
    });
    expect(res.output.find((o) => o.type === 'computer_call')).toMatchObject({ type: 'computer_call', call_id: 'call_cu', action: { type: 'type', text: email } });
    const input = sentBody()['input'] as Record<string, unknown>[];
    expect(input[1]).toMatchObject({ type: 'computer_call', action: { type: 'type', text: '<EMAIL_1>' } });
    expect(input[2]).toEqual({ type: 'computer_call_output', call_id: 'call_0', output: { type: 'computer_screenshot', image_url: screenshot } });
    expect(sentBody()['tools']).toEqual(computer);
  });

  it('carries a compaction item to OpenAI as it came, and refuses it for a provider that cannot read it', async () => {
    const compaction = { type: 'compaction', encrypted_content: 'gAAAAB-opaque-summary' } as unknown as OpenAI.Responses.ResponseInputItem;
    await openai.responses.create({ model: 'gpt-4o', input: [compaction, { role: 'user', content: prompt }] });
    expect((sentBody()['input'] as unknown[])[0]).toEqual(compaction);
    const before = h.mocks.anthropic.requests.length;
    const err = await openai.responses.create({ model: 'claude-sonnet-4-5', input: [compaction, { role: 'user', content: prompt }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/a compaction item \(OpenAI's encrypted summary of earlier turns\) is read by OpenAI only/);
    expect(h.mocks.anthropic.requests.length).toBe(before);
  });

  it('answers a 400 that says why for a provider without local tools, and never calls it', async () => {
    const before = h.mocks.anthropic.requests.length;
    const err = await openai.responses.create({ model: 'claude-sonnet-4-5', input: prompt, tools: shell }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/the local tool `shell` is served through OpenAI's and Azure OpenAI's Responses API only/);
    expect(h.mocks.anthropic.requests.length).toBe(before);
  });

  it('refuses a shell in a hosted container, which the provider runs', async () => {
    const before = h.mocks.openai.requests.length;
    const err = await openai.responses.create({ model: 'gpt-4o', input: prompt, tools: [{ type: 'shell', environment: { type: 'container_auto' } }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.message).toMatch(/the built-in tool `shell` with a hosted container \(`environment.type` "container_auto"\) is not supported/);
    expect((bad.error as { param?: string }).param).toBe('tools.0.environment');
    expect(h.mocks.openai.requests.length).toBe(before);
  });
});
