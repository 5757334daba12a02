import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/** URLs of the running product, as `totra up` writes them to `.totra/urls.json`. */
export const Urls = z
  .object({
    gateway: z.string(),
    nats: z.string(),
    redis: z.string(),
    postgres: z.string(),
  })
  .catchall(z.string());
export type Urls = z.infer<typeof Urls>;

/** The state folder (`.totra/` in the current directory unless TOTRA_STATE_DIR says otherwise). */
export function stateDir(explicit?: string): string {
  return resolve(explicit ?? process.env['TOTRA_STATE_DIR'] ?? '.totra');
}

export function writeUrls(dir: string, urls: Urls): void {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `urls.json.${process.pid}`);
  writeFileSync(tmp, `${JSON.stringify(urls, null, 2)}\n`);
  renameSync(tmp, join(dir, 'urls.json'));
}

export function readUrls(dir: string): Urls | undefined {
  const file = join(dir, 'urls.json');
  if (!existsSync(file)) return undefined;
  const parsed = Urls.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  return parsed.success ? parsed.data : undefined;
}

/** NATS URL for commands that read the log: flag, then TOTRA_NATS_URL, then `.totra/urls.json`, then the default port. */
export function resolveNatsUrl(flag: string | undefined, dir: string): string {
  return flag ?? process.env['TOTRA_NATS_URL'] ?? readUrls(dir)?.nats ?? 'nats://127.0.0.1:4222';
}
