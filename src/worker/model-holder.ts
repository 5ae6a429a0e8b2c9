import type { ClipEncoder } from '../core/embed/clip';
import { VectorTuneError } from '../core/errors';
import type { EngineConfig } from '../protocol/worker-protocol';
import { ModelCallGate } from './model-call-gate';
import { modelKey, resolveModelRef } from './engine-config';
import { applyThreadSettings, chooseThreadSettings, withThreadDefaults } from './native-threads';
import { ModelUnavailableError } from './worker-errors';
import type { WorkerLog } from './worker-log';

/**
 * The CLIP encoder, loaded on first use and kept: loading takes seconds (the ViT-B/32 towers are ~350 MB), so
 * indexing and every prompt share one. A configuration naming another model (or cache) replaces it.
 */
export class ModelHolder {
  private current?: { key: string; encoder: Promise<ClipEncoder> };
  /** onnxruntime's intra-op threads for the model loaded last; the decode threads take the cores it leaves. */
  private loadedThreads?: number;

  constructor(
    private readonly log: WorkerLog,
    private readonly gate = new ModelCallGate(),
  ) {}

  get onnxThreads(): number | undefined {
    return this.loadedThreads;
  }

  /** Is the encoder for this configuration loaded (or loading)? Lets callers say "loading the model". */
  has(config: EngineConfig): boolean {
    return this.current?.key === modelKey(config);
  }

  async encoder(config: EngineConfig): Promise<ClipEncoder> {
    const key = modelKey(config);
    if (this.current?.key !== key) {
      await this.release();
      const encoder = this.load(config);
      const entry = { key, encoder };
      this.current = entry;
      // A failed load is not kept: the user may fix the folder or allow the download and try again.
      encoder.catch(() => {
        if (this.current === entry) this.current = undefined;
      });
    }
    return this.current.encoder;
  }

  /** How the loaded encoder runs, for progress messages: "q8 on cpu, 2 threads". */
  describeRun(encoder: ClipEncoder): string {
    const threads = this.loadedThreads ?? 0;
    return `${encoder.precision} on ${encoder.device}, ${threads} thread${threads === 1 ? '' : 's'}`;
  }

  /** Releases the model if the configuration no longer names it; the next use loads the new one. */
  async reconfigure(config: EngineConfig): Promise<void> {
    if (this.current && this.current.key !== modelKey(config)) await this.release();
  }

  async release(): Promise<void> {
    const entry = this.current;
    this.current = undefined;
    const encoder = await entry?.encoder.catch(() => undefined);
    await encoder?.dispose();
  }

  private async load(config: EngineConfig): Promise<ClipEncoder> {
    const { precision = 'fp32', device = 'cpu' } = config.model;
    const threads = applyThreadSettings(chooseThreadSettings(undefined, config.model.threads ?? null));
    this.loadedThreads = threads.onnxThreads;
    const ref = resolveModelRef(config.model.ref, config.workspaceRoot);
    const started = Date.now();
    this.log(
      'info',
      `Loading the model ${ref} at ${precision}, device ${device} (onnxruntime: ${threads.onnxThreads} intra-op thread(s), no spinning; sharp: ${threads.imageThreads} thread(s))...`,
    );
    // Imported here, not at the top: transformers.js and onnxruntime load only when a model is needed.
    const { loadClip } = await import('../core/embed/clip');
    const encoder = await this.gate
      .run(() =>
        loadClip(ref, {
          cacheDir: config.model.cacheDir,
          allowDownload: config.model.allowDownload,
          sessionOptions: withThreadDefaults(undefined, threads.onnxThreads) as Record<string, unknown>,
          dtype: precision,
          device,
          log: (line) => this.log('warn', line),
        }),
      )
      .catch((err: unknown) => {
        throw err instanceof VectorTuneError ? new ModelUnavailableError(ref, err) : err;
      });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    this.log(
      'info',
      `Loaded ${encoder.modelId} (${encoder.dimension}-d embeddings, ${encoder.imageSize} px images; ${this.describeRun(encoder)}) in ${seconds} s.`,
    );
    return this.gate.encoder(encoder);
  }
}
