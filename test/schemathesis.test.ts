/**
 * The API as outside tools see it, against the sandbox (started here with
 * --raise-limits, so generated requests reach the handler and the Connect
 * simulator instead of the construct's 2/s throttle):
 * - real clients nobody here wrote sign their requests with SigV4: botocore's
 *   SigV4Auth with requests, and awscurl (PyPI, pinned); a request changed
 *   after signing is refused;
 * - schemathesis (PyPI, pinned) generates requests from the sandbox's
 *   GET /openapi.json and runs its default checks on every answer, each
 *   request signed with botocore (test/schemathesis/sigv4_hooks.py).
 * The Python tools come from test/python-tools/requirements.txt, installed
 * into .tools/python by the test itself.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOCAL_ACCESS_KEYS } from './local/local-credentials';
import { pythonTool } from './support/python-tools';

const ROOT = path.join(__dirname, '..');
const REGION = 'us-east-1';
const [SANDBOX_KEY, ALICE_KEY] = LOCAL_ACCESS_KEYS;
/** The Authorization value the hooks replace with a SigV4 signature (test/schemathesis/sigv4_hooks.py). */
const SIGN_MARKER = 'sign-with-sigv4';
/** At least this many generated requests per operation. */
const MIN_PUT_REQUESTS = 1000;
const MIN_GET_REQUESTS = 200;
/** Hypothesis examples per operation and phase: enough for the minimums above. */
const MAX_EXAMPLES = 220;
/** Fixed, so a build's verdict does not change by itself; change it to explore other inputs. */
const SEED = 20261128;

let sandbox: ChildProcess;
let routeUrl: string;
let origin: string;
let work: string;

function python(name: string): string {
  return pythonTool(name);
}

