const SAFE_WORD = /^[A-Za-z0-9_./:@%+=,-]+$/;

/** A path or word as a POSIX shell reads it back unchanged (for commands printed for a person). */
export const sh = (word: string) => (SAFE_WORD.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);
