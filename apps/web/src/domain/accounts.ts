import type { Role } from '@cbmir/contract';

/** The server's rules for new accounts (contract CreateUserBody), checked here first to explain them. */
export const MIN_PASSWORD_LENGTH = 10;
const USERNAME_PATTERN = /^[A-Za-z0-9._@-]+$/;

export const ROLES: readonly Role[] = ['clinician', 'admin'];

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  clinician: 'searches and views cases, models and evaluations',
  admin: 'also manages users, API keys, model versions and archives, and reads the audit trail',
};

export function usernameProblem(username: string): string | null {
  if (username.length === 0) return 'Enter a username.';
  if (username.length > 100) return 'Use at most 100 characters.';
  if (!USERNAME_PATTERN.test(username)) return 'Use letters, digits and . _ @ - only (no spaces).';
  return null;
}

export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters (${password.length} so far).`;
  if (password.length > 1000) return 'Use at most 1000 characters.';
  return null;
}
