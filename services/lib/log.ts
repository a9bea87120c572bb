import { pino, type Logger } from 'pino';

export type { Logger };

/** Masks a national ID number for display: first 6 and last 4 characters kept. */
export function maskNationalId(id: string): string {
  if (id.length <= 10) return '*'.repeat(id.length);
  return `${id.slice(0, 6)}${'*'.repeat(id.length - 10)}${id.slice(-4)}`;
}

/** Field names that never reach a log line in clear. */
const REDACT = [
  'nationalId', 'national_id', 'name', 'fullName', 'payeeAccount', 'accountNumber', 'authorization',
  '*.nationalId', '*.national_id', '*.name', '*.fullName', '*.payeeAccount', '*.accountNumber', '*.authorization',
];

/** Structured JSON logs; personal data fields are redacted wherever they appear. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
