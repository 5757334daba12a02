import type { EngineKind } from '@totra/engines';

/** The key under which the global setup provides server URLs to test workers. */
export const providedKey = 'totraEngineUrls';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Server URLs the test run's global setup obtained (see @totra/testing global-setup). */
    totraEngineUrls: Readonly<Partial<Record<EngineKind, string>>>;
  }
}
