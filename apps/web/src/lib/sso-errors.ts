/**
 * Why an SSO sign-in was refused: the callback redirects to `/sign-in?sso_error=<code>` and the
 * page shows the sentence (a code, not the text, travels in the URL, so a link cannot make the
 * sign-in page say anything else).
 */
export const SSO_ERROR_MESSAGES = {
  state:
    'The single sign-on response does not belong to this browser or has expired (state mismatch). Start again from "Sign in with SSO".',
  issuer:
    'The identity provider returned a token from the wrong issuer. Ask your admin to check the issuer URL.',
  audience: 'The identity provider returned a token issued to another application (wrong audience).',
  expired: 'The identity provider returned an expired token. Check the clocks and try again.',
  signature: "The identity provider's token signature did not verify against its published keys.",
  nonce: 'The identity provider returned a token for another sign-in (nonce mismatch). Start again.',
  email:
    "The identity provider did not say which email address you signed in with, or it is not one of the organisation's SSO domains.",
  no_role:
    "Your identity provider's groups give you no role in this organisation. Ask your admin to add you to a mapped group.",
  account_exists:
    'An account with this email already exists and is not a member of this organisation. Sign in with your password, or ask an admin to invite it first.',
  idp: 'The identity provider refused the sign-in.',
  unavailable:
    'Single sign-on is not available right now: the identity provider could not be reached or is misconfigured.',
  failed: 'Single sign-on failed. Try again or ask your admin.',
} as const;

export type SsoErrorCode = keyof typeof SSO_ERROR_MESSAGES;

/** The message of a `sso_error` query value, or null for none or an unknown code. */
export function ssoErrorMessage(code: string | null | undefined): string | null {
  if (!code || !Object.hasOwn(SSO_ERROR_MESSAGES, code)) return null;
  return SSO_ERROR_MESSAGES[code as SsoErrorCode];
}
