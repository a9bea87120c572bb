/**
 * The staff console (console/, built by `npm run build:console`) served under /console/: its files,
 * and index.html for every other path below it (the app routes in the browser). Outside production
 * also the development sign-in, `POST /console/session` {role, subject} → a staff token from the
 * development issuer, as `npm run token` gives; production signs in at the bureau's identity
 * provider and the gateway refuses to start with the development sign-in on (main.ts).
 */
import * as grpc from '@grpc/grpc-js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { devToken } from '../lib/dev-issuer';
import { doorError, parseDoorInput } from './errors';
import { parseJson } from './json';

export const CONSOLE_BASE = '/console';
export const defaultConsoleDir = path.resolve(import.meta.dirname, '../../console/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

export interface ConsoleFile {
  status: number;
  body: Buffer | string;
  headers: Record<string, string>;
}

/** The file a GET below /console asks for; index.html for the app's own paths; undefined when the console is not built. */
export function consoleFile(dir: string, pathname: string): ConsoleFile | undefined {
  const index = path.join(dir, 'index.html');
  if (!existsSync(index)) return undefined;
  const rel = decodeURIComponent(pathname.slice(CONSOLE_BASE.length)).replace(/^\/+/, '');
  const file = path.resolve(dir, rel);
  const inside = file.startsWith(dir + path.sep);
  if (inside && existsSync(file) && statSync(file).isFile()) {
    // Built assets carry their content hash in the name: cached for good.
    const immutable = rel.startsWith('assets/');
    return { status: 200, body: readFileSync(file), headers: { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' } };
  }
  if (rel.startsWith('assets/')) return { status: 404, body: 'not found', headers: { 'content-type': 'text/plain; charset=utf-8' } };
  return { status: 200, body: readFileSync(index), headers: { 'content-type': TYPES['.html']!, 'cache-control': 'no-cache' } };
}

/** The Web UI of the local stack's Temporal dev server (deploy/local/stack.sh). */
export const LOCAL_TEMPORAL_UI = 'http://127.0.0.1:8233';

/** The UI's page of a workflow in the namespace, `{workflowId}` left for the console to fill; empty without a UI. */
export const temporalWorkflowUrl = (ui: string, namespace: string) => (ui ? `${ui.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/{workflowId}` : '');

/** What the console reads at start (GET /console/config.json): nothing secret. */
export interface ConsoleSettings {
  dir: string;
  devSignIn: boolean;
  sessionTtlSeconds: number;
  temporalWorkflowUrl: string;
  /** The bureau's identity provider (authorization code + PKCE), if configured. */
  oidc: { issuer: string; clientId: string; scope: string } | null;
}
export const consoleConfig = (c: ConsoleSettings) => ({ devSignIn: c.devSignIn, temporalWorkflowUrl: c.temporalWorkflowUrl, oidc: c.oidc });

const signIn = z.object({
  role: z.enum(['clerk', 'approver', 'auditor']),
  subject: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[\p{L}\p{N}._-]+$/u, 'letters, digits, dot, underscore or hyphen'),
});

/** The development sign-in: a staff token for the role and name asked. */
export async function devSession(body: string, ttlSeconds: number): Promise<{ token: string }> {
  const v = parseDoorInput(signIn, parseJson(body));
  try {
    return { token: await devToken({ role: v.role, subject: v.subject }, ttlSeconds) };
  } catch (e) {
    throw doorError(grpc.status.FAILED_PRECONDITION, 'NO_DEVELOPMENT_ISSUER', `the development issuer cannot sign: ${e instanceof Error ? e.message : String(e)}`);
  }
}
