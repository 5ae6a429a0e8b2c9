/**
 * Run as a separate process by the head lock tests: the extension's engine (the worker's handlers, in this process)
 * configured from the JSON file given, opens the head folder given, says `open <pid>`, then keeps the head open until
 * its stdin closes or it is killed.
 */
import * as fs from 'node:fs';
import type { EngineConfig } from '../../src/protocol/worker-protocol';
import { Engine } from '../../src/worker/engine';

async function main(): Promise<void> {
  const [configFile, headDir] = process.argv.slice(2);
  const engine = new Engine(() => {});
  await engine.configure(JSON.parse(fs.readFileSync(configFile, 'utf8')) as EngineConfig);
  await engine.openHead({ headDir });
  process.stdout.write(`open ${process.pid}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    engine.dispose().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((err: unknown) => {
  process.stdout.write(`error ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
