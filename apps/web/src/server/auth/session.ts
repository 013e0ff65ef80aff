import 'server-only';
import { resolveProxyIdentity } from '../services/auth/proxy-identity';
import { getAuth } from './auth';

/** The signed-in user as the console sees it. */
export interface Viewer {
  id: string;
  name: string;
  email: string;
}

/**
 * The signed-in viewer: the identity an authenticating proxy at a trusted address vouches for
 * (services/auth/proxy-identity.ts), else the better-auth session cookie in `headers`, else null.
 */
export async function getSessionViewer(headers: Headers): Promise<Viewer | null> {
  const proxied = await resolveProxyIdentity(headers);
  if (proxied) return proxied;
  const session = await getAuth().api.getSession({ headers });
  if (!session) return null;
  return { id: session.user.id, name: session.user.name, email: session.user.email };
}
