/**
 * Logging to stderr (stdout belongs to Singer messages), in the Singer convention `LEVEL message`, and
 * Singer METRIC lines. Every line passes through redaction of the registered secrets, so that no code path
 * can print the API key, whatever a server echoes back.
 */

export const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type Level = (typeof LEVELS)[number];

let threshold = LEVELS.indexOf('INFO');
const secrets = new Set<string>();
let sink: (line: string) => void = (line) => {
  process.stderr.write(line);
};

export function setLevel(level: Level): void {
  threshold = LEVELS.indexOf(level);
}

export function isDebug(): boolean {
  return threshold === 0;
}

/** Registers a value that must never appear in output; it and its URL-encoded form are masked. */
export function addSecret(secret: string): void {
  if (secret.length < 1) return;
  secrets.add(secret);
  secrets.add(encodeURIComponent(secret));
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

/** Replaces the sink (tests capture lines with it). Returns the previous one. */
export function setSink(next: (line: string) => void): (line: string) => void {
  const previous = sink;
  sink = next;
  return previous;
}

function emit(level: Level, message: string): void {
  if (LEVELS.indexOf(level) < threshold) return;
  sink(redact(`${level} ${message}`).replace(/\r?\n/g, ' ') + '\n');
}

export const log = {
  debug: (message: string) => emit('DEBUG', message),
  info: (message: string) => emit('INFO', message),
  warning: (message: string) => emit('WARNING', message),
  error: (message: string) => emit('ERROR', message),
  critical: (message: string) => emit('CRITICAL', message),
};

export interface Metric {
  type: 'counter' | 'timer';
  metric: string;
  value: number;
  tags: Record<string, string | number>;
}

export function metric(m: Metric): void {
  emit('INFO', 'METRIC: ' + JSON.stringify(m));
}
