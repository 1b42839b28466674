// A progress line as commands show it on a terminal: rewritten in place, then ended so what follows starts on a line
// of its own. Off a terminal there is no such line (the commands log progress instead).

export interface StatusLine {
  /** True on a terminal: show progress with `show`; otherwise log it. */
  readonly tty: boolean;
  show(text: string): void;
  /** Moves past the line when one was shown. */
  end(): void;
}

export function statusLine(stderr: NodeJS.WritableStream & { isTTY?: boolean }): StatusLine {
  const tty = stderr.isTTY === true;
  let shown = false;
  return {
    tty,
    show(text) {
      stderr.write(`\r\x1b[K${text}`);
      shown = true;
    },
    end() {
      if (shown) stderr.write('\n');
      shown = false;
    },
  };
}
