// Every record batch Kafka sends says which offsets it spans, also when records of it are gone.
//
// kafkajs's record batch decoder hands on a batch's records and nothing of its bounds, and its consumer moves on by the
// offsets of the records it got. The log cleaner leaves batches that end before their last offset (compacted-away
// records), and batches with no record at all: a producer's last batch, emptied of aborted or superseded records, is
// kept for the producer's state. A fetch that meets such an empty batch gets nothing, and kafkajs fetches again from
// the same offset, forever (the consumer neither fails nor moves; an archiver waiting for those offsets hangs). Kafka's
// own consumer moves past every batch it is sent, to its last offset + 1.
//
// So each decoded batch also carries its bounds as control records, which kafkajs hands no one but counts as fetched:
// a batch without records gets one at its first and one at its last offset, a batch whose last record comes before its
// last offset one at that offset. kafkajs's consumer then moves past the batch as Kafka's does, and reports it in its
// END_BATCH_PROCESS event (batchSize 0, firstOffset, lastOffset) when nothing of a fetch was for the application.

/** What kafkajs's record batch decoder (recordBatch/v0/decoder.js) returns, as far as the bounds need. */
export interface DecodedBatch {
  firstOffset: string;
  lastOffsetDelta: number;
  maxTimestamp?: string;
  records: Array<{ offset: string }>;
  [field: string]: unknown;
}

export type BatchDecoder = (decoder: unknown) => Promise<DecodedBatch>;

/**
 * A control record at `offset` of `batch`, shaped as kafkajs's record decoder shapes one. No key, so kafkajs never takes
 * it for the marker that ends an aborted transaction.
 */
function boundRecord(batch: DecodedBatch, context: object, offset: bigint): Record<string, unknown> {
  return {
    magicByte: 2, attributes: 0, timestamp: batch.maxTimestamp ?? '-1', offset: offset.toString(), key: null, value: null,
    headers: {}, isControlRecord: true, batchContext: context,
  };
}

/** `decodeBatch` with each batch's bounds kept as control records where its records do not show them. */
export function withBatchBounds(decodeBatch: BatchDecoder): BatchDecoder {
  return async (decoder) => {
    const batch = await decodeBatch(decoder);
    const { records } = batch;
    if (typeof batch.firstOffset !== 'string' || typeof batch.lastOffsetDelta !== 'number' || !Array.isArray(records)) return batch;
    const first = BigInt(batch.firstOffset);
    const last = first + BigInt(batch.lastOffsetDelta);
    if (records.length === 0) {
      const { records: _, ...context } = batch;
      records.push(boundRecord(batch, context, first) as never);
      if (last !== first) records.push(boundRecord(batch, context, last) as never);
    } else if (BigInt(records[records.length - 1]!.offset) < last) {
      const context = (records[records.length - 1] as { batchContext?: object }).batchContext ?? {};
      records.push(boundRecord(batch, context, last) as never);
    }
    return batch;
  };
}
