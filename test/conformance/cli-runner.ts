// Runs one conformance case through `oxbow sessionize` in-process (filled in with the CLI).
import type { Case } from './cases.js';
export async function runCaseThroughCli(_c: Case, _scratch: string): Promise<void> {
  throw new Error('CLI not built yet');
}
