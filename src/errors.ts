// Every error oxbow raises, in one module: each has a stable `code` from one closed list, says whether retrying can
// help, keeps its `cause`, and carries the exit code the CLI ends with. Callers test errors with `instanceof`.

/** The process exit codes every command shares: 0 done, 1 the run failed, 2 the options or the input are unusable. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/**
 * Every code an OxbowError can carry. A class below owns most; the rest are plain OxbowErrors of one place each.
 * The list is closed: a new failure gets a code here (and a class when callers must tell it apart).
 */
export type ErrorCode =
  // classes below
  | 'USAGE' | 'CONNECTION' | 'AUTHENTICATION' | 'NOT_FOUND' | 'ALREADY_EXISTS' | 'PERMISSION' | 'UNAVAILABLE' | 'REMOTE' | 'CORRUPT_FILE'
  | 'OFFSET_GAP' | 'SOURCE_STUCK' | 'SAVEPOINT' | 'BAD_RECORD' | 'PARTITION_CONFLICT' | 'TOPIC_GREW'
  // storage: a path of the wrong kind, a non-empty folder, any other local I/O failure
  | 'NOT_A_DIRECTORY' | 'NOT_A_FILE' | 'NOT_EMPTY' | 'IO'
  // Kafka: a failure the client reported that is none of the above; a source used after close
  | 'KAFKA' | 'CLOSED'
  // an output file that cannot be written; a stop requested while retrying; a worker process or engine thread failed
  | 'OUTPUT' | 'ABORTED' | 'WORKER'
  // the local test services of `npm run services` (tools/services)
  | 'SERVICE_START' | 'SERVICE_NOT_RUNNING' | 'PORT_IN_USE' | 'SERVICES_MAVEN';

export interface OxbowErrorOptions {
  cause?: unknown;
  retriable?: boolean;
}

export class OxbowError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: OxbowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }

  /** What the CLI exits with when this error ends a command: 1 (the run failed) unless the class says 2 (fix the input). */
  get exitCode(): number {
    return EXIT_FAILED;
  }
}

/** A bad option or argument; the CLI exits with code 2. The message names the option. */
export class UsageError extends OxbowError {
  constructor(message: string, options: OxbowErrorOptions = {}) {
    super('USAGE', message, options);
  }

  override get exitCode(): number {
    return EXIT_USAGE;
  }
}

/** Kafka has no topic of that name (a usage error: the name is wrong or the topic not created yet). */
export class UnknownTopicError extends UsageError {
  constructor(readonly topic: string, message: string) {
    super(message);
  }
}

/** A service refused the credentials oxbow was given (a wrong password, an unknown user); exit 1, never retried. */
export class AuthenticationError extends OxbowError {
  constructor(message: string, options: OxbowErrorOptions = {}) {
    super('AUTHENTICATION', message, options);
  }
}

/** A service (Kafka broker, NameNode, DataNode) could not be reached or answered too slowly. */
export class ConnectionError extends OxbowError {
  readonly address: string;
  constructor(address: string, message: string, options: OxbowErrorOptions = {}) {
    super('CONNECTION', message, { retriable: true, ...options });
    this.address = address;
  }
}

/**
 * A worker process of a parallel job, an engine thread or the Kafka reader's thread failed: the message is its
 * error's, and the command exits with the code that error carried (2 for bad input, 1 otherwise).
 */
export class WorkerFailure extends OxbowError {
  constructor(message: string, private readonly workerExitCode: number, options: OxbowErrorOptions = {}) {
    super('WORKER', message, options);
  }

  override get exitCode(): number {
    return this.workerExitCode;
  }
}

/** A file or folder that should exist does not. */
export class NotFoundError extends OxbowError {
  readonly path: string;
  constructor(path: string, message = `not found: ${path}`, options: OxbowErrorOptions = {}) {
    super('NOT_FOUND', message, options);
    this.path = path;
  }
}

/** A file or folder that should not exist does (rename onto an existing file, create without overwrite). */
export class AlreadyExistsError extends OxbowError {
  readonly path: string;
  constructor(path: string, message = `already exists: ${path}`, options: OxbowErrorOptions = {}) {
    super('ALREADY_EXISTS', message, options);
    this.path = path;
  }
}

/** The storage refused the operation for lack of rights. */
export class PermissionError extends OxbowError {
  constructor(message: string, options: OxbowErrorOptions = {}) {
    super('PERMISSION', message, options);
  }
}

