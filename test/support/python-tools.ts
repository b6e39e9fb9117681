import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Python tools for the tests (linters, API fuzzers), installed from PyPI with
 * the versions pinned in test/python-tools/requirements.txt into one
 * git-ignored virtualenv, `.tools/python`, never the machine's own copies.
 *
 * The virtualenv is created on first use and reused while the requirements
 * file is unchanged (its SHA-256 is stamped into the virtualenv); an edit of
 * the file rebuilds it. Two jest workers asking at once wait for one another
 * (a lock directory), so pip never runs twice into the same folder.
 */

const ROOT = path.resolve(__dirname, '..', '..');
export const REQUIREMENTS = path.join(ROOT, 'test', 'python-tools', 'requirements.txt');
export const VENV = path.join(ROOT, '.tools', 'python');
const STAMP = path.join(VENV, '.requirements.sha256');
const LOCK = `${VENV}.lock`;
/** Longer than any install takes here; a lock older than this was left by a killed run. */
const STALE_LOCK_MS = 10 * 60_000;

/** The path of a console script installed in the tools virtualenv, e.g. `pythonTool('cfn-lint')`. */
export function pythonTool(name: string): string {
  ensureVenv();
  const tool = path.join(VENV, process.platform === 'win32' ? 'Scripts' : 'bin', name);
  if (!fs.existsSync(tool)) {
    throw new Error(`${name} is not installed in ${VENV}: add it to ${path.relative(ROOT, REQUIREMENTS)}.`);
  }
  return tool;
}

function requirementsHash(): string {
  return createHash('sha256').update(fs.readFileSync(REQUIREMENTS)).digest('hex');
}

function upToDate(hash: string): boolean {
  return fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8').trim() === hash;
}

function ensureVenv(): void {
  const hash = requirementsHash();
  if (upToDate(hash)) return;
  withLock(() => {
    if (upToDate(hash)) return; // another worker installed it while this one waited
    fs.rmSync(VENV, { recursive: true, force: true });
    const python = process.env.PYTHON ?? 'python3';
    const run = (file: string, args: string[]): void => {
      execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: STALE_LOCK_MS, maxBuffer: 64 * 1024 * 1024 });
    };
    run(python, ['-m', 'venv', VENV]);
    const pip = path.join(VENV, process.platform === 'win32' ? 'Scripts' : 'bin', 'pip');
    run(pip, ['install', '--quiet', '--disable-pip-version-check', '--no-input', '-r', REQUIREMENTS]);
    fs.writeFileSync(STAMP, `${hash}\n`);
  });
}

function withLock(fn: () => void): void {
  fs.mkdirSync(path.dirname(LOCK), { recursive: true });
  const deadline = Date.now() + STALE_LOCK_MS;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const held = fs.statSync(LOCK, { throwIfNoEntry: false });
      if (!held) continue; // released between the two calls
      if (Date.now() - held.mtimeMs > STALE_LOCK_MS || Date.now() > deadline) {
        fs.rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    fn();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}
