import { z } from 'zod';

export const ProjectorConfig = z.object({
  natsUrl: z.string().min(1).default('nats://127.0.0.1:4222'),
  streamName: z.string().regex(/^[A-Za-z0-9_-]+$/).default('TOTRA'),
  subjectPrefix: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/).default('totra'),
  redisUrl: z.string().regex(/^rediss?:\/\//, 'a redis:// URL').default('redis://127.0.0.1:6379'),
  redisPrefix: z.string().regex(/^[A-Za-z0-9_:.-]*$/).default('totra:'),
});
export type ProjectorConfig = z.infer<typeof ProjectorConfig>;

const ENV: Record<keyof ProjectorConfig, string> = {
  natsUrl: 'TOTRA_NATS_URL',
  streamName: 'TOTRA_STREAM',
  subjectPrefix: 'TOTRA_SUBJECT_PREFIX',
  redisUrl: 'TOTRA_REDIS_URL',
  redisPrefix: 'TOTRA_REDIS_PREFIX',
};

/** Thrown for a bad environment value: says which variable and why. */
export class ProjectorConfigError extends Error {
  readonly code = 'TOTRA_PROJECTOR_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ProjectorConfigError';
  }
}

export function loadProjectorConfig(env: NodeJS.ProcessEnv = process.env): ProjectorConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(ENV)) if (env[name]) raw[key] = env[name];
  const parsed = ProjectorConfig.safeParse(raw);
  if (!parsed.success) {
    throw new ProjectorConfigError(`invalid projector configuration: ${parsed.error.issues.map((i) => `${ENV[String(i.path[0]) as keyof ProjectorConfig]}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