beforeAll(async () => {
  // The pinned tools first (a minute the first time, then reused).
  python('schemathesis');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'schemathesis-'));
  sandbox = spawn(process.execPath, [
    require.resolve('ts-node/dist/bin.js'), '--transpile-only', '--project', 'test/tsconfig.json',
    'test/local/sandbox.ts', '--port', '0', '--quiet', '--raise-limits',
  ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  sandbox.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  routeUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the sandbox did not start:\n${out}\n${err}`)), 90_000);
    sandbox.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    sandbox.once('exit', (code) => reject(new Error(`the sandbox exited (${code}):\n${out}\n${err}`)));
  });
  origin = new URL(routeUrl).origin;
}, 300_000);

afterAll(async () => {
  if (sandbox && sandbox.exitCode === null) {
    const exited = new Promise((resolve) => sandbox.once('exit', resolve));
    sandbox.kill('SIGINT');
    await exited;
  }
  if (work) fs.rmSync(work, { recursive: true, force: true });
}, 30_000);

describe('real clients sign with SigV4 and the sandbox checks it like API Gateway', () => {
  test('botocore\'s SigV4Auth with requests: places, replays and reads a call; a body changed after signing is refused', () => {
    const run = spawnSync(python('python'), [path.join(ROOT, 'test', 'python-clients', 'botocore_client.py'), routeUrl, REGION], {
      encoding: 'utf8',
      env: { ...process.env, AWS_ACCESS_KEY_ID: ALICE_KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: ALICE_KEY.secretAccessKey },
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    const seen = JSON.parse(run.stdout);
    expect(seen.first.status).toBe(200);
    expect(seen.replay).toEqual({ status: 200, body: seen.first.body, replayed: 'true' });
    expect(seen.status.status).toBe(200);
    expect(seen.status.body.data.id).toBe(JSON.parse(seen.first.body).data.id);
    expect(seen.tampered).toEqual({
      status: 403,
      errorType: 'InvalidSignatureException',
      body: { success: false, error: { code: 'FORBIDDEN', message: 'The request signature is not valid.', details: [] } },
    });
  }, 60_000);

  test('awscurl: a signed PUT is placed; the same request with another secret is refused', () => {
    const awscurl = (secret: string): { status: number; body: string } => {
      const run = spawnSync(python('awscurl'), [
        '--service', 'execute-api', '--region', REGION, '-i', '-X', 'PUT',
        '-H', 'Content-Type: application/json', '-H', 'Idempotency-Key: awscurl-1',
        '-d', '{"DestinationPhoneNumber":"+12125550123"}', routeUrl,
      ], {
        encoding: 'utf8',
        env: { ...process.env, AWS_ACCESS_KEY_ID: SANDBOX_KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: '', AWS_PROFILE: '' },
        timeout: 60_000,
      });
      // -i prints the response headers as a Python dict on the first line, then the body.
      const lines = run.stdout.trim().split('\n');
      return { status: run.status ?? -1, body: lines[lines.length - 1] };
    };
    const placed = awscurl(SANDBOX_KEY.secretAccessKey);
    expect(JSON.parse(placed.body)).toEqual({ success: true, data: { id: expect.any(String), created_at: expect.any(String) } });
    const wrong = awscurl('not-the-secret');
    expect(JSON.parse(wrong.body).error.code).toBe('FORBIDDEN');
  }, 60_000);
});

describe('schemathesis against the sandbox, from its openapi.json', () => {
  test(`every default check, at least ${MIN_PUT_REQUESTS} PUT and ${MIN_GET_REQUESTS} GET requests, 0 failures`, () => {
    const counts = path.join(work, 'counts.json');
    const junit = path.join(work, 'junit.xml');
    const started = Date.now();
    const run = spawnSync(python('schemathesis'), [
      '--config-file', path.join(ROOT, 'test', 'schemathesis', 'schemathesis.toml'),
      'run', `${origin}/openapi.json`,
      '--header', `Authorization: ${SIGN_MARKER}`,
      '--max-examples', String(MAX_EXAMPLES),
      '--seed', String(SEED),
      // schemathesis 4.32.5 expects 401 for a missing Authorization header whatever its configuration says;
      // API Gateway (and so the sandbox) answers 403 MissingAuthenticationToken. ignored_auth still checks
      // that requests without or with wrong credentials are refused.
      '--exclude-checks', 'missing_required_header',
      '--report', 'junit', '--report-junit-path', junit,
      '--no-color',
    ], {
      cwd: path.join(ROOT, 'test', 'schemathesis'),
      encoding: 'utf8',
      timeout: 540_000,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        PYTHONPATH: path.join(ROOT, 'test', 'schemathesis'),
        SCHEMATHESIS_HOOKS: 'sigv4_hooks',
        SCHEMATHESIS_COUNTS: counts,
        SIGV4_MARKER: SIGN_MARKER,
        SIGV4_ACCESS_KEY_ID: SANDBOX_KEY.accessKeyId,
        SIGV4_SECRET_ACCESS_KEY: SANDBOX_KEY.secretAccessKey,
        SIGV4_REGION: REGION,
      },
    });
    const seconds = (Date.now() - started) / 1000;
    const summary = run.stdout.split('\n').filter((l) => /generated|failures?|passed|Seed|Phases|✅|❌|⏭/.test(l)).join('\n');
    if (run.status !== 0) throw new Error(`schemathesis failed (exit ${run.status}):\n${run.stdout.slice(-20_000)}\n${run.stderr.slice(-5_000)}`);

    const byKey = JSON.parse(fs.readFileSync(counts, 'utf8')) as Record<string, number>;
    const total = (method: string): number => Object.entries(byKey).filter(([k]) => k.startsWith(`${method} `)).reduce((n, [, c]) => n + c, 0);
    const statuses = (method: string): string => {
      const byStatus = new Map<string, number>();
      for (const [k, c] of Object.entries(byKey).filter(([key]) => key.startsWith(`${method} `))) {
        const status = k.split(' ').pop()!;
        byStatus.set(status, (byStatus.get(status) ?? 0) + c);
      }
      return [...byStatus].sort().map(([status, c]) => `${status}: ${c}`).join(', ');
    };
    console.log(`schemathesis ${run.stdout.match(/Seed: \d+/)?.[0] ?? ''}, ${seconds.toFixed(1)} s: `
      + `PUT ${total('PUT')} requests (${statuses('PUT')}); GET ${total('GET')} requests (${statuses('GET')})\n${summary}`);
    expect(run.stdout).toMatch(/\b0 failures\b|No issues found|passed/);
    expect(run.stdout).not.toMatch(/❌/);
    expect(total('PUT')).toBeGreaterThanOrEqual(MIN_PUT_REQUESTS);
    expect(total('GET')).toBeGreaterThanOrEqual(MIN_GET_REQUESTS);
    // The generated requests reached the handler: calls were placed and their status read.
    expect(byKey['PUT /contact/outbound-voice 200']).toBeGreaterThan(0);
    expect(byKey['GET /contact/outbound-voice/{contactId} 200']).toBeGreaterThan(0);
  }, 600_000);
});
