/**
 * Signing in at the bureau's OpenID Connect provider: the authorization code flow with PKCE (RFC
 * 7636, S256) for a public client. The provider's endpoints come from its discovery document; the
 * verifier and state live in sessionStorage only between the redirect and the callback; the access
 * token is the staff token every service verifies (it carries `sub` and `role`).
 */
import { ApiError, sessionOf, type ConsoleConfig, type Session } from './api';

const KEY = 'youfu.oidc';
export const CALLBACK_PATH = '/console/callback';

const base64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (n: number) => base64url(crypto.getRandomValues(new Uint8Array(n)));
/** The S256 challenge of a verifier. */
export const challengeOf = async (verifier: string) => base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}
interface Pending {
  verifier: string;
  state: string;
  tokenEndpoint: string;
  clientId: string;
  redirectUri: string;
}

const refused = (message: string, reason = 'SIGN_IN_FAILED') => new ApiError(401, 'UNAUTHENTICATED', reason, message, [], '');

/** Sends the browser to the provider's sign-in page. */
export async function startSignIn(oidc: NonNullable<ConsoleConfig['oidc']>): Promise<void> {
  const r = await fetch(`${oidc.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
  if (!r.ok) throw refused(`the identity provider's discovery document answered ${r.status}`, 'PROVIDER_UNAVAILABLE');
  const d = (await r.json()) as Discovery;
  const pending: Pending = { verifier: random(32), state: random(16), tokenEndpoint: d.token_endpoint, clientId: oidc.clientId, redirectUri: `${location.origin}${CALLBACK_PATH}` };
  sessionStorage.setItem(KEY, JSON.stringify(pending));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: oidc.clientId,
    redirect_uri: pending.redirectUri,
    scope: oidc.scope,
    state: pending.state,
    code_challenge: await challengeOf(pending.verifier),
    code_challenge_method: 'S256',
  });
  location.assign(`${d.authorization_endpoint}?${q.toString()}`);
}

/** The callback: the code exchanged, with the verifier, for the access token. */
export async function completeSignIn(search: string): Promise<Session> {
  const q = new URLSearchParams(search);
  const raw = sessionStorage.getItem(KEY);
  sessionStorage.removeItem(KEY);
  if (q.get('error')) throw refused(`${q.get('error')}: ${q.get('error_description') ?? ''}`);
  const pending = raw ? (JSON.parse(raw) as Pending) : undefined;
  if (!pending || q.get('state') !== pending.state) throw refused('the sign-in answer does not match the sign-in this browser started: start again', 'STATE_MISMATCH');
  const r = await fetch(pending.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: q.get('code') ?? '', redirect_uri: pending.redirectUri, client_id: pending.clientId, code_verifier: pending.verifier }),
  });
  const json = (await r.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
  if (!r.ok || !json.access_token) throw refused(`the identity provider refused the code: ${json.error ?? r.status} ${json.error_description ?? ''}`.trim());
  return sessionOf(json.access_token);
}
