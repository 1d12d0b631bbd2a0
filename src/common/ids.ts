const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path segments that look like UUIDs are looked up by id, anything else by natural key (SPEC §1.1). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
