import * as path from 'node:path';

/**
 * How a model folder is written into `vectorTune.model`: a folder inside the workspace as a `./`-relative path
 * with forward slashes (the settings file is committed and shared, so it must mean the same on every clone and
 * platform; the `./` marks it a folder rather than a hub id), a folder elsewhere as its absolute path, which
 * belongs in the user's own settings, not the workspace's.
 */
export function modelSettingFor(folder: string, workspaceRoot: string): { value: string; inWorkspace: boolean } {
  const relative = path.relative(path.resolve(workspaceRoot), path.resolve(folder));
  const inside =
    relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
  if (!inside) return { value: path.resolve(folder), inWorkspace: false };
  return { value: relative === '' ? '.' : `./${relative.split(path.sep).join('/')}`, inWorkspace: true };
}
