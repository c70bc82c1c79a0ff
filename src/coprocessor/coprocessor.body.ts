// Reads the coprocessor's JSON request body off the socket: the media type, the size limit and the
// parse, each refusal with the status the router sees (and fails the client request closed on).
import type http from 'node:http';

export type BodyResult = { value: unknown } | { refused: { status: number; error: string } };

const refused = (status: number, error: string): BodyResult => ({ refused: { status, error } });

export function readJsonBody(request: http.IncomingMessage, limitBytes: number): Promise<BodyResult> {
  const mediaProblem = checkMediaType(request.headers);
  if (mediaProblem) {
    request.resume(); // drained, so the connection can serve the next request
    return Promise.resolve(mediaProblem);
  }
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limitBytes) return Promise.resolve(refused(413, 'body too large'));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= limitBytes) return void chunks.push(chunk);
      request.removeAllListeners('data').pause();
      resolve(refused(413, 'body too large'));
    });
    // An aborted or broken request is left alone: nothing answers, nothing throws.
    request.on('error', () => resolve(refused(400, 'incomplete body')));
    request.on('end', () => {
      if (received > limitBytes) return;
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      try {
        resolve({ value: JSON.parse(text) as unknown });
      } catch {
        resolve(refused(400, 'malformed body'));
      }
    });
  });
}

/** application/json in UTF-8, uncompressed: what the router sends. Anything else is not a coprocessor request. */
function checkMediaType(headers: http.IncomingHttpHeaders): BodyResult | undefined {
  const [type = '', ...parameters] = (headers['content-type'] ?? '').split(';');
  if (type.trim().toLowerCase() !== 'application/json') return refused(400, 'not a coprocessor request: expected content-type application/json');
  const charset = parameters.map((parameter) => /^\s*charset\s*=\s*"?([^";\s]+)"?\s*$/i.exec(parameter)?.[1]).find(Boolean);
  if (charset && !/^utf-?8$/i.test(charset)) return refused(415, `unsupported charset ${charset}: send UTF-8`);
  const encoding = headers['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity') return refused(415, `unsupported content-encoding ${encoding}: send the body uncompressed`);
  return undefined;
}
