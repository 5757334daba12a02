import { type z } from 'zod';

/** Turns the data of version `from` into the data of version `from + 1`. */
export interface Upcaster {
  from: number;
  up: (data: Record<string, unknown>) => Record<string, unknown>;
}

/**
 * One event type: its name, current version, the zod schema of its clear `data`, the
 * upcasters from older versions, and which sealed fields it may carry (personal data).
 */
export interface EventDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  readonly type: TType;
  readonly v: number;
  readonly data: TSchema;
  readonly description: string;
  /** Names of the personal fields this event puts in `sealed` (never in `data`). */
  readonly sealedFields: readonly string[];
  /** Whether the envelope must name a data subject. */
  readonly requiresSubject: boolean;
  readonly upcasters: readonly Upcaster[];
}

export type EventData<TDef> = TDef extends EventDefinition<string, infer S> ? z.output<S> : never;

/** Declares an event type. Keep it in a `<kebab-name>.event.ts` file. */
export function defineEvent<TType extends string, TSchema extends z.ZodType>(def: {
  type: TType;
  v: number;
  data: TSchema;
  description: string;
  sealedFields?: readonly string[];
  requiresSubject?: boolean;
  upcasters?: readonly Upcaster[];
}): EventDefinition<TType, TSchema> {
  return {
    type: def.type,
    v: def.v,
    data: def.data,
    description: def.description,
    sealedFields: def.sealedFields ?? [],
    requiresSubject: def.requiresSubject ?? false,
    upcasters: def.upcasters ?? [],
  };
}
