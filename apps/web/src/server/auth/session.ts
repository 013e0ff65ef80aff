import 'server-only';
import { getAuth } from './auth';

/** The signed-in user as the console sees it. */
export interface Viewer {
  id: string;
  name: string;
  email: string;
}

/** Resolves the better-auth session cookie in `headers` to a viewer, or null. */
export async function getSessionViewer(headers: Headers): Promise<Viewer | null> {
  const session = await getAuth().api.getSession({ headers });
  if (!session) return null;
  return { id: session.user.id, name: session.user.name, email: session.user.email };
}
