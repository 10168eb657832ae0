import type http from 'node:http';

/**
 * The Node request as a web-standard Request for the SDK's HTTP entries, with the body already
 * read (and bounded) by the face. Its signal aborts when the client goes away: on 2026-07-28
 * that is how a client cancels a call (it closes the call's response stream).
 */
export function toWebRequest(req: http.IncomingMessage, res: http.ServerResponse, url: string, body: string | undefined): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const gone = new AbortController();
  res.once('close', () => gone.abort());
  const method = req.method ?? 'GET';
  return new Request(url, { method, headers, signal: gone.signal, ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body } : {}) });
}

/** Writes a web Response to the Node response, streaming (SSE) bodies as they come. */
export async function sendWebResponse(response: Response, res: http.ServerResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') headers[name] = response.headers.getSetCookie();
    else headers[name] = value;
  });
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const stop = () => void reader.cancel().catch(() => undefined);
  res.once('close', stop);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise<void>((resolve) => { res.once('drain', resolve); res.once('close', resolve); });
      if (res.destroyed) break;
    }
  } catch {
    // The client went away, or the stream was cancelled: nothing more to send.
  } finally {
    res.off('close', stop);
    if (!res.destroyed) res.end();
  }
}
