import * as vscode from 'vscode';
import type { StrategyName } from '../../protocol/webview-protocol';

const KEY = 'vectorTune.panelBatchOptions';

interface Override {
  strategy?: StrategyName;
  batchSize?: number;
}

/**
 * The strategy and batch size the panel's header chose, over the `vectorTune.strategy` / `vectorTune.batchSize`
 * settings. A session override, kept in workspace state, rather than a write to the settings: switching to
 * "boundary" for a few batches is a moment's choice while labelling, and writing it would change
 * `.vscode/settings.json` (a file teams commit, so every switch would show in `git status`) or, in user settings,
 * every other workspace. It survives a window reload; changing the setting itself drops it, so the settings win.
 */
export class BatchOptions implements vscode.Disposable {
  private readonly listener: vscode.Disposable;

  constructor(
    private readonly state: vscode.Memento,
    private readonly settings: () => { strategy: StrategyName; batchSize: number },
    onChange: () => void,
  ) {
    this.listener = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('vectorTune.strategy') && !e.affectsConfiguration('vectorTune.batchSize')) return;
      const override = this.override;
      const next: Override = {
        strategy: e.affectsConfiguration('vectorTune.strategy') ? undefined : override.strategy,
        batchSize: e.affectsConfiguration('vectorTune.batchSize') ? undefined : override.batchSize,
      };
      void this.state.update(KEY, next).then(onChange);
    });
  }

  private get override(): Override {
    return this.state.get<Override>(KEY) ?? {};
  }

  get strategy(): StrategyName {
    return this.override.strategy ?? this.settings().strategy;
  }

  get batchSize(): number {
    return this.override.batchSize ?? this.settings().batchSize;
  }

  /** Whether either value differs from the settings (the header says so). */
  get overridden(): boolean {
    const s = this.settings();
    return this.strategy !== s.strategy || this.batchSize !== s.batchSize;
  }

  /** Records the panel's choice; returns whether anything changed. */
  async set(choice: Override): Promise<boolean> {
    const before = [this.strategy, this.batchSize];
    // Only what was chosen: an absent field keeps the earlier choice (spread as undefined, it would drop it).
    const chosen = Object.fromEntries(Object.entries(choice).filter(([, v]) => v !== undefined));
    await this.state.update(KEY, { ...this.override, ...chosen });
    return before[0] !== this.strategy || before[1] !== this.batchSize;
  }

  dispose(): void {
    this.listener.dispose();
  }
}
