// `oxbow archive`: placeholder registration, replaced by the component that implements the command.

import type { Command } from 'commander';
import { OxbowError } from '../../errors.js';
import type { CliContext } from '../context.js';

export function registerArchive(program: Command, _ctx: CliContext): void {
  program
    .command('archive')
    .description('not built yet')
    .allowUnknownOption()
    .action(() => {
      throw new OxbowError('NOT_BUILT', 'oxbow archive is not built yet');
    });
}
