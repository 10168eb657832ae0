/**
 * A strict DER reader over a Buffer, for the fast paths that decide whether OpenSSL needs to be
 * asked at all (key-der.ts, certificate-shape.ts). It accepts only what DER allows (low tag numbers,
 * definite lengths in their shortest form, elements that fill their parent exactly) and answers
 * undefined for anything else, so that a caller falls back to OpenSSL's own decoder: strictness here
 * can only send input the slow way, never accept what OpenSSL would refuse.
 */

/** One element: its tag byte, where it starts (its header), and where its contents start and end. */
export interface Tlv {
  tag: number;
  at: number;
  start: number;
  end: number;
}

export const TAG = { BOOLEAN: 0x01, INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06, UTF8: 0x0c, PRINTABLE: 0x13, IA5: 0x16, UTC_TIME: 0x17, GENERALIZED_TIME: 0x18, SEQUENCE: 0x30, SET: 0x31 } as const;

/** The element at `at`, inside `[at, limit)`; undefined when it is not strict DER or does not fit. */
export function tlvAt(der: Buffer, at: number, limit = der.length): Tlv | undefined {
  if (at + 2 > limit) return undefined;
  const tag = der[at]!;
  if ((tag & 0x1f) === 0x1f) return undefined;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    // 0x80 is BER's indefinite length; a leading zero byte or a long form under 128 is not the shortest form.
    if (count === 0 || count > 3 || start + count > limit || der[start] === 0) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    if (length < 0x80) return undefined;
    start += count;
  }
  const end = start + length;
  return end <= limit ? { tag, at, start, end } : undefined;
}

/** The whole of `der` as one element of `tag`, nothing after it. */
export function rootOf(der: Buffer, tag: number): Tlv | undefined {
  const root = tlvAt(der, 0);
  return root && root.tag === tag && root.end === der.length ? root : undefined;
}

/** The elements that fill `outer`'s contents exactly, or undefined. */
export function childrenOf(der: Buffer, outer: Tlv): Tlv[] | undefined {
  const found: Tlv[] = [];
  for (let at = outer.start; at < outer.end; ) {
    const element = tlvAt(der, at, outer.end);
    if (!element) return undefined;
    found.push(element);
    at = element.end;
  }
  return found;
}

export const contentsOf = (der: Buffer, element: Tlv) => der.subarray(element.start, element.end);
/** The element's bytes, header included. */
export const elementOf = (der: Buffer, element: Tlv) => der.subarray(element.at, element.end);

/** A DER INTEGER greater than zero in its shortest form: its magnitude without the sign byte, or undefined. */
export function positiveInteger(der: Buffer, element: Tlv | undefined): Buffer | undefined {
  if (!element || element.tag !== TAG.INTEGER || element.end <= element.start) return undefined;
  const first = der[element.start]!;
  if (first & 0x80) return undefined;
  if (first === 0) {
    if (element.end - element.start === 1 || !(der[element.start + 1]! & 0x80)) return undefined;
    return der.subarray(element.start + 1, element.end);
  }
  return der.subarray(element.start, element.end);
}

/** An OBJECT IDENTIFIER's contents in DER (no sub-identifier starting with 0x80, the last byte ending one). */
export function isWellFormedOid(der: Buffer, element: Tlv | undefined): boolean {
  if (!element || element.tag !== TAG.OID || element.end <= element.start || der[element.end - 1]! & 0x80) return false;
  for (let i = element.start; i < element.end; i++) {
    if (der[i] === 0x80 && (i === element.start || !(der[i - 1]! & 0x80))) return false;
  }
  return true;
}

/** True when the element is the OID whose DER contents are `contents`. */
export const isOid = (der: Buffer, element: Tlv | undefined, contents: Buffer) => !!element && element.tag === TAG.OID && contentsOf(der, element).equals(contents);
