import pg from 'pg';

/** First key of the two-key advisory locks of projections (a constant, so they never collide with other locks). */
export const LEADER_LOCK_CLASS = 8403;
/** Advisory lock class of rebuilds (one rebuild of a projection at a time). */
export const REBUILD_LOCK_CLASS = 8404;

/**
 * A session-level Postgres advisory lock held on a connection of its own: it is released by the
 * server the moment that connection dies, which is what lets a standby take over from a dead
 * active instance. `lost` resolves when the connection fails.
 */
export class AdvisoryLock {
  readonly #client: pg.Client;
  #held = false;
  #lostResolve: (() => void) | undefined;
  readonly lost: Promise<void>;

  private constructor(client: pg.Client) {
    this.#client = client;
    this.lost = new Promise((resolve) => (this.#lostResolve = resolve));
    client.on('error', () => this.#lostResolve?.());
    client.on('end', () => this.#lostResolve?.());
  }

  /** Opens the lock's own connection. */
  static async open(url: string, applicationName: string): Promise<AdvisoryLock> {
    const client = new pg.Client({ connectionString: url, application_name: applicationName });
    const lock = new AdvisoryLock(client);
    await client.connect();
    return lock;
  }

  get held(): boolean {
    return this.#held;
  }

  /** Tries once; true when this connection now holds the lock. */
  async tryAcquire(lockClass: number, name: string): Promise<boolean> {
    const { rows } = await this.#client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS ok', [lockClass, name]);
    this.#held = rows[0]?.ok === true;
    return this.#held;
  }

  /** Closes the connection, which releases the lock. */
  async close(): Promise<void> {
    this.#held = false;
    await this.#client.end().catch(() => undefined);
  }
}
