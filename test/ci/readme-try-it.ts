// `npm run test:readme` (run by .ci/run after `npm test`): follows the README's "Try it on real Kafka and HDFS" section
// command by command in this checkout, then checks that its last oxbow command printed exactly the sessions of an
// offline pass over every event Kafka holds for the topic, read from the archive and then from live Kafka.
//
// The commands run as written, through bash, with one substitution: when `npm run services -- start` puts the
// services on other ports than the README's (OXBOW_SERVICES_PORTS=auto, as CI sets), the later commands get the
// addresses it printed instead of 127.0.0.1:9092 and 127.0.0.1:9870.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { MusicEvent } from '../../src/gen/music-events.js';
import { kafkaLog } from '../integration/archive-support.js';
import { offlineSessions, sessionKey, summaryValue } from '../integration/sessions-support.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const README_KAFKA = '127.0.0.1:9092';
const README_WEBHDFS = '127.0.0.1:9870';
const say = (line: string) => process.stderr.write(`readme-try-it: ${line}\n`);

/** The commands of the README's "Try it" shell block, continuation lines joined, comments kept for bash to drop. */
export function tryItCommands(readme: string): string[] {
  const section = /^## Try it on real Kafka and HDFS\n([\s\S]*?)^## /m.exec(readme);
  assert.ok(section, 'README.md has no "## Try it on real Kafka and HDFS" section');
  const block = /```sh\n([\s\S]*?)```/.exec(section[1]!);
  assert.ok(block, 'the "Try it" section has no ```sh block');
  return block[1]!.replace(/\\\n\s*/g, '').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function bash(command: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      process.stderr.write(c);
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function main(): Promise<void> {
  const commands = tryItCommands(await readFile(`${REPO}/README.md`, 'utf8'));
  const last = commands.at(-1)!;
  assert.match(last, /services -- stop$/, 'the section ends by stopping the services');
  const sessionsAt = commands.findLastIndex((c) => / oxbow sessions /.test(c));
  assert.ok(sessionsAt >= 0, 'the section runs oxbow sessions');
  let kafka = README_KAFKA;
  let webhdfs = README_WEBHDFS;
  let servicesUp = false;
  let sessionsRun: Ran | undefined;
  try {
    for (const [i, written] of commands.entries()) {
      const command = written.replaceAll(README_KAFKA, kafka).replaceAll(README_WEBHDFS, webhdfs);
      say(`$ ${command}`);
      const ran = await bash(command);
      if (ran.code !== 0) throw new Error(`exit ${ran.code} from: ${command}\n${ran.stdout.slice(-2000)}`);
      if (/services -- start/.test(command)) {
        servicesUp = true;
        kafka = /^OXBOW_KAFKA_BROKERS=(\S+)$/m.exec(ran.stdout)?.[1] ?? assert.fail(`no OXBOW_KAFKA_BROKERS in:\n${ran.stdout}`);
        webhdfs = /^OXBOW_WEBHDFS_URL=https?:\/\/(\S+)$/m.exec(ran.stdout)?.[1] ?? assert.fail(`no OXBOW_WEBHDFS_URL in:\n${ran.stdout}`);
        if (kafka !== README_KAFKA || webhdfs !== README_WEBHDFS) say(`services on ${kafka} and ${webhdfs}: the README's addresses are replaced by these`);
        process.env.OXBOW_KAFKA_BROKERS = kafka;
      }
      if (i === sessionsAt) {
        sessionsRun = ran;
        await checkSessions(command, ran);
      }
      if (/services -- stop/.test(command)) servicesUp = false;
    }
    assert.ok(sessionsRun !== undefined);
    say('every command of the README\'s "Try it" section ran, and the sessions it printed are the offline sessions of every event');
  } finally {
    if (servicesUp) await bash('npm run services -- stop');
  }
}

/** The oracle: every event Kafka holds for the topic (read from its log), through one offline engine pass. */
async function checkSessions(command: string, ran: Ran): Promise<void> {
  const topic = /--topic (\S+)/.exec(command)?.[1] ?? assert.fail(`no --topic in ${command}`);
  const gap = /--gap (\S+)/.exec(command);
  assert.equal(gap, null, 'the check assumes the default --gap of 30m');
  const aggregate = /--aggregate (\S+)/.exec(command)?.[1] ?? assert.fail(`no --aggregate in ${command}`);
  const events = [...(await kafkaLog(topic)).values()].flat().map((r) => JSON.parse(r.value!) as MusicEvent);
  const printed = ran.stdout.split('\n').filter(Boolean).map(sessionKey).sort();
  const expected = offlineSessions(events, 30 * 60_000, aggregate);
  const kafkaRecords = /kafka (\d+)\)/.exec(summaryValue(ran.stderr, 'records read'))?.[1];
  assert.ok(kafkaRecords !== undefined && Number(kafkaRecords) > 0, `the sessions read nothing from live Kafka:\n${ran.stderr}`);
  assert.ok(printed.length > 0, 'no sessions printed');
  assert.deepEqual(printed, expected, 'the printed sessions differ from an offline pass over every event in Kafka');
  say(`${printed.length} sessions printed from ${events.length} events (${kafkaRecords} read from live Kafka), equal to the offline pass`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