/** The service is there but cannot serve now (HDFS safe mode, standby NameNode, broker leadership moving). */
export class UnavailableError extends OxbowError {
  constructor(message: string, options: OxbowErrorOptions = {}) {
    super('UNAVAILABLE', message, { retriable: true, ...options });
  }
}

/** Any other error a remote service reported; carries the server's own exception name and message. */
export class RemoteError extends OxbowError {
  readonly remoteException: string;
  readonly status: number;
  constructor(remoteException: string, status: number, message: string, options: OxbowErrorOptions = {}) {
    super('REMOTE', message, options);
    this.remoteException = remoteException;
    this.status = status;
  }
}

/** A file whose bytes are not what its format or name promises (truncated Parquet, bad JSONL, wrong metadata). */
export class CorruptFileError extends OxbowError {
  readonly path: string;
  constructor(path: string, message: string, options: OxbowErrorOptions = {}) {
    super('CORRUPT_FILE', message, options);
    this.path = path;
  }
}

/**
 * A whole, readable file of a format oxbow reads that oxbow did not write (a Parquet footer without oxbow's metadata):
 * not damage, another writer's file, such as Kafka Connect HDFS's.
 */
export class ForeignFormatError extends CorruptFileError {}

/** Offsets that should be somewhere (archive or Kafka) are in neither: a named hole, never a silent skip. */
export class OffsetGapError extends OxbowError {
  readonly topic: string;
  readonly partition: number;
  readonly from: bigint;
  readonly to: bigint;
  constructor(topic: string, partition: number, from: bigint, to: bigint, message: string, options: OxbowErrorOptions = {}) {
    super('OFFSET_GAP', message, options);
    this.topic = topic;
    this.partition = partition;
    this.from = from;
    this.to = to;
  }
}

/**
 * `--co-partitioned` was asserted, but a session key arrived from a second partition while its session from the first
 * was open: keeping state by partition would split that session. A usage error: the option is wrong for this topic.
 */
export class CoPartitioningError extends UsageError {
  readonly key: string;
  readonly partitions: [number, number];
  constructor(key: string, first: number, second: number, options: OxbowErrorOptions = {}) {
    super(`--co-partitioned: key '${key}' has an open session from partition ${first} and an event in partition ${second}; the topic does not keep each key in one partition. Run without --co-partitioned (sessions are then keyed across partitions), or make the topic keyed by the session key (a keyed copy of it)`, options);
    this.key = key;
    this.partitions = [first, second];
  }
}

/**
 * An archived record's event time (by the archive's definition) differs from what the job's `--event-time` reads from
 * the same record: the archive was written in another clock, so its file order and watermarks are not the job's.
 */
export class EventTimeMismatchError extends UsageError {}

/** A Kafka client that keeps delivering other offsets than the ones asked for: stopping beats guessing where data is. */
export class SourceStuckError extends OxbowError {
  constructor(message: string, options: OxbowErrorOptions = {}) {
    super('SOURCE_STUCK', message, options);
  }
}

/**
 * Kafka added partitions to a topic a job reads whole, while it ran: their records would never be read (the job's
 * partitions are fixed when it starts), so it stops, exit 1, naming them.
 */
export class TopicGrewError extends OxbowError {
  constructor(message: string, options: OxbowErrorOptions = {}) {
    super('TOPIC_GREW', message, options);
  }
}

/** A savepoint that cannot be loaded: corrupt, from a newer format, or for another job. The file is left untouched. Exit 2. */
export class SavepointError extends OxbowError {
  readonly path: string;
  constructor(path: string, message: string, options: OxbowErrorOptions = {}) {
    super('SAVEPOINT', message, options);
    this.path = path;
  }

  override get exitCode(): number {
    return EXIT_USAGE;
  }
}

/** One input record that cannot be used (not JSON, no key, no time); counted and reported, or fatal (exit 2) with --strict. */
export class BadRecordError extends OxbowError {
  readonly line: number | undefined;
  constructor(message: string, line?: number, options: OxbowErrorOptions = {}) {
    super('BAD_RECORD', message, options);
    this.line = line;
  }

  override get exitCode(): number {
    return EXIT_USAGE;
  }
}

/**
 * Another writer published into this partition meanwhile: a rebalance raced the archiver (its file is dropped, state
 * reloads), or another owner of a parallel sessions job wrote the partition's next checkpoint (this one stops publishing).
 */
export class PartitionConflict extends OxbowError {
  constructor(message: string) {
    super('PARTITION_CONFLICT', message, { retriable: true });
  }
}
