/**
 * Request/response correlation shared by both boundaries (extension <-> worker, extension <-> webview),
 * after Continue's `Record<method, [request, response]>` protocols: a protocol is a map from method name to
 * its parameter and result types, and every message below is typed by it.
 */
export type Protocol = Record<string, [unknown, unknown]>;

export type Method<P extends Protocol> = keyof P & string;
export type Params<P extends Protocol, M extends Method<P>> = P[M][0];
export type Result<P extends Protocol, M extends Method<P>> = P[M][1];

export interface RequestMessage<P extends Protocol, M extends Method<P> = Method<P>> {
  kind: 'request';
  /** Unique per sender; the response carries it back. */
  id: number;
  method: M;
  params: Params<P, M>;
}

/** A failure a user can act on (`userError`) is shown as is; anything else is logged as a bug. */
export interface RpcError {
  message: string;
  userError: boolean;
  /**
   * What the failure is about, when the user's remedy is a known place: `model`, the model could not be loaded
   * (choose another model, or allow the download). The extension offers that remedy as a button.
   */
  topic?: 'model';
}

export type ResponseMessage<P extends Protocol, M extends Method<P> = Method<P>> =
  | { kind: 'response'; id: number; ok: true; result: Result<P, M> }
  | { kind: 'response'; id: number; ok: false; error: RpcError };

/** Progress of a long request (indexing), correlated by the request id. */
export interface ProgressMessage {
  kind: 'progress';
  id: number;
  done: number;
  total: number;
  message: string;
}

export interface CancelMessage {
  kind: 'cancel';
  id: number;
}
