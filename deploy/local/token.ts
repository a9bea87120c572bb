/**
 * Mints a bearer token for local development and tests, signed with YOUFU_JWT_SECRET (or the local
 * development key).
 *   npm run token -- <role> <subject> [--hospital CODE] [--act role:subject] [--ttl SECONDS]
 */
import { parseArgs } from 'node:util';
import { createAuthenticator, ROLES, type Role } from '../../services/lib/auth';
import { loadConfig } from '../../services/lib/config';

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
    console.error('--act must look like approver:wang');
    process.exit(2);
  }
  actor = { role: r as Role, subject: s };
}
const cfg = loadConfig({});
const token = await createAuthenticator(cfg.YOUFU_JWT_SECRET).mint(
  { subject, role: role as Role, ...(values.hospital ? { hospital: values.hospital } : {}), ...(actor ? { actor } : {}) },
  Number(values.ttl),
);
console.log(token);
