import { type ProjectionLag, type ProjectionStats } from './runner.js';

/** Prometheus text exposition of runners' stats and lag (one sample per projection). */
export function formatProjectionMetrics(samples: readonly { stats: ProjectionStats; lag?: ProjectionLag }[]): string {
  const series: [string, string, string, (s: { stats: ProjectionStats; lag?: ProjectionLag }) => number | undefined][] = [
    ['totra_projection_active', 'gauge', '1 when this instance is the active one', (s) => (s.stats.role === 'active' ? 1 : 0)],
    ['totra_projection_position', 'gauge', 'last stream sequence applied or passed over', (s) => s.stats.position],
    ['totra_projection_checkpoint', 'gauge', 'stream sequence of the checkpoint in Postgres', (s) => s.stats.checkpoint],
    ['totra_projection_lag_messages', 'gauge', 'stream messages not applied yet', (s) => s.lag?.messagesBehind],
    ['totra_projection_lag_seconds', 'gauge', 'seconds the read model is behind the stream', (s) => s.lag?.secondsBehind],
    ['totra_projection_events_applied_total', 'counter', 'events applied', (s) => s.stats.eventsApplied],
    ['totra_projection_events_per_second', 'gauge', 'events applied per second (10 s window)', (s) => s.stats.eventsPerSecond],
    ['totra_projection_dead_letters_total', 'counter', 'events set aside to the dead-letter subject', (s) => s.stats.deadLetters],
  ];
  const lines: string[] = [];
  for (const [name, type, help, value] of series) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const s of samples) {
      const v = value(s);
      if (v !== undefined) lines.push(`${name}{projection="${s.stats.projection}"} ${Number.isInteger(v) ? v : v.toFixed(3)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
