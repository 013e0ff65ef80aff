import 'server-only';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { REQUEST_PATH_HEADER, signInUrl } from '@/lib/safe-next-path';
import { type ConsoleContextOk, getConsoleContext } from './console-context';

/** Where a signed-out visitor of this page goes: sign-in, then back here. */
export async function signInRedirectTarget(): Promise<string> {
  return signInUrl((await headers()).get(REQUEST_PATH_HEADER));
}

/**
 * For console pages: the caller's context, or a redirect. Pages check this themselves because
 * Next renders a layout and its page concurrently; the layout's check alone does not gate a page.
 */
export async function requireConsole(): Promise<ConsoleContextOk> {
  const context = await getConsoleContext();
  if (context.status === 'ok') return context;
  redirect(context.code === 'UNAUTHENTICATED' ? await signInRedirectTarget() : '/sign-out');
}
