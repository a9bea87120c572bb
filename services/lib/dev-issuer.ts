import { issuerSigner, signToken, type TokenClaims } from './auth';
import { DEV_ISSUER, DEV_ISSUER_KID, devPrivateKey } from './keys';

/**
 * A development token (npm run token, npm start, tests), signed from the development keyring:
 * staff and hospital tokens by the development issuer; a `service` token by that service's own
 * development key, so it is accepted only as that service. Never used by a service; production
 * refuses the development key set. It signs what it is asked (an `act` for an approver included),
 * so tests can prove the services refuse it.
 */
export async function devToken(c: TokenClaims, ttlSeconds = 3600): Promise<string> {
  if (c.role === 'service') {
    const kid = `service:${c.subject}`;
    return signToken(await devPrivateKey(kid), kid, c, ttlSeconds);
  }
  return issuerSigner(await devPrivateKey(DEV_ISSUER_KID), DEV_ISSUER).sign(c, ttlSeconds);
}
