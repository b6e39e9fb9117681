/**
 * Runs one consumer app (test/consumers/<language>/) against the package that
 * `projen package` built in dist/: a Python app in a fresh virtual environment
 * with the wheel, a Maven project with dist/java as a repository, a Go module
 * with a `replace` to dist/go. Each runs its own test runner (pytest, Surefire,
 * go test) with no esbuild and no Docker on its PATH, so the handler code can
 * only come from the bundles shipped in the package. The README must show the
 * app's example file verbatim (see the README's "Other languages").
 *
 *   ts-node test/consumers/run-consumer.ts python|java|go
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
/** Maven's default local repository, which the package step (jsii-pacmak) uses too. */
const MAVEN_LOCAL_REPOSITORY = path.join(os.homedir(), '.m2', 'repository');

interface Consumer {
  /** Commands looked up on the caller's PATH; their folders (and node's) make the test's PATH. */
  readonly tools: string[];
  /** The file the README shows. */
  readonly example: string;
  /** What the package step must have built. */
  readonly built: string;
  /** Prepares the app; returns the folders to put first on the PATH. */
  readonly setUp: (dir: string, tool: (name: string) => string) => string[];
  /** Runs the app's tests; the runner prints its own summary. */
  readonly test: (dir: string) => [string, string[]];
}

const CONSUMERS: Record<string, Consumer> = {
  python: {
    tools: ['python3'],
    example: 'app.py',
    built: 'dist/python',
    setUp: (dir, tool) => {
      const venv = path.join(dir, '.venv');
      fs.rmSync(venv, { recursive: true, force: true });
      run(tool('python3'), ['-m', 'venv', venv], dir);
      const wheels = fs.readdirSync(path.join(root, 'dist', 'python')).filter((name) => name.endsWith('.whl'));
      if (wheels.length !== 1) throw new Error(`expected one wheel in dist/python, found ${wheels.length}: run projen package first`);
      run(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet',
        path.join(root, 'dist', 'python', wheels[0]), '-r', 'requirements.txt'], dir);
      return [path.join(venv, 'bin')];
    },
    test: () => ['python', ['-m', 'pytest', '-p', 'no:cacheprovider', '-v']],
  },
  java: {
    tools: ['java', 'mvn'],
    example: 'src/main/java/com/example/calls/CallsApp.java',
    built: 'dist/java',
    setUp: (dir) => {
      fs.rmSync(path.join(dir, 'target'), { recursive: true, force: true });
      // Maven keeps a release it resolved once: drop this library's copy so the test takes dist/java's.
      fs.rmSync(path.join(MAVEN_LOCAL_REPOSITORY, 'io', 'github', 'example', 'cdk-connect-outbound-caller'), { recursive: true, force: true });
      return [];
    },
    // dist/java is a Maven repository (see pom.xml).
    test: () => ['mvn', ['--batch-mode', '--no-transfer-progress', `-Dmaven.repo.local=${MAVEN_LOCAL_REPOSITORY}`, 'test']],
  },
  go: {
    tools: ['go'],
    example: 'calls.go',
    built: 'dist/go',
    setUp: () => [],
    test: () => ['go', ['test', '-count=1', '-v', './...']],
  },
};

const language = process.argv[2];
const consumer = CONSUMERS[language];
if (!consumer) throw new Error(`usage: run-consumer.ts ${Object.keys(CONSUMERS).join('|')}; got ${language}`);
const dir = path.join(root, 'test', 'consumers', language);
if (!fs.existsSync(path.join(root, consumer.built))) {
  throw new Error(`${consumer.built} does not exist: run projen package first`);
}

// The README shows the code this app runs.
const example = fs.readFileSync(path.join(dir, consumer.example), 'utf8').trim();
if (!fs.readFileSync(path.join(root, 'README.md'), 'utf8').includes(example)) {
  throw new Error(`README.md does not show test/consumers/${language}/${consumer.example} verbatim: copy it into the README's ${language} example`);
}

const tool = (name: string): string => {
  const found = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)
    .map((folder) => path.join(folder, name)).find((file) => isExecutable(file));
  if (!found) throw new Error(`${name} is not on the PATH (projen package checks for it first)`);
  return found;
};

const started = Date.now();
const first = consumer.setUp(dir, tool);
const setUpMs = Date.now() - started;
const PATH = [...new Set([...first, ...consumer.tools.map((name) => path.dirname(tool(name))), path.dirname(process.execPath)])];
for (const name of ['esbuild', 'docker']) {
  const found = PATH.map((folder) => path.join(folder, name)).find((file) => fs.existsSync(file));
  if (found) throw new Error(`${found} is on the consumer test's PATH: the test must prove the package needs no ${name}`);
}
const [command, args] = consumer.test(dir);
const testStarted = Date.now();
run(command, args, dir, {
  ...process.env,
  PATH: PATH.join(path.delimiter),
  // The jsii runtime's banner about this machine's Node.js version is noise here (it takes the major version).
  JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1',
  JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION: '1',
  JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: process.versions.node.split('.')[0],
  CDK_DISABLE_VERSION_CHECK: '1',
});
console.log(`consumer ${language}: passed in ${((Date.now() - started) / 1000).toFixed(1)} s `
  + `(set-up ${(setUpMs / 1000).toFixed(1)} s, ${command} ${((Date.now() - testStarted) / 1000).toFixed(1)} s); PATH ${PATH.join(path.delimiter)}`);

function run(file: string, argv: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  execFileSync(file, argv, { cwd, env, stdio: 'inherit' });
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
