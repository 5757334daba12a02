import { sql, type Kysely } from 'kysely';
import { readCheckpoints } from './checkpoint.js';
import { LEADER_LOCK_CLASS } from './leader-lock.js';
import { type AnyProjection } from './projection.js';

/** What `totra projections status` shows for one projection. */
export interface ProjectionStatus {
  readonly projection: string;
  /** Version of the code. */
  readonly version: number;
  /** Version of the stored read model (undefined: never run). */
  readonly storedVersion: number | undefined;
  readonly streamSeq: number;
  /** Stream messages behind (when the stream's last sequence is known). */
  readonly messagesBehind: number | undefined;
  readonly updatedAt: Date | undefined;
  /** Whether some instance holds the projection's leader lock right now. */
  readonly active: boolean;
  readonly deadLetters: number;
}

async function tableExists(db: Kysely<unknown>, table: string): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`SELECT to_regclass(${`public.${table}`}) IS NOT NULL AS ok`.execute(db);
  return rows[0]?.ok === true;
}

/** The status of each projection, read from Postgres (checkpoints, locks, dead letters). */
export async function projectionStatus(db: Kysely<unknown>, projections: readonly AnyProjection[], lastSeq?: number): Promise<ProjectionStatus[]> {
  const checkpoints = (await tableExists(db, 'projection_checkpoint')) ? await readCheckpoints(db) : new Map();
  const dead = new Map<string, number>();
  if (await tableExists(db, 'projection_dead_letter')) {
    const { rows } = await sql<{ projection: string; n: string }>`SELECT projection, count(*) AS n FROM projection_dead_letter GROUP BY projection`.execute(db);
    for (const r of rows) dead.set(r.projection, Number(r.n));
  }
  const { rows: locks } = await sql<{ objid: string }>`
    SELECT objid::bigint AS objid FROM pg_locks WHERE locktype = 'advisory' AND classid = ${LEADER_LOCK_CLASS} AND objsubid = 2 AND granted`.execute(db);
  const held = new Set(locks.map((l) => l.objid));
  const out: ProjectionStatus[] = [];
  for (const p of projections) {
    const { rows } = await sql<{ key: string }>`SELECT (hashtext(${p.name})::bigint & 4294967295) AS key`.execute(db);
    const cp = checkpoints.get(p.name);
    out.push({
      projection: p.name,
      version: p.version,
      storedVersion: cp?.version,
      streamSeq: cp?.streamSeq ?? 0,
      messagesBehind: lastSeq === undefined ? undefined : Math.max(0, lastSeq - (cp?.streamSeq ?? 0)),
      updatedAt: cp?.updatedAt,
      active: held.has(rows[0]?.key ?? ''),
      deadLetters: dead.get(p.name) ?? 0,
    });
  }
  return out;
}
