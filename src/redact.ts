// Masks credentials in a user-given URI or broker list before it goes into an error message or a log line.

const MASK = '***';

/**
 * `user:password@` after `scheme://` or at the start of an entry (`user:pw@host:9092`, entries split by `,` or space).
 * The password runs to the LAST `@` of the string: an unencoded `@`, `/`, `?`, `,` or space in a password must not let
 * its tail through, so when a later `@` belongs to a path or query more is masked than needed, never less.
 * `(?!\/\/)` keeps `scheme://` itself from reading as `user:password`.
 */
const USERINFO = /(^|[\s,]|:\/\/)([^\s,:@/?#]*):(?!\/\/)[^]*@/g;

/** `?password=…`, `&client_secret=…`, `;sasl.token=…`, Hadoop's `delegation=…`: the value up to the next parameter. */
const SECRET_PARAM = /([?&;][\w.-]*?(?:password|passwd|pass|pwd|secret|token|delegation)=)[^&#]*/gi;

/**
 * The same text with credentials masked: `webhdfs://bob:s3cret@nn/x` → `webhdfs://bob:***@nn/x`,
 * `SASL_SSL://u:pw@kafka:9093` → `SASL_SSL://u:***@kafka:9093`, `…?token=abc&user=x` → `…?token=***&user=x`.
 * For one user-given string (a URI, a broker list), not a whole message: the message's own text could look like a
 * password. Text without credentials comes back unchanged.
 */
export function redactCredentials(text: string): string {
  return text.replace(USERINFO, (_m, start: string, user: string) => `${start}${user}:${MASK}@`).replace(SECRET_PARAM, `$1${MASK}`);
}
