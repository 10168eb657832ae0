/** A rendered image of a result: PNG bytes and the words a screen reader (or a text-only client) gets instead. */
export interface Picture {
  mimeType: 'image/png';
  data: Buffer;
  filename: string;
  alt: string;
}
