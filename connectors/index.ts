// The connectors' public API, `oxbow/connectors`: storage (local, WebHDFS), the Parquet format, and Kafka as archive
// source, live reader and output. Each implements an interface of `oxbow`.

export { LocalFs, type LocalFsOptions } from './local/local-fs.js';
export { WebHdfsClient, type WebHdfsClientOptions, type CreateOptions } from './hdfs/webhdfs-client.js';
export { WebHdfsFs, type WebHdfsFsOptions } from './hdfs/webhdfs-fs.js';
export { openArchiveFs, type OpenArchiveFsOptions, type OpenedArchiveFs } from './open-archive-fs.js';
export { parseArchiveUri, type ArchiveLocation } from './uri.js';
export { parquetFormat } from './parquet/parquet-format.js';
export { createKafka, parseBrokers, type KafkaClientOptions } from './kafka/client.js';
export { KafkaArchiveSource, type KafkaArchiveSourceOptions } from './kafka/kafka-archive-source.js';
export { KafkaPartitionReader, listKafkaPartitions, type KafkaPartitionReaderOptions } from './kafka/partition-reader.js';
export { KafkaSink } from './kafka/sink-kafka.js';
