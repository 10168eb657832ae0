// The JSON Schema a face advertises for a tool, made portable for strict validators. It lives in
// core (not in the MCP face) because the build prepares every tool's listing from it
// (tools/listings.ts), so that no face converts zod schemas at start.
type Json = Record<string, unknown>;

/** The draft every conversion targets: the one the MCP SDK asks zod for. */
export const JSON_SCHEMA_TARGET = 'draft-2020-12';

const ANNOTATION_KEYS = new Set(['title', 'description', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly', '$comment']);
/** A subschema with none of these accepts anything silently: strict validators warn about it. */
const VALIDATION_KEYS = ['type', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', 'not', '$ref'];
/** Every JSON value, spelled as one branch per type instead of an empty schema or a type list. */
const ANY_JSON_VALUE = ['string', 'number', 'boolean', 'object', 'array', 'null'].map((type) => ({ type }));

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function annotationsOf(schema: Json): Json {
  return Object.fromEntries(Object.entries(schema).filter(([key]) => ANNOTATION_KEYS.has(key)));
}

function withoutAnnotations(schema: Json): Json {
  return Object.fromEntries(Object.entries(schema).filter(([key]) => !ANNOTATION_KEYS.has(key)));
}

/**
 * The JSON Schema zod writes, made portable for strict validators (the official Inspector, Ajv's
 * strict mode): `type: ["string", "null"]` becomes an `anyOf` of one branch per type, and a
 * subschema that validates nothing (`z.unknown()`) names every JSON type. What it accepts is
 * unchanged.
 */
export function portableJsonSchema(schema: unknown, isRoot = true): unknown {
  if (Array.isArray(schema)) return schema.map((item) => portableJsonSchema(item, false));
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' || key === '$defs' || key === 'definitions' || key === 'patternProperties') {
      out[key] = isObject(value) ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, portableJsonSchema(sub, false)])) : value;
    } else if (key === 'enum' || key === 'const' || key === 'default' || key === 'examples' || key === 'required') {
      out[key] = value;
    } else {
      out[key] = portableJsonSchema(value, false);
    }
  }
  if (Array.isArray(out.type)) {
    const types = out.type as string[];
    const rest = withoutAnnotations(out);
    delete rest.type;
    return { ...annotationsOf(out), anyOf: types.map((type) => (type === 'null' ? { type } : { ...rest, type })) };
  }
  if (!isRoot && !VALIDATION_KEYS.some((key) => key in out)) return { ...out, anyOf: ANY_JSON_VALUE };
  return out;
}
