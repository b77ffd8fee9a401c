import { describe, expect, it } from 'vitest';
import { passwordProblem, usernameProblem } from './accounts.ts';

describe('account rules', () => {
  it('explains what is wrong with a username, as the server would refuse it', () => {
    expect(usernameProblem('dr.jones@clinic-a')).toBeNull();
    expect(usernameProblem('')).toMatch(/Enter/);
    expect(usernameProblem('dr jones')).toMatch(/no spaces/);
    expect(usernameProblem('x'.repeat(101))).toMatch(/100/);
  });

  it('wants passwords of at least 10 characters and says how far along one is', () => {
    expect(passwordProblem('0123456789')).toBeNull();
    expect(passwordProblem('short')).toBe('Use at least 10 characters (5 so far).');
  });
});
