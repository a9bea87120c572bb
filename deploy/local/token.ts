/**
 * A bearer token for local development, signed by the development issuer (.local/keys): staff and
 * hospital tokens from the issuer key, a `service` token from that service's own development key.
 *   npm run token -- <role> <subject> [--hospital CODE] [--act role:subject] [--ttl SECONDS]
 * Production tokens come from the bureau's identity provider; services never hold its key.
 */
import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../../services/lib/auth';
import { devToken } from '../../services/lib/dev-issuer';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { hospital: { type: 'string' }, act: { type: 'string' }, ttl: { type: 'string', default: '3600' } },
});
const [role, subject] = positionals;
if (!role || !subject || !(ROLES as readonly string[]).includes(role)) {
  console.error(`usage: npm run token -- <${ROLES.join('|')}> <subject> [--hospital CODE] [--act role:subject] [--ttl SECONDS]`);
  process.exit(2);
}
let actor: { role: Role; subject: string } | undefined;
if (values.act) {
  const [r, s] = values.act.split(':');
  if (!r || !s || !(ROLES as readonly string[]).includes(r)) {
    console.error('--act must look like clerk:li');
    process.exit(2);
  }
  actor = { role: r as Role, subject: s };
}
try {
  const t = await devToken(
    { subject, role: role as Role, ...(values.hospital ? { hospital: values.hospital } : {}), ...(actor ? { actor } : {}) },
    Number(values.ttl),
  );
  console.log(t);
  // A hospital token is accepted only once its jti is registered (settlement's RegisterCredential).
  if (role === 'hospital') console.error(`jti ${JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()).jti}`);
} catch (err) {
  console.error(String((err as Error).message ?? err));
  process.exit(2);
}
