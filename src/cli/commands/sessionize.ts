// `oxbow sessionize`: placeholder registration, replaced by the component that implements the command.

import type { Command } from 'commander';
import { OxbowError } from '../../errors.js';
import type { CliContext } from '../context.js';

export function registerSessionize(program: Command, _ctx: CliContext): void {
  program
    .command('sessionize')
    .description('not built yet')
    .allowUnknownOption()
    .action(() => {
      throw new OxbowError('NOT_BUILT', 'oxbow sessionize is not built yet');
    });
}
