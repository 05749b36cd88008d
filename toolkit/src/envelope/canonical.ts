import { InvalidInputError } from "../errors.js";

/**
 * Serialises a JSON value canonically: object keys sorted by UTF-16 code units, no whitespace,
 * numbers only when they are finite safe integers.
 *
 * Checksums and signatures are computed over this form, so two machines that hold the same
 * value always hash the same bytes, whatever order their writer used for the keys.
 *
 * @param value - plain JSON data (objects, arrays, strings, safe integers, booleans, null)
 * @param field - name used in the error when a value cannot be represented
 * @throws {InvalidInputError} for undefined, functions, bigints, symbols, non-integer or unsafe
 *   numbers and non-plain objects
 * @example
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown, field = "value"): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      // Floats have several textual forms across implementations; amounts travel as strings.
      if (!Number.isSafeInteger(value)) {
        throw new InvalidInputError(field, `only safe integers can be serialised, got ${String(value)}`);
      }
      return String(value);
    case "object": {
      if (Array.isArray(value)) {
        return `[${value.map((item, i) => canonicalJson(item, `${field}[${i}]`)).join(",")}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new InvalidInputError(field, "only plain objects can be serialised");
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      const members: string[] = [];
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) {
          throw new InvalidInputError(`${field}.${key}`, "undefined cannot be serialised");
        }
        members.push(`${JSON.stringify(key)}:${canonicalJson(member, `${field}.${key}`)}`);
      }
      return `{${members.join(",")}}`;
    }
    default:
      throw new InvalidInputError(field, `a ${typeof value} cannot be serialised as JSON`);
  }
}
