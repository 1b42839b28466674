// A push-to-pull byte stream: text pushed synchronously is handed to a streaming writer (ArchiveFs.writeFile) in ~64 KiB chunks.

const CHUNK = 64 * 1024;
const encoder = new TextEncoder();

export class ChunkStream implements AsyncIterable<Uint8Array> {
  private text = '';
  private readonly ready: Uint8Array[] = [];
  private ended = false;
  private wake: (() => void) | null = null;

  push(text: string): void {
    this.text += text;
    if (this.text.length >= CHUNK) {
      this.ready.push(encoder.encode(this.text));
      this.text = '';
      this.wake?.();
    }
  }

  end(): void {
    if (this.text.length > 0) this.ready.push(encoder.encode(this.text));
    this.text = '';
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = this.ready.shift();
      if (chunk) {
        yield chunk;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => { this.wake = resolve; });
      this.wake = null;
    }
  }
}
