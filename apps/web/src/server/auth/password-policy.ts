/** Password rules shared by the setup form, its schema and better-auth's own check. */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 128;
