// The JSON shapes WebHDFS answers with (Hadoop's JsonUtil), typed for the parts oxbow reads.

/** One `FileStatus` object of GETFILESTATUS / LISTSTATUS. `pathSuffix` is the entry name ('' for the path itself). */
export interface HdfsFileStatus {
  pathSuffix: string;
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
  length: number;
  modificationTime: number;
  accessTime?: number;
  blockSize?: number;
  replication?: number;
  owner?: string;
  group?: string;
  permission?: string;
}

export interface FileStatusesResponse {
  FileStatuses: { FileStatus: HdfsFileStatus[] };
}

export interface FileStatusResponse {
  FileStatus: HdfsFileStatus;
}

export interface BooleanResponse {
  boolean: boolean;
}

/** The error body of every failed WebHDFS call. */
export interface RemoteExceptionBody {
  RemoteException: { exception?: string; javaClassName?: string; message?: string };
}
