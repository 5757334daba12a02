import { type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { type StreamOptions } from '@totra/eventlog';
import { quotaHotControlSubject, type QuotaHotControlReply, type QuotaHotProjection } from '@totra/projection-quota-hot';

const reply = (r: QuotaHotControlReply) => JSON.stringify(r);

/**
 * Answers `totra projections rebuild|status quota-hot` for the projection this process runs:
 * a rebuild must happen inside the running projector (it pauses, drops what it wrote and
 * replays), or its consumer would go on writing over the replay. Replies JSON
 * `{ ok, position }` or `{ ok: false, error }`.
 */
export function serveProjectorControl(nc: NatsConnection, stream: StreamOptions, quotaHot: QuotaHotProjection, onWarning: (m: string) => void): Subscription[] {
  const rebuild = nc.subscribe(quotaHotControlSubject(stream, 'rebuild'), {
    callback: (err, msg) => {
      if (err) return;
      onWarning('quota-hot: rebuild requested');
      quotaHot.rebuild().then(
        () => msg.respond(reply({ ok: true, position: quotaHot.position })),
        (e: unknown) => msg.respond(reply({ ok: false, error: (e as Error).message })),
      );
    },
  });
  const status = nc.subscribe(quotaHotControlSubject(stream, 'status'), {
    callback: (err, msg) => {
      if (!err) msg.respond(reply({ ok: true, position: quotaHot.position }));
    },
  });
  return [rebuild, status];
}
