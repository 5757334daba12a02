export {
  ChainId,
  Envelope,
  EventTime,
  EventTypeName,
  GENESIS_PREV,
  HashHex,
  Sealed,
  UnhashedEnvelope,
  type EventInput,
  type TypedEnvelope,
} from './envelope.js';
export { defineEvent, type EventData, type EventDefinition, type Upcaster } from './define-event.js';
export { EventRegistry, coreEvents, type DecodedEvent } from './registry.js';
export { buildJsonSchemas, fileNameOf, formatJsonSchema } from './json-schemas.js';
export { EventRegistryError, EventsError, InvalidEventError, UnknownEventTypeError } from './errors.js';
export { newEventId } from './ids.js';
export { ChainOpened } from './events/chain-opened.event.js';
export { TestEventRecorded } from './events/test-event-recorded.event.js';
