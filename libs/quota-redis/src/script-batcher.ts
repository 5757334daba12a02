import { type Redis } from 'ioredis';
import { sha1 } from './quota-scripts.js';

interface Call {
  script: string;
  keys: string[];
  argv: string[];
  resolve: (reply: unknown) => void;
  reject: (err: unknown) => void;
}

/** A call that shares one script call with the other calls of its group (see `runGrouped`). */
interface GroupedCall extends Call {
  group: string;
  item: string[];
}

/** One script call on the wire: a plain call, or a group of calls whose replies come back as one array. */
interface Command {
  script: string;
  keys: string[];
  argv: string[];
  calls: Call[];
  grouped: boolean;
}

const isNoScript = (err: unknown): boolean => err instanceof Error && err.message.startsWith('NOSCRIPT');

/** Most calls sent in one script call of a group (Lua's `unpack` and Redis's argument lists stay small). */
export const MAX_GROUP_ITEMS = 64;

/**
 * Sends the Lua scripts called while the event loop handles one round of I/O as one pipeline,
 * written when that round is over (`setImmediate`): a burst of requests costs Redis one read and
 * the gateway one write, like ioredis auto-pipelining. Unlike it, a batch never waits for the
 * previous batch's replies (auto-pipelining keeps one pipeline in flight per connection, so a
 * burst of admissions queued behind a batch pays two round trips and more). Scripts run by their
 * SHA-1; one that Redis does not know yet (`NOSCRIPT`) is sent again whole, on its own.
 *
 * Grouped calls (`runGrouped`) of the same script and group in one batch go as one script call
 * with their items one after another: Redis pays the cost of a script call once for all of them,
 * and the script can read what the calls share (a tenant's budgets) once.
 */
export class ScriptBatcher {
  readonly #redis: Redis;
  readonly #delayMs: number;
  #queue: (Call | GroupedCall)[] = [];
  #scheduled = false;

  /**
   * @param o.delayMs collect scripts for this long before sending them (0, the default: until
   *   the current round of I/O is over). For work that may wait behind latency-critical scripts.
   */
  constructor(redis: Redis, o: { delayMs?: number } = {}) {
    this.#redis = redis;
    this.#delayMs = o.delayMs ?? 0;
  }

  /** Runs a script with its keys and arguments; resolves with its reply. */
  run(script: string, keys: string[], argv: string[]): Promise<unknown> {
    return new Promise((resolve, reject) => this.#enqueue({ script, keys, argv, resolve, reject }));
  }

  /**
   * Runs `script` once for all the calls of the same `group` in this batch (at most
   * {@link MAX_GROUP_ITEMS}), with `keys`, then `argv` (the same for the whole group: the first
   * call's are used), then every call's `item` arguments in call order. The script must reply with
   * one array holding one reply per item, in order; this call resolves with its own. The group's
   * script call takes the place of its first call in the pipeline, so a grouped call may run before
   * a plain call made earlier in the same batch.
   */
  runGrouped(script: string, group: string, keys: string[], argv: string[], item: string[]): Promise<unknown> {
    return new Promise((resolve, reject) => this.#enqueue({ script, keys, argv, item, group, resolve, reject }));
  }

  #enqueue(c: Call | GroupedCall): void {
    this.#queue.push(c);
    if (!this.#scheduled) {
      this.#scheduled = true;
      if (this.#delayMs > 0) setTimeout(() => this.#flush(), this.#delayMs);
      else setImmediate(() => this.#flush());
    }
  }

  #commands(batch: (Call | GroupedCall)[]): Command[] {
    const commands: Command[] = [];
    const open = new Map<string, Command>();
    for (const c of batch) {
      if (!('group' in c)) {
        commands.push({ script: c.script, keys: c.keys, argv: c.argv, calls: [c], grouped: false });
        continue;
      }
      const id = `${sha1(c.script)}\n${c.group}`;
      let cmd = open.get(id);
      if (!cmd || cmd.calls.length >= MAX_GROUP_ITEMS) {
        cmd = { script: c.script, keys: c.keys, argv: [...c.argv], calls: [], grouped: true };
        open.set(id, cmd);
        commands.push(cmd);
      }
      cmd.calls.push(c);
      for (const a of c.item) cmd.argv.push(a);
    }
    return commands;
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    const commands = this.#commands(batch);
    if (commands.length === 1) {
      const cmd = commands[0] as Command;
      this.#redis.evalsha(sha1(cmd.script), cmd.keys.length, ...cmd.keys, ...cmd.argv).then(
        (reply) => this.#answer(cmd, reply),
        (err: unknown) => this.#retryWhole(cmd, err),
      );
      return;
    }
    const pipeline = this.#redis.pipeline();
    for (const cmd of commands) pipeline.evalsha(sha1(cmd.script), cmd.keys.length, ...cmd.keys, ...cmd.argv);
    pipeline.exec().then(
      (results) => {
        commands.forEach((cmd, i) => {
          const [err, reply] = results?.[i] ?? [new Error('Redis returned no reply for a pipelined script'), undefined];
          if (err) this.#retryWhole(cmd, err);
          else this.#answer(cmd, reply);
        });
      },
      (err: unknown) => {
        for (const cmd of commands) for (const c of cmd.calls) c.reject(err);
      },
    );
  }

  #answer(cmd: Command, reply: unknown): void {
    if (!cmd.grouped) {
      (cmd.calls[0] as Call).resolve(reply);
      return;
    }
    if (!Array.isArray(reply) || reply.length !== cmd.calls.length) {
      const err = new Error(`a grouped script replied with ${Array.isArray(reply) ? `${reply.length} replies` : 'no array'} for ${cmd.calls.length} calls`);
      for (const c of cmd.calls) c.reject(err);
      return;
    }
    cmd.calls.forEach((c, i) => c.resolve(reply[i]));
  }

  #retryWhole(cmd: Command, err: unknown): void {
    if (!isNoScript(err)) {
      for (const c of cmd.calls) c.reject(err);
      return;
    }
    this.#redis.eval(cmd.script, cmd.keys.length, ...cmd.keys, ...cmd.argv).then(
      (reply) => this.#answer(cmd, reply),
      (e: unknown) => {
        for (const c of cmd.calls) c.reject(e);
      },
    );
  }
}
