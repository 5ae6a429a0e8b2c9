/** Errors of the local Pinecone stand-in, in Pinecone's codes (HTTP status, its string code, the gRPC number). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function statusCode(status: number): string {
  return (
    (
      {
        400: 'INVALID_ARGUMENT',
        401: 'UNAUTHENTICATED',
        403: 'FORBIDDEN',
        404: 'NOT_FOUND',
        429: 'RESOURCE_EXHAUSTED',
        500: 'INTERNAL',
        503: 'UNAVAILABLE',
      } as Record<number, string>
    )[status] ?? 'UNKNOWN'
  );
}

export function grpcCode(status: number): number {
  return ({ 400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 503: 14 } as Record<number, number>)[status] ?? 2;
}
