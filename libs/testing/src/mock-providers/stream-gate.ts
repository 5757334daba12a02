import type { MockFrameInfo } from './behaviour.js';

/** Holds a mock stream after one frame until the test lets it go: proves incremental delivery without sleeping. */
export interface StreamGate {
  /** Pass as the behaviour's `afterFrame`. */
  readonly afterFrame: (frame: MockFrameInfo) => Promise<void>;
  /** Resolves with the frame the stream is held after, once it was written. */
  readonly reached: Promise<MockFrameInfo>;
  /** Lets the held stream go on (and any later one pass). Idempotent. */
  release(): void;
}

/**
 * A gate that holds the first stream frame matching `holdAfter` (default: the first frame that
 * carries answer text). Only one frame is ever held.
 *
 * ```ts
 * const gate = createStreamGate();
 * mock.setBehaviour({ afterFrame: gate.afterFrame });
 * // start the request, then:
 * await gate.reached;   // the server wrote the first text frame and is waiting
 * // ... assert the client already saw it ...
 * gate.release();
 * ```
 */
export function createStreamGate(holdAfter: (frame: MockFrameInfo) => boolean = (f) => f.text !== undefined): StreamGate {
  let released = false;
  let held = false;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let announce!: (frame: MockFrameInfo) => void;
  const reached = new Promise<MockFrameInfo>((resolve) => {
    announce = resolve;
  });
  return {
    reached,
    release() {
      released = true;
      open();
    },
    async afterFrame(frame) {
      if (released || held || !holdAfter(frame)) return;
      held = true;
      announce(frame);
      await opened;
    },
  };
}
