/** A field-level problem, as listed in problem+json `errors`. */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * An expected outcome that becomes an RFC 9457 problem: a business refusal (insufficient points,
 * card blocked) or a request problem. `code` is machine-readable, `message` is for a person.
 */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldProblem[],
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'Problem';
  }
}

export const badRequest = (code: string, message: string, errors?: FieldProblem[]) => new Problem(400, code, message, errors);
export const unauthorized = (message = 'Authentication required', code = 'unauthorized') => new Problem(401, code, message);
export const forbidden = (message = 'Your role does not allow this action', code = 'forbidden') => new Problem(403, code, message);
export const notFound = (what: string, code = 'not_found') => new Problem(404, code, `${what} not found`);
export const conflict = (code: string, message: string, extra?: Record<string, unknown>) => new Problem(409, code, message, undefined, extra);
export const unprocessable = (code: string, message: string, extra?: Record<string, unknown>) => new Problem(422, code, message, undefined, extra);
export const tooMany = (code: string, message: string, extra?: Record<string, unknown>) => new Problem(429, code, message, undefined, extra);
