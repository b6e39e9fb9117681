import { spawnSync } from 'child_process';
import * as path from 'path';

/**
 * Verifies the committed integ-runner snapshots (test/integ.*.ts.snapshot/)
 * offline: integ-runner synthesizes each integ app and diffs it with its
 * snapshot. Without `--update-on-failed` or `--force` it never deploys, so no
 * AWS account or credentials are involved (they are removed from the
 * environment here to prove it). Asset hashes are normalised in the diff
 * (integ-runner's default, `diffAssets: false`): a new handler bundle alone
 * does not fail it.
 *
 * To update a snapshot after an intended change (no deployment either):
 *   npx integ-runner --directory test --language typescript \
 *     --app "node -r ts-node/register/transpile-only {filePath}" --update-on-failed --dry-run
 */

const ROOT = path.join(__dirname, '..');
const INTEG_RUNNER = path.join(ROOT, 'node_modules', '.bin', 'integ-runner');
/** The integ apps are run without type-checking (about 10 s instead of 25 s); `projen compile`/eslint check types. */
const APP = 'node -r ts-node/register/transpile-only {filePath}';
const TIMEOUT_MS = 180_000;

test('the integ-runner snapshots match the integ apps, offline and without AWS credentials', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', CI: 'true' };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[name];

  const result = spawnSync(INTEG_RUNNER, [
    '--directory', 'test', '--language', 'typescript', '--app', APP, '--max-workers', '1',
  ], { cwd: ROOT, env, encoding: 'utf-8', timeout: TIMEOUT_MS });

  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  expect({ status: result.status, signal: result.signal, error: result.error?.message, output })
    .toEqual(expect.objectContaining({ status: 0, signal: null, error: undefined }));
  expect(output).toMatch(/UNCHANGED\s+integ\.outbound-caller\b/);
  expect(output).not.toMatch(/Running integration tests/); // the deploy phase never starts
}, TIMEOUT_MS + 10_000);
