/**
 * Test-only kill points. The kill -9 tests of resumable commands need the process to die at a
 * known point, not after a random delay (which makes a test depend on machine speed and load).
 * `testKillPoint("ESCI_TEST_KILL_AT_STEP", 8)` sends this process SIGKILL when that environment
 * variable is set to 8; unset, it does nothing. No user-facing behaviour depends on it.
 */
export function testKillPoint(variable: string, at: number): void {
  const v = process.env[variable];
  if (v !== undefined && Number(v) === at) process.kill(process.pid, "SIGKILL");
}
