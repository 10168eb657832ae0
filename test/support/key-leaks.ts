// Every way a private key could leak into text an assistant or a channel sees: its PEM lines, base64
// of its PEM (plain, percent-encoded, URL-safe) and base64 of its DER, in each encoding of the key.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

export function keyLeakForms(key: crypto.KeyObject): string[] {
  const types = key.asymmetricKeyType === 'rsa' ? ['pkcs1', 'pkcs8'] as const : key.asymmetricKeyType === 'ec' ? ['sec1', 'pkcs8'] as const : ['pkcs8'] as const;
  const forms: string[] = [];
  for (const type of types) {
    const pem = key.export({ format: 'pem', type }) as string;
    const body = pem.split('\n').filter((line) => line && !line.startsWith('-----'));
    forms.push(...body.filter((line) => line.length >= 40), body.join('').slice(10, 60));
    const b64pem = Buffer.from(pem).toString('base64');
    // Past the base64 of the BEGIN line, which every key of the type shares.
    const middle = b64pem.slice(64, Math.min(b64pem.length - 8, 144));
    forms.push(middle, encodeURIComponent(middle), middle.replace(/\+/g, '-').replace(/\//g, '_'));
    const b64der = (key.export({ format: 'der', type }) as Buffer).toString('base64');
    const derMiddle = b64der.slice(16, Math.min(b64der.length - 4, 80));
    forms.push(derMiddle, encodeURIComponent(derMiddle), derMiddle.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms.filter((f) => f.length >= 24);
}

/** Fails when `text` holds a PEM private key or any leak form of one of `keys`. */
export function assertNoKeyIn(text: string, keys: readonly crypto.KeyObject[], where: string): void {
  assert.ok(!/PRIVATE KEY-----/.test(text), `a PEM private key is in ${where}`);
  for (const key of keys) for (const form of keyLeakForms(key)) assert.ok(!text.includes(form), `key material (${form.slice(0, 12)}…) is in ${where}`);
}
