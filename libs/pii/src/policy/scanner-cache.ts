import { createScanner, type PiiScanner } from '../scanner/scanner.js';
import { type EffectivePolicy } from './resolve-policy.js';

/** Scanners by the options policies need, so a request does not build one (see {@link createScannerCache}). */
export interface ScannerCache {
  /** The scanner for `effective.scannerOptions`, built on first use. */
  scannerFor(effective: EffectivePolicy): PiiScanner;
  readonly size: number;
}

/**
 * A small least-recently-used cache of scanners keyed by `EffectivePolicy.scannerKey`. Few
 * distinct keys exist in practice (one per distinct set of allowed groups), so `max` bounds
 * memory against a pathological number of policies. Scanners are not re-entrant, but `scan` is
 * synchronous, so one instance may serve every request of a process.
 */
export function createScannerCache(max = 64): ScannerCache {
  const scanners = new Map<string, PiiScanner>();
  return {
    scannerFor(effective: EffectivePolicy): PiiScanner {
      const key = effective.scannerKey;
      let scanner = scanners.get(key);
      if (scanner) {
        scanners.delete(key);
      } else {
        scanner = createScanner(effective.scannerOptions);
        if (scanners.size >= max) scanners.delete(scanners.keys().next().value as string);
      }
      scanners.set(key, scanner);
      return scanner;
    },
    get size() {
      return scanners.size;
    },
  };
}
