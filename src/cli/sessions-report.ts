// How `oxbow sessions` shows what it does: one updating progress line on a terminal (a log line every 10 s otherwise),
// a log line per event of the job, and the summary at the end. The job reports events as data; only this file turns
// them into text.

import type { SessionsJob } from '../job/sessions-job.js';
import type { JobProgress, JobSummary } from '../job/types.js';
import { getLogger } from '../logger.js';
import type { Metrics } from './metrics.js';
import { statusLine } from './status-line.js';

const log = getLogger('sessions');

function fmtTime(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString().replace('.000Z', 'Z') : '-';
}

function progressLine(p: JobProgress): string {
  const parts = p.partitions.map((x) => `${x.partition}:${x.phase === 'archive' ? 'A' : x.phase === 'kafka' ? 'K' : 'done'}${x.lag !== null && x.phase === 'kafka' ? `(lag ${x.lag})` : ''}`).join(' ');
  return `files ${p.filesDone}/${p.filesTotal}  ${p.records} records  ${p.eventsPerSecond}/s  watermark ${fmtTime(p.watermark)}  [${parts}]`;
}

/**
 * Listens to the job: progress is a line rewritten in place on a terminal, else an info log line every 10 s and at the
 * end; switches, skips and checkpoints are log lines (docs/sessions.md, "Events"); the summary follows the run.
 */
export function reportJob(job: SessionsJob, stderr: NodeJS.WritableStream & { isTTY?: boolean }, intervalMs: number): void {
  const line = statusLine(stderr);
  let lastLogged = 0;
  job.on('progress', ({ payload: p }) => {
    if (line.tty) line.show(progressLine(p));
    else if (Date.now() - lastLogged >= Math.max(intervalMs, 10_000) || p.phase === 'done') {
      lastLogged = Date.now();
      log.info('progress', { files: `${p.filesDone}/${p.filesTotal}`, records: p.records, perSecond: p.eventsPerSecond, watermark: fmtTime(p.watermark), phases: p.partitions.map((x) => `${x.partition}:${x.phase}`).join(',') });
    }
  });
  job.on('switched', ({ payload: s }) => log.info('partition switched to Kafka', { topic: s.topic, partition: s.partition, offset: s.offset.toString(), endOffset: s.endOffset.toString() }));
  job.on('gap-skipped', ({ payload: g }) => log.warn('offset gap skipped (--on-gap warn)', { topic: g.topic, partition: g.partition, from: g.from.toString(), to: g.to.toString(), where: g.where }));
  job.on('corrupt-file-skipped', ({ payload: c }) => log.warn('corrupt archive file skipped (--on-corrupt skip)', { topic: c.topic, path: c.path, error: c.message }));
  job.on('checkpoint', ({ payload: c }) => {
    if (c.kind === 'savepoint') {
      if (c.path !== null) log.info('stopped with a savepoint', { path: c.path });
      else log.warn('stopped; no --checkpoint-dir, so no savepoint was written (output so far is published)');
    } else if (c.path !== null) log.debug('checkpoint written', { id: c.id, path: c.path });
  });
  job.on('stopped', ({ payload: summary }) => {
    line.end();
    stderr.write(summaryText(summary));
  });
}

/**
 * What a count of events behind the watermark means for the output, or '' for none: sessions may be split where an
 * offline pass would merge them (docs/sessions.md, "Summary"). `bound` names the option that sets the watermark's
 * delay; null when the input's own watermark lines set it (`sessionize --watermark explicit`).
 */
export function behindNote(count: number, bound: string | null): string {
  if (count === 0) return '';
  const one = count === 1;
  const why = bound !== null ? `more out of order than ${bound} allows` : 'later than the input\'s watermark lines allowed';
  const remedy = bound !== null ? `a larger ${bound} waits for ${one ? 'it' : 'them'}` : `watermark lines further behind wait for ${one ? 'it' : 'them'}`;
  return `note: ${count} event${one ? '' : 's'} came after the watermark had passed ${one ? 'its' : 'their'} time (${why}): ` +
    `a session ${one ? 'it belongs' : 'they belong'} to may have fired without ${one ? 'it' : 'them'} and be split where an offline pass merges; ${remedy}\n`;
}

