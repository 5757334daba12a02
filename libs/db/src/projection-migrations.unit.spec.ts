import { describe, expect, it } from 'vitest';
import { defineProjectionMigrations } from './projection-migrations.js';

const noop = async (): Promise<void> => undefined;

describe('defineProjectionMigrations (naming convention)', () => {
  it('gives each projection its own migration and lock tables', () => {
    const definition = defineProjectionMigrations('cost_daily', { cost_daily_0001_create_tables: { up: noop, down: noop } });
    expect(definition.tables).toEqual({
      tableName: 'kysely_migration_cost_daily',
      lockTableName: 'kysely_migration_lock_cost_daily',
    });
  });

  it.each([
    ['cost_1_create', 'sequence is not 4 digits'],
    ['directory_0001_create', 'belongs to another projection'],
    ['cost_0001_Create', 'not lowercase'],
    ['cost_0001_', 'no description'],
  ])('refuses %s (%s)', (name) => {
    expect(() => defineProjectionMigrations('cost', { [name]: { up: noop, down: noop } })).toThrow(
      expect.objectContaining({ code: 'TOTRA_DB_MIGRATION_NAME', migrationName: name }),
    );
  });

  it('refuses a migration without down, and a bad projection name', () => {
    expect(() => defineProjectionMigrations('cost', { cost_0001_create: { up: noop } })).toThrow(/needs a down/);
    expect(() => defineProjectionMigrations('Cost-Daily', {})).toThrow(expect.objectContaining({ code: 'TOTRA_DB_MIGRATION_NAME' }));
  });
});
