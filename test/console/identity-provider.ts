/**
 * A stand-in for the bureau's OpenID Connect provider (an outside party): discovery, an
 * authorization endpoint that signs in one member of staff at once (a real provider asks for a
 * password first), and a token endpoint that checks the PKCE verifier against the challenge (S256),
 * the client and the redirect URI, and answers an access token signed with the development
 * issuer's key — the key the services' development JWKS trusts.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { devToken } from '../../services/lib/dev-issuer';

export interface FakeProvider {
  url: string;
  /** Token requests answered, and refused with their error. */
  tokens: { ok: boolean; error?: string }[];
  stop(): Promise<void>;
}

export async function startIdentityProvider(o: { clientId: string; staff: { subject: string; role: 'clerk' | 'approver' | 'auditor' } }): Promise<FakeProvider> {
  const codes = new Map<string, { challenge: string; redirectUri: string; clientId: string }>();
  const tokens: FakeProvider['tokens'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://idp');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, { issuer: base, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, code_challenge_methods_supported: ['S256'], response_types_supported: ['code'] });
    }
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      const redirect = q.get('redirect_uri') ?? '';
      if (q.get('client_id') !== o.clientId || q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge') || !redirect) return json(400, { error: 'invalid_request' });
      const code = randomUUID();
      codes.set(code, { challenge: q.get('code_challenge')!, redirectUri: redirect, clientId: o.clientId });
      res.writeHead(302, { location: `${redirect}?${new URLSearchParams({ code, state: q.get('state') ?? '' }).toString()}` });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const f = new URLSearchParams(body);
        const grant = codes.get(f.get('code') ?? '');
        codes.delete(f.get('code') ?? '');
        const challenge = createHash('sha256').update(f.get('code_verifier') ?? '').digest('base64url');
        const error = !grant ? 'invalid_grant' : grant.clientId !== f.get('client_id') || grant.redirectUri !== f.get('redirect_uri') ? 'invalid_client' : grant.challenge !== challenge ? 'invalid_grant' : undefined;
        tokens.push({ ok: !error, error });
        if (error) return json(400, { error, error_description: 'the code, the client or the PKCE verifier does not match' });
        void devToken(o.staff, 3600).then((t) => json(200, { access_token: t, token_type: 'Bearer', expires_in: 3600 }));
      });
      return;
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: base, tokens, stop: () => new Promise((r) => server.close(() => r())) };
}
