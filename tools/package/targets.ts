/**
 * The platforms a .vsix is built for (`vsce package --target`), and which native files each must hold:
 * sharp's prebuilt `@img/*` packages for that platform (installed with npm's --os/--cpu/--libc) and
 * onnxruntime-node's binary folder for it (the npm package ships every platform's; each .vsix keeps one).
 *
 * Not built:
 * - alpine-x64 (and alpine-arm64): sharp has linuxmusl builds, but onnxruntime-node's Linux binaries link
 *   against glibc (libonnxruntime.so.1 needs libc.so.6 and ld-linux-x86-64.so.2) and it ships no musl build,
 *   so the model could not load on Alpine.
 */
export interface Target {
  /** vsce's --target name. */
  name: string;
  /** npm's --os, --cpu and --libc for sharp's optional packages. */
  os: 'win32' | 'darwin' | 'linux';
  cpu: 'x64' | 'arm64';
  libc?: 'glibc' | 'musl';
  /** sharp's platform packages: @img/sharp-<p> and @img/sharp-libvips-<p> (Windows bundles libvips). */
  sharp: string[];
  /**
   * onnxruntime-node's version, when not the project's: 1.24 and later ship no macOS x64 binaries, so the
   * Intel-Mac package runs the last release that does.
   */
  onnxruntime?: string;
}

export const TARGETS: Target[] = [
  { name: 'win32-x64', os: 'win32', cpu: 'x64', sharp: ['sharp-win32-x64'] },
  { name: 'win32-arm64', os: 'win32', cpu: 'arm64', sharp: ['sharp-win32-arm64'] },
  { name: 'darwin-arm64', os: 'darwin', cpu: 'arm64', sharp: ['sharp-darwin-arm64', 'sharp-libvips-darwin-arm64'] },
  {
    name: 'darwin-x64',
    os: 'darwin',
    cpu: 'x64',
    sharp: ['sharp-darwin-x64', 'sharp-libvips-darwin-x64'],
    onnxruntime: '1.23.2',
  },
  {
    name: 'linux-x64',
    os: 'linux',
    cpu: 'x64',
    libc: 'glibc',
    sharp: ['sharp-linux-x64', 'sharp-libvips-linux-x64'],
  },
  {
    name: 'linux-arm64',
    os: 'linux',
    cpu: 'arm64',
    libc: 'glibc',
    sharp: ['sharp-linux-arm64', 'sharp-libvips-linux-arm64'],
  },
];

/** onnxruntime-node's binary folder for a target, inside the package. */
export function onnxruntimeFolder(target: Target): string {
  return `node_modules/onnxruntime-node/bin/napi-v6/${target.os}/${target.cpu}/`;
}

/** The file a target's .vsix is written to, relative to the repository. */
export function vsixPath(target: Target): string {
  return `dist/vector-tune-${target.name}.vsix`;
}

/** Where the suite installs the packaged extension from (test/vscode/run.ts, scripts/test.sh): the Linux x64 build. */
export const SUITE_VSIX = 'dist/vector-tune.vsix';
export const SUITE_TARGET = 'linux-x64';
