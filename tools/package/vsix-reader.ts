/**
 * Reads a .vsix (a zip) far enough to check what it holds: the names in its central directory, and one entry's
 * bytes (stored or deflated, inflated with Node's zlib). No zip64: a .vsix is far below 4 GB and 65,535 files.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export class Vsix {
  readonly entries: ZipEntry[];
  private constructor(
    readonly file: string,
    private readonly bytes: Buffer,
  ) {
    this.entries = readCentralDirectory(bytes, file);
  }

  static open(file: string): Vsix {
    return new Vsix(file, fs.readFileSync(file));
  }

  names(): string[] {
    return this.entries.map((e) => e.name);
  }

  read(name: string): Buffer {
    const entry = this.entries.find((e) => e.name === name);
    if (!entry) throw new Error(`${this.file} holds no ${name}`);
    const at = entry.localHeaderOffset;
    if (this.bytes.readUInt32LE(at) !== LOCAL) throw new Error(`${this.file}: no local header for ${name}`);
    const start = at + 30 + this.bytes.readUInt16LE(at + 26) + this.bytes.readUInt16LE(at + 28);
    const data = this.bytes.subarray(start, start + entry.compressedSize);
    if (entry.method === 0) return data;
    if (entry.method === 8) return zlib.inflateRawSync(data);
    throw new Error(`${this.file}: ${name} uses compression method ${entry.method}`);
  }
}

function readCentralDirectory(bytes: Buffer, file: string): ZipEntry[] {
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (bytes.readUInt32LE(i) === EOCD) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error(`${file} is not a zip file (no end of central directory)`);
  const count = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (bytes.readUInt32LE(at) !== CENTRAL) throw new Error(`${file}: central directory entry ${i} is damaged`);
    const nameLength = bytes.readUInt16LE(at + 28);
    entries.push({
      method: bytes.readUInt16LE(at + 10),
      compressedSize: bytes.readUInt32LE(at + 20),
      size: bytes.readUInt32LE(at + 24),
      localHeaderOffset: bytes.readUInt32LE(at + 42),
      name: bytes.toString('utf8', at + 46, at + 46 + nameLength),
    });
    at += 46 + nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  return entries;
}

/** The OS and CPU a native binary (a Node addon or a shared library) is built for, from its header. */
export function binaryPlatform(bytes: Buffer): { os: string; cpu: string } {
  if (bytes.readUInt32BE(0) === 0x7f454c46) {
    const machine = bytes.readUInt16LE(18);
    return { os: 'linux', cpu: machine === 62 ? 'x64' : machine === 183 ? 'arm64' : `elf-machine-${machine}` };
  }
  if (bytes.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = bytes.readUInt32LE(4);
    return { os: 'darwin', cpu: cpu === 0x01000007 ? 'x64' : cpu === 0x0100000c ? 'arm64' : `mach-o-cpu-${cpu}` };
  }
  if (bytes.toString('latin1', 0, 2) === 'MZ') {
    const pe = bytes.readUInt32LE(0x3c);
    if (bytes.readUInt32LE(pe) !== 0x00004550) return { os: 'unknown', cpu: 'unknown' };
    const machine = bytes.readUInt16LE(pe + 4);
    return { os: 'win32', cpu: machine === 0x8664 ? 'x64' : machine === 0xaa64 ? 'arm64' : `pe-machine-${machine}` };
  }
  return { os: 'unknown', cpu: 'unknown' };
}
