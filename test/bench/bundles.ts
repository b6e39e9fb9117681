/**
 * Builds the baseline bundles with exactly the shipped handler's esbuild
 * command (read from the projen task `bundle:lambda/outbound-caller.lambda`,
 * so a change of the flags in .projenrc.ts reaches the baselines too), and
 * measures bundles: raw and gzip bytes, the phone-number metadata's share
 * (from the esbuild metafile: inputs under libphonenumber-js/metadata*), and
 * bytes by package.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export const REPO_ROOT = path.join(__dirname, '..', '..');
const SHIPPED_TASK = 'bundle:lambda/outbound-caller.lambda';
const ESBUILD = path.join(REPO_ROOT, 'node_modules', '.bin', 'esbuild');

/**
 * Inputs that are the phone-number metadata (kept, reported separately): the
 * generated reduced metadata the handler ships, or the library's own files.
 */
export const PHONE_METADATA_INPUT = /((^|\/)libphonenumber-js\/metadata[^/]*|(^|\/)generated\/phone-metadata\.json)$/;
/** The import paths of that metadata, for a build without it. */
const PHONE_METADATA_EXTERNAL = ['--external:libphonenumber-js/metadata*', '--external:*/generated/phone-metadata.json'];

/** The flags of the shipped handler's esbuild command, without entry point, metafile and outfile. */
export function shippedEsbuildFlags(): string[] {
  const tasks = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, '.projen', 'tasks.json'), 'utf8')) as {
    tasks: Record<string, { steps?: Array<{ exec?: string }> }>;
  };
  const exec = tasks.tasks[SHIPPED_TASK]?.steps?.find((step) => step.exec?.startsWith('esbuild '))?.exec;
  if (!exec) throw new Error(`bench: no esbuild command in the projen task "${SHIPPED_TASK}" (.projen/tasks.json)`);
  const flags = exec.split(/\s+/).slice(1)
    .filter((token) => token.startsWith('--'))
    .filter((token) => !token.startsWith('--metafile=') && !token.startsWith('--outfile='));
  if (!flags.includes('--bundle')) throw new Error(`bench: the shipped esbuild command has no --bundle: ${exec}`);
  return flags;
}

/**
 * Flags that are OutboundCaller's own build-time changes, not part of a
 * user's build: the lean credentials alias. The baselines "as users write
 * them" are built without these; the like-for-like baselines with them.
 */
export const BUILD_TIME_CHANGE = /^--alias:/;

/** The shipped flags without OutboundCaller's own build-time changes: how a user would bundle the baselines. */
export function baselineEsbuildFlags(): string[] {
  return shippedEsbuildFlags().filter((flag) => !BUILD_TIME_CHANGE.test(flag));
}

export interface BuiltBundle {
  readonly file: string;
  readonly metafile: string;
}

/**
 * Bundles `entry` (relative to the repository) with the shipped flags (or the
 * baseline flags) plus `extra`, into `outDir`. `minify: false` drops --minify (for readable CPU
 * profiles: names kept, and esbuild's `// path` comments mark each module).
 */
export function buildBundle(
  entry: string, outDir: string, extra: string[] = [], options: { minify?: boolean; flags?: 'shipped' | 'baseline' } = {},
): BuiltBundle {
  const file = path.join(outDir, 'index.js');
  const metafile = `${outDir}.meta.json`;
  const flags = (options.flags === 'baseline' ? baselineEsbuildFlags() : shippedEsbuildFlags())
    .filter((flag) => options.minify !== false || !flag.startsWith('--minify'));
  execFileSync(ESBUILD, [entry, ...flags, ...extra, `--metafile=${metafile}`, `--outfile=${file}`], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  return { file, metafile };
}

/** Bundles `entry` without the phone-number metadata (left as an external require). */
export function buildWithoutPhoneMetadata(entry: string, outDir: string): BuiltBundle {
  return buildBundle(entry, outDir, PHONE_METADATA_EXTERNAL);
}

export interface BundleBytes {
  readonly raw: number;
  readonly gzip: number;
}

export function bytesOf(file: string): BundleBytes {
  const content = fs.readFileSync(file);
  return { raw: content.length, gzip: zlib.gzipSync(content, { level: 9 }).length };
}

interface Metafile {
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

export interface MetafileBreakdown {
  /** Bytes of the output as the metafile states them. */
  readonly outputBytes: number;
  /** Bytes in the output that come from the phone-number metadata inputs. */
  readonly phoneMetadataBytes: number;
  /** Output bytes by package (`@scope/name`), or by folder of the repository for our own sources. */
  readonly byPackage: Map<string, number>;
  /** Output bytes by input file. */
  readonly byInput: Map<string, number>;
}

export function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (match) return match[1];
  return `${input.split('/').slice(0, -1).join('/') || '.'}/ (repository)`;
}

export function readMetafile(metafile: string): MetafileBreakdown {
  const meta = JSON.parse(fs.readFileSync(metafile, 'utf8')) as Metafile;
  const outputs = Object.values(meta.outputs).filter((output) => Object.keys(output.inputs).length > 0);
  if (outputs.length !== 1) throw new Error(`bench: expected one output in ${metafile}, found ${outputs.length}`);
  const output = outputs[0];
  const byPackage = new Map<string, number>();
  const byInput = new Map<string, number>();
  let phoneMetadataBytes = 0;
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    byInput.set(input, bytesInOutput);
    const name = packageOf(input);
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    if (PHONE_METADATA_INPUT.test(input)) phoneMetadataBytes += bytesInOutput;
  }
  return { outputBytes: output.bytes, phoneMetadataBytes, byPackage, byInput };
}
