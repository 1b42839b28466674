// `oxbow inspect`: placeholder registration, replaced by the component that implements the command.

import type { Command } from 'commander';
import { OxbowError } from '../../errors.js';
import type { CliContext } from '../context.js';

export function registerInspect(program: Command, _ctx: CliContext): void {
  program
    .command('inspect')
    .description('not built yet')
    .allowUnknownOption()
    .action(() => {
      throw new OxbowError('NOT_BUILT', 'oxbow inspect is not built yet');
    });
}
