import type { Method, Params, Result, RpcError } from '../protocol/rpc';
import type {
  FromPanel,
  PanelNotification,
  PanelRequest,
  PanelRequests,
  PanelState,
  ToPanel,
} from '../protocol/webview-protocol';

/** The object VS Code injects into webviews; acquireVsCodeApi may be called once per page. */
interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState<T>(state: T): T;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** A failed request: the extension's RpcError, or a timeout (a bug or a hung host, so not a user error). */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly userError: boolean,
  ) {
    super(message);
  }
}

type Pending = {
  resolve(result: unknown): void;
  reject(err: RequestError): void;
  timer: ReturnType<typeof setTimeout>;
};

/**
 * Typed access to the extension: `request` correlates responses by id (with a timeout, so a lost response
 * cannot leave the panel "training" forever), `notify` is fire-and-forget, `onState` receives states.
 */
export class PanelApi {
  private readonly vscode: VsCodeApi;
  // Ids start at a random point so a response meant for an earlier page (before a reload) never matches.
  private nextId = Math.floor(Math.random() * 1e9);
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly onState: (state: PanelState) => void,
    private readonly timeoutMs = 120_000,
  ) {
    this.vscode = acquireVsCodeApi();
    window.addEventListener('message', (event: MessageEvent) => this.receive(event.data));
  }

  request<M extends Method<PanelRequests>>(
    method: M,
    params: Params<PanelRequests, M>,
  ): Promise<Result<PanelRequests, M>> {
    const id = this.nextId++;
    return new Promise<Result<PanelRequests, M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError(`No answer from the extension after ${Math.round(this.timeoutMs / 1000)} s.`, false));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.post({ kind: 'request', id, method, params } as PanelRequest);
    });
  }

  notify(message: PanelNotification): void {
    this.post(message);
  }

  getState(): unknown {
    return this.vscode.getState();
  }

  setState(state: unknown): void {
    this.vscode.setState(state);
  }

  private post(message: FromPanel): void {
    this.vscode.postMessage(message);
  }

  /** Messages come from the extension host, but are still checked for shape before use. */
  private receive(data: unknown): void {
    const m = data as ToPanel | null;
    if (!m || typeof m !== 'object') return;
    if (m.kind === 'state' && m.state && typeof m.state === 'object' && typeof m.state.kind === 'string') {
      this.onState(m.state);
      return;
    }
    if (m.kind === 'response' && typeof m.id === 'number') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(toError(m.error));
    }
  }
}

function toError(error: RpcError | undefined): RequestError {
  return new RequestError(
    typeof error?.message === 'string' ? error.message : 'The request failed.',
    error?.userError === true,
  );
}
