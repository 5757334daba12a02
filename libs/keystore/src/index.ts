export { KeyStore, type KeyScope, type KeyStoreOptions, type ShredResult } from './key-store.js';
export { nodeAesGcm } from './node-aead.js';
export { KEYSTORE_MIGRATION_TABLES, keystoreMigrations, type KeyStoreTables } from './keystore.migrations.js';
export { KeyShreddedError, KeyStoreError, NoSubjectError, SubjectErasedError } from './errors.js';
