/** For tests: polls `condition` until it holds; fails with "timed out waiting until <what>" after `seconds`. */
export async function until(condition: () => Promise<boolean> | boolean, what: string, seconds = 30, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
