/** Every failure attnscope reports, from C++ or from the JS layer. */
export type ErrorCode =
  | 'invalid_argument'
  | 'shape_mismatch'
  | 'non_finite'
  | 'too_large'
  | 'parse_error'
  | 'unsupported'
  | 'not_found'
  | 'out_of_memory'
  | 'internal'
  | 'load_failed'
  | 'disposed'
  | 'aborted';

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'invalid_argument',
  'shape_mismatch',
  'non_finite',
  'too_large',
  'parse_error',
  'unsupported',
  'not_found',
  'out_of_memory',
  'internal',
  'load_failed',
  'disposed',
  'aborted',
]);

/** The one error type attnscope throws. The engine keeps working after it. */
export class AttnscopeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AttnscopeError';
    this.code = code;
  }

  /** Rebuilds an error that crossed a worker boundary as plain data. */
  static from(data: { code?: unknown; message?: unknown }): AttnscopeError {
    const code = typeof data.code === 'string' && CODES.has(data.code) ? (data.code as ErrorCode) : 'internal';
    return new AttnscopeError(code, String(data.message ?? 'unknown error'));
  }
}
