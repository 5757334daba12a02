import { v7 } from 'uuid';

/** A new UUIDv7 event id (time-ordered, random tail). */
export function newEventId(): string {
  return v7();
}
