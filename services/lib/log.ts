import { pino, type Logger } from 'pino';

export type { Logger };

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
