/** The failure modes of the API and the gateways in front of it, as bodies and socket behaviours. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultKind } from './types.js';

const REASONS: Record<string, string> = {
  '500': 'Internal Server Error',
  '502': 'Bad Gateway',
  '503': 'Service Unavailable',
  '504': 'Gateway Time-out',
};

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ENTITIES[c] ?? c);
}

/** The raw request as a gateway would dump it, credentials included: what the tap must never print. */
function requestDump(req: IncomingMessage): string {
  const url = new URL(req.url ?? '/', 'http://simulator');
  const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}`, `Query: ${url.search.slice(1)}`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  return lines.join('\n');
}

export function errorPage(kind: '500' | '502' | '503' | '504', req: IncomingMessage, echo: boolean): Buffer {
  const title = `${kind} ${REASONS[kind]}`;
  const dump = echo ? `<pre>${escapeHtml(requestDump(req))}</pre>\n` : '';
  return Buffer.from(
    `<html><head><title>${title}</title></head><body><h1>${title}</h1>\n<p>The server encountered a temporary error.</p>\n${dump}<hr><center>nginx</center></body></html>\n`,
  );
}

export const MAINTENANCE_PAGE = Buffer.from(
  '<!DOCTYPE html><html><head><title>Down for maintenance</title></head><body><h1>We&rsquo;ll be right back</h1><p>Scheduled maintenance is in progress. Please try again shortly.</p></body></html>\n',
);

/** Sends a 200 whose JSON body stops half-way, then ends the response cleanly (chunked, no length). */
export function sendTruncated(res: ServerResponse, body: Buffer, contentType: string): void {
  res.writeHead(200, { 'content-type': contentType });
  // write() then end() keeps Node from adding a Content-Length: the body goes out chunked and simply stops.
  res.write(body.subarray(0, Math.max(1, Math.floor(body.length / 2))));
  res.end();
}

export function isHttpFault(kind: FaultKind): kind is '500' | '502' | '503' | '504' {
  return kind === '500' || kind === '502' || kind === '503' || kind === '504';
}