export function summaryText(s: JobSummary): string {
  const rows: [string, string | number | null][] = [
    ['stopped by', s.stoppedBy === 'end' ? 'end of input' : s.lastCheckpoint ? 'signal (savepoint written)' : 'signal (no --checkpoint-dir: nothing saved)'],
    ['records read', `${s.records} (archive ${s.recordsArchive}, kafka ${s.recordsKafka})`],
    ['events', s.events],
    ['bad records', s.badRecords],
    ['session results', s.results],
    ['retractions', s.retractions],
    ['late events', s.lateEvents],
    ['events behind watermark', s.behindWatermark],
    ['archive files read', s.filesRead],
    ['duplicate offsets skipped', s.duplicatesSkipped],
    ['offsets skipped in gaps', s.gapOffsetsSkipped],
    ['corrupt files skipped', s.corruptFilesSkipped],
    ['checkpoints', s.checkpoints],
    ['last checkpoint', s.lastCheckpoint ?? '-'],
    ['switch pause', s.switchPauseMs === null ? '-' : `${s.switchPauseMs} ms`],
    ['final watermark', s.watermark === null ? '-' : fmtTime(s.watermark)],
    ['elapsed', `${(s.elapsedMs / 1000).toFixed(3)} s`],
  ];
  if (s.profiles) {
    const p = s.profiles;
    rows.splice(rows.findIndex(([k]) => k === 'late events') + 1, 0,
      ['profile versions', `${p.versions} (tombstones ${p.tombstones})`],
      ['late profile versions', p.late],
      ['sessions without a profile', p.withoutProfile]);
  }
  return 'summary:\n' + rows.map(([k, v]) => `  ${k.padEnd(26)} ${v}`).join('\n') + '\n' + behindNote(s.behindWatermark, '--bound');
}

/** The job's events as metrics (docs/metrics.md): progress sets the gauges, checkpoints and skips count. */
export function jobMetrics(job: SessionsJob, topic: string, m: Metrics, now: () => number = Date.now): void {
  job.on('progress', ({ payload: p }) => {
    m.total('oxbow_sessions_records_total', 'Records read (archive and Kafka)', p.records, { topic });
    m.set('oxbow_sessions_records_per_second', 'Records read per second since the previous progress', p.eventsPerSecond, { topic });
    m.total('oxbow_sessions_results_total', 'Session results written', p.results, { topic });
    m.total('oxbow_sessions_late_events_total', 'Events too late for any session', p.lateEvents, { topic });
    m.total('oxbow_sessions_behind_watermark_events_total', 'Events taken into a session after the watermark had passed them (more out of order than --bound)', p.behindWatermark, { topic });
    m.set('oxbow_sessions_open_sessions', 'Sessions open in the engine', p.openSessions, { topic });
    m.set('oxbow_sessions_files_read', 'Archive files read', p.filesDone, { topic });
    m.set('oxbow_sessions_files_total', 'Archive files planned', p.filesTotal, { topic });
    if (Number.isFinite(p.watermark)) {
      m.set('oxbow_sessions_watermark_seconds', 'Event-time watermark, seconds since the epoch', p.watermark / 1000, { topic });
      m.set('oxbow_sessions_watermark_lag_seconds', 'Wall clock minus the watermark, seconds', (now() - p.watermark) / 1000, { topic });
    }
    for (const x of p.partitions) {
      if (x.nextOffset !== null) m.set('oxbow_sessions_partition_next_offset', 'Next offset to read, per partition', Number(x.nextOffset), { topic, partition: x.partition, phase: x.phase });
      if (x.lag !== null) m.set('oxbow_sessions_partition_lag', 'Offsets behind the end Kafka had at the switch, per partition', Number(x.lag), { topic, partition: x.partition });
    }
  });
  job.on('checkpoint', ({ payload: c }) => {
    m.add('oxbow_sessions_checkpoints_total', 'Checkpoints and savepoints written', 1, { topic });
    m.set('oxbow_sessions_checkpoint_duration_seconds', 'Duration of the last checkpoint (output prepare, write, publish)', c.durationMs / 1000, { topic });
    m.set('oxbow_sessions_last_checkpoint_timestamp_seconds', 'When the last checkpoint was taken, seconds since the epoch', now() / 1000, { topic });
  });
  job.on('gap-skipped', ({ payload: g }) => m.add('oxbow_sessions_gap_offsets_skipped_total', 'Offsets skipped in gaps (--on-gap warn)', Number(g.to - g.from + 1n), { topic }));
  job.on('corrupt-file-skipped', () => m.add('oxbow_sessions_corrupt_files_skipped_total', 'Archive files skipped as corrupt', 1, { topic }));
}
