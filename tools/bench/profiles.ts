// Enrichment: `oxbow sessions --profiles` against the same replay without, on one archive of hourly events and the same
// users' profile versions (a few changes each over the period, some deletions), and its peak RSS over 12 months of such
// an archive against 1 month: the join keeps per user the versions still needed, so memory follows users, not history.

import { rm } from 'node:fs/promises';
import path from 'node:path';
import { LocalFs } from '../../connectors/local/local-fs.js';
import { generateProfileVersions } from '../../src/gen/music-events.js';
import { profileRecord, writeMusicArchive } from '../gen/music-archive.js';
import type { BenchContext, BenchRow, Benchmark } from './bench-types.js';
import { writeBenchArchive } from './bench-archive.js';
import { alternate, median, oxbowBin, round, runNode, summaryNumber } from './bench-measure.js';

const HOUR = 3_600_000;

interface Scale {
  /** Hours that stand for one month (730 in a full run; one day in quick mode). */
  hoursPerMonth: number;
  users: number;
  eventsPerHour: number;
}

const FULL: Scale = { hoursPerMonth: 730, users: 5_000, eventsPerHour: 300 };
const QUICK: Scale = { hoursPerMonth: 24, users: 1_000, eventsPerHour: 200 };

interface Built {
  root: string;
  events: number;
  versions: number;
}

/** Events of `months` months in hourly files (topic listens) and the users' profile versions in monthly files (topic profiles). */
async function build(ctx: BenchContext, scale: Scale, months: number): Promise<Built> {
  const root = path.join(ctx.workDir, `profiles-${months}m`);
  const fs = new LocalFs();
  const startMs = Date.UTC(2025, 0, 1);
  const hours = months * scale.hoursPerMonth;
  const events = await writeBenchArchive(fs, root, { topic: 'listens', partitions: 2, users: scale.users, hours, eventsPerHour: scale.eventsPerHour, startMs, seed: 3 });
  const profiles = await writeMusicArchive({
    fs, root, topic: 'profiles', partitions: 2, periodMs: scale.hoursPerMonth * HOUR, record: profileRecord,
    items: generateProfileVersions({ seed: 5, users: scale.users, start: startMs, durationMs: hours * HOUR }),
  });
  return { root, events: events.records, versions: profiles.records };
}

/** One replay of the archive, with or without the join; its events/s over the whole process and its peak RSS. */
async function replay(built: Built, withProfiles: boolean): Promise<{ eventsPerSecond: number; rssMb: number }> {
  const run = await runNode([oxbowBin, 'sessions', '--archive', `file://${built.root}`, '--topic', 'listens', '--aggregate', 'listening', '--gap', '30m',
    '--output', '-', ...(withProfiles ? ['--profiles', 'profiles'] : [])], { ignoreStdout: true });
  const events = summaryNumber(run.stderr, 'events');
  if (events !== built.events) throw new Error(`profiles: oxbow sessions replayed ${events} events of the ${built.events} archived`);
  if (withProfiles && summaryNumber(run.stderr, 'profile versions') !== built.versions) {
    throw new Error(`profiles: the join read ${summaryNumber(run.stderr, 'profile versions')} profile versions of the ${built.versions} archived`);
  }
  if (run.peakRssMb === undefined) throw new Error('profiles: no peak RSS (needs /usr/bin/time, Debian package time)');
  return { eventsPerSecond: events / run.wallS, rssMb: run.peakRssMb };
}

export const benchmark: Benchmark = {
  name: 'profiles',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const scale = ctx.quick ? QUICK : FULL;
    const month = ctx.quick ? `${scale.hoursPerMonth} h` : 'month';
    const runs = ctx.quick ? 1 : 3;
    const rows: BenchRow[] = [];
    const one = await build(ctx, scale, 1);
    // Peak RSS moves by tens of MB from run to run with when V8 collects the old generation: medians of `runs` on both sides.
    const oneRuns: number[] = [];
    try {
      for (let i = 0; i < runs; i++) oneRuns.push((await replay(one, true)).rssMb);
    } finally {
      await rm(one.root, { recursive: true, force: true });
    }
    const twelve = await build(ctx, scale, 12);
    try {
      const { a: joined, b: plain } = await alternate(() => replay(twelve, true), () => replay(twelve, false), runs);
      const withP = median(joined.map((r) => r.eventsPerSecond));
      const without = median(plain.map((r) => r.eventsPerSecond));
      const what = `12 x ${month}: ${twelve.events.toLocaleString('en-US')} events, ${twelve.versions.toLocaleString('en-US')} profile versions of ${scale.users.toLocaleString('en-US')} users, 2 + 2 partitions, local fs`;
      rows.push({
        id: 'profiles.replay-events-per-second',
        title: `oxbow sessions --profiles replay, events/s (whole process; ${what})`,
        value: round(withP),
        unit: 'events/s',
        baseline: { title: 'the same replay without --profiles', value: round(without), unit: 'events/s' },
        ratio: withP / without,
        goal: 'report: the cost of the join',
        runs,
        peakRssMb: Math.max(...joined.map((r) => r.rssMb)),
        notes: `peak RSS without --profiles: ${Math.round(Math.max(...plain.map((r) => r.rssMb)))} MB`,
      });
      const twelveRss = median(joined.map((r) => r.rssMb));
      const oneRss = median(oneRuns);
      rows.push({
        id: 'profiles.peak-rss.12-vs-1',
        title: `oxbow sessions --profiles peak RSS, 12 x ${month} vs 1 (${scale.users.toLocaleString('en-US')} users)`,
        value: twelveRss,
        unit: 'MB',
        baseline: { title: `1 x ${month}`, value: oneRss, unit: 'MB' },
        ratio: twelveRss / oneRss,
        goal: '12 months <= 1.2x 1 month',
        // Quick "months" of one day hold too little to say anything about the goal.
        met: ctx.quick ? undefined : twelveRss / oneRss <= 1.2,
        runs,
        peakRssMb: twelveRss,
        notes: `medians of ${runs} runs: 12 x ${month} ${joined.map((r) => Math.round(r.rssMb)).join(', ')} MB, 1 x ${oneRuns.map((r) => Math.round(r)).join(', ')} MB`,
      });
    } finally {
      await rm(twelve.root, { recursive: true, force: true });
    }
    return rows;
  },
};
