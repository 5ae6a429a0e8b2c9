import * as fs from 'node:fs';
import * as path from 'node:path';

/** `target` is `root` or lies under it (both absolute and resolved; no symlinks are followed here). */
export function isInside(target: string, root: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The real file behind a workspace-relative path from a store or labels file, or undefined when it is not inside
 * `root` once symlinks are resolved. Store and labels files can be crafted (they travel in repositories): a
 * record naming `../../.ssh/id_rsa`, an absolute path, or a symlink in the workspace that points outside must not
 * make the extension show, open or read that file.
 */
export function resolveInside(root: string, relative: string): string | undefined {
  if (relative.includes('\0')) return undefined;
  let realRoot: string;
  let realFile: string;
  try {
    realRoot = fs.realpathSync(root);
    realFile = fs.realpathSync(path.resolve(root, relative));
  } catch {
    return undefined; // missing, or a dangling link: nothing to show
  }
  return realFile !== realRoot && isInside(realFile, realRoot) ? realFile : undefined;
}
