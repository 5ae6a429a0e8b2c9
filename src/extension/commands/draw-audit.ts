import * as path from 'node:path';
import * as vscode from 'vscode';
import { type Ctx, UserFacingError } from '../ctx';
import type { PanelController } from '../panel/panel-controller';

/** Whole numbers only: the input boxes say why anything else is refused. */
function wholeNumber(min: number, max: number) {
  return (text: string) =>
    /^\d+$/.test(text.trim()) && Number(text) >= min && Number(text) <= max
      ? null
      : `Enter a whole number from ${min} to ${max}.`;
}

/**
 * `Vector Tune: Draw Audit Sample...`: asks the size and the seed, draws a uniformly random sample of the store into
 * the open head's audit.jsonl (after asking before replacing one, which discards its scores), and shows its first
 * batch in the panel, marked "audit".
 */
export async function drawAuditSample(ctx: Ctx, panel: PanelController, size?: number, seed?: number): Promise<void> {
  const head = ctx.head;
  if (!head) throw new UserFacingError('No head is open: start or open a head first, then draw its audit sample.');
  const sizeText =
    size?.toString() ??
    (await vscode.window.showInputBox({
      title: `Audit sample of "${head.name}"`,
      prompt: `How many records to draw at random from the ${head.storeCount} in the store (100-300 is usual). They are never shown in the head's batches nor trained on.`,
      value: String(Math.min(200, head.storeCount)),
      validateInput: wholeNumber(1, 100_000),
    }));
  if (sizeText === undefined) return;
  const seedText =
    seed?.toString() ??
    (await vscode.window.showInputBox({
      title: `Audit sample of "${head.name}": seed`,
      prompt: 'The seed of the draw: the same seed on the same collection draws the same sample.',
      value: '1',
      validateInput: wholeNumber(0, 2 ** 31 - 1),
    }));
  if (seedText === undefined) return;
  const existing = head.audit;
  if (existing && existing.size > 0) {
    const replace = 'Replace';
    const answer = await vscode.window.showWarningMessage(
      `Head "${head.name}" already has an audit sample of ${existing.size} records, ${existing.scored} scored. Replace it? Its scores are discarded (git still has the committed audit.jsonl).`,
      { modal: true },
      replace,
    );
    if (answer !== replace) return;
  }
  const fresh = await ctx.request('drawAudit', {
    headDir: path.dirname(head.weightsFile),
    size: Number(sizeText),
    seed: Number(seedText),
    replace: existing !== undefined,
  });
  ctx.setHead(fresh);
  ctx.log.info(`head "${fresh.name}": drew an audit sample of ${fresh.audit?.size ?? 0} records (seed ${seedText})`);
  await panel.labelAudit();
}
