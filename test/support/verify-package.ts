/**
 * After `projen package`: the npm tarball holds what users need (lib/, the
 * pre-built handler bundles in assets/, .jsii, API.md, README) and nothing of
 * ours (sources, tests, metafiles); and the README's TypeScript example, as an
 * app that npm-installs only the tarball, aws-cdk-lib and constructs,
 * synthesizes with no esbuild and no Docker on its PATH, its Lambda assets the
 * shipped bundles byte for byte (nothing is bundled at synth). It does so
 * twice: against the oldest aws-cdk-lib the peer dependency allows (npm refuses
 * the install if the floor is wrong) and against the latest. Before that, the
 * Python (wheel and sdist), Java and Go packages must exist, each carrying this
 * tarball byte for byte. Exits non-zero with the reason otherwise.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '..', '..');
const distDir = path.join(root, 'dist', 'js');
const tarballs = fs.existsSync(distDir) ? fs.readdirSync(distDir).filter((name) => name.endsWith('.tgz')) : [];
if (tarballs.length !== 1) throw new Error(`expected one tarball in dist/js, found ${tarballs.length}: run projen package first`);
const tarball = path.join(distDir, tarballs[0]);

const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean)
  .map((name) => name.replace(/^package\//, ''));
const required = [
  'lib/index.js', 'lib/index.d.ts', 'lib/outbound-caller.js', '.jsii', 'API.md', 'README.md', 'package.json',
  'assets/lambda/outbound-caller.lambda/index.js', 'assets/lambda/contact-events.lambda/index.js', 'openapi.json',
];
const missing = required.filter((name) => !files.includes(name));
const unwanted = files.filter((name) => /^(test|lambda|src|\.ci)\//.test(name) || name.endsWith('.meta.json') || name.endsWith('.ts') && !name.endsWith('.d.ts'));
if (missing.length || unwanted.length) {
  throw new Error(`tarball content: missing [${missing.join(', ')}], unwanted [${unwanted.join(', ')}]`);
}

// openapi.json is the OpenAPI 3.1 document the packaged code generates: current, not a stale copy.
const shippedDocument = execFileSync('tar', ['-xzOf', tarball, 'package/openapi.json'], { encoding: 'utf8' });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const generatedDocument = (require(path.join(root, 'lib', 'private', 'openapi.js')) as { packageOpenApiDocument(): unknown }).packageOpenApiDocument();
if (JSON.stringify(JSON.parse(shippedDocument)) !== JSON.stringify(generatedDocument) || JSON.parse(shippedDocument).openapi !== '3.1.0') {
  throw new Error('openapi.json in the tarball is not the OpenAPI 3.1 document the compiled code generates: run projen compile');
}
console.log(`verify-package: openapi.json (OpenAPI 3.1.0, ${Buffer.byteLength(shippedDocument)} bytes) is current.`);

// The other languages' packages: the wheel and the sdist, the Maven jar and the Go module each exist and
// carry this very tarball (pre-built bundles included) for the jsii runtime, so no consumer bundles anything.
const npmBytes = fs.readFileSync(tarball);
const MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;
const embedded = path.basename(tarball);
const artifacts: Array<[string, RegExp, (file: string) => Buffer]> = [
  ['python wheel', /^python\/[^/]+-py3-none-any\.whl$/, (file) => zipMember(file, `cdk_connect_outbound_caller/_jsii/${embedded}`)],
  ['python sdist', /^python\/[^/]+\.tar\.gz$/, (file) => execFileSync('tar', ['-xzOf', file, '--wildcards', `*/_jsii/${embedded}`], { maxBuffer: MAX_ARTIFACT_BYTES })],
  ['java jar', /^java\/.+\/cdk-connect-outbound-caller-[^/]+\d\.jar$/, (file) => zipMember(file, `io/github/example/cdk/connect/outboundcaller/${embedded}`)],
  ['go module', /^go\/cdkconnectoutboundcaller\/jsii\/[^/]+\.tgz$/, (file) => fs.readFileSync(file)],
];
const distFiles = (fs.readdirSync(path.join(root, 'dist'), { recursive: true }) as string[]).map((name) => name.split(path.sep).join('/'));
for (const [what, pattern, embeddedTarball] of artifacts) {
  const found = distFiles.filter((name) => pattern.test(name));
  if (found.length !== 1) fail(`expected one ${what} in dist/ (${pattern}), found ${found.length}: run projen package-all`);
  if (!embeddedTarball(path.join(root, 'dist', found[0])).equals(npmBytes)) fail(`the ${what} dist/${found[0]} does not carry ${embedded} byte for byte`);
}
console.log(`verify-package: ${artifacts.map(([what]) => what).join(', ')} built, each carrying ${embedded} byte for byte.`);

const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const floor = (range: string) => /^\^(\d+\.\d+\.\d+)$/.exec(range)?.[1]
  ?? fail(`peer dependency range ${range} is not ^x.y.z: verify-package cannot tell its floor`);
// The app: the README's TypeScript example (section "Other languages"), compiled as a user's build would.
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const example = /#### TypeScript[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Other languages')))?.[1]
  ?? fail('README.md has no TypeScript example under "## Other languages"');
const exampleApp = ts.transpileModule(example, {
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
}).outputText;

const cdkFloor = floor(pkg.peerDependencies['aws-cdk-lib']);
const constructsFloor = floor(pkg.peerDependencies.constructs);

for (const [label, cdk, constructs] of [
  ['peer floor', cdkFloor, constructsFloor],
  ['latest', 'latest', 'latest'],
]) {
  synthesizeWith(label, cdk, constructs);
}

/** npm-installs the tarball with these versions into a fresh app and synthesizes it. */
function synthesizeWith(label: string, cdkVersion: string, constructsVersion: string): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'outbound-caller-pack-'));
  try {
    const app = path.join(work, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'packed-app', private: true }));
    let started = Date.now();
    // A plain `npm install`: it fails (ERESOLVE) if aws-cdk-lib does not satisfy the tarball's peer range.
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', '--loglevel=error',
      tarball, `aws-cdk-lib@${cdkVersion}`, `constructs@${constructsVersion}`], { cwd: app, stdio: ['ignore', 'ignore', 'inherit'] });
    const installMs = Date.now() - started;
    const modules = path.join(app, 'node_modules');
    const installed = (name: string) => JSON.parse(fs.readFileSync(path.join(modules, name, 'package.json'), 'utf8')).version;
    fs.writeFileSync(path.join(app, 'app.js'), exampleApp);
    // Only node on the PATH: no esbuild, no docker, nothing from the project.
    started = Date.now();
    execFileSync(process.execPath, ['app.js'], {
      cwd: app,
      env: { PATH: path.dirname(process.execPath), HOME: work, CDK_DISABLE_VERSION_CHECK: '1', CDK_OUTDIR: 'cdk.out' },
      stdio: 'inherit',
    });
    const synthMs = Date.now() - started;
    const template = JSON.parse(fs.readFileSync(path.join(app, 'cdk.out', 'Calls.template.json'), 'utf8'));
    const resources = Object.values(template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>);
    const functions = resources.filter((resource) => resource.Type === 'AWS::Lambda::Function');
    // The example's API key authorization: the route requires a key.
    if (!resources.some((r) => r.Type === 'AWS::ApiGateway::Method' && r.Properties.HttpMethod === 'PUT' && r.Properties.ApiKeyRequired === true)) {
      throw new Error(`packed app (${label}): the README example's PUT method does not require an API key`);
    }
    const assetDirs = fs.readdirSync(path.join(app, 'cdk.out')).filter((name) => name.startsWith('asset.'));
    // The assets are the shipped bundles, byte for byte: nothing was bundled at synth.
    const shipped = ['outbound-caller', 'contact-events'].map((name) =>
      fs.readFileSync(path.join(modules, 'cdk-connect-outbound-caller', 'assets', 'lambda', `${name}.lambda`, 'index.js')));
    const bundles = assetDirs.filter((dir) => {
      const file = path.join(app, 'cdk.out', dir, 'index.js');
      return fs.existsSync(file) && shipped.some((bytes) => bytes.equals(fs.readFileSync(file)));
    });
    if (functions.length !== 2 || bundles.length !== 2) {
      throw new Error(`packed app (${label}): expected 2 functions with pre-built bundles, got ${functions.length} functions, ${bundles.length} bundles`);
    }
    console.log(`verify-package: ${files.length} files in ${path.basename(tarball)}; with aws-cdk-lib ${installed('aws-cdk-lib')} `
      + `(${label}) and constructs ${installed('constructs')}, the README's TypeScript example npm-installed the tarball (${installMs} ms) and `
      + `synthesized in ${synthMs} ms without esbuild or Docker (2 functions, pre-built bundles).`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** One member of a zip (a wheel, a jar), read with Python's zipfile: python3 is already a prerequisite of the build. */
function zipMember(zip: string, member: string): Buffer {
  return execFileSync('python3', ['-c', 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))', zip, member],
    { maxBuffer: MAX_ARTIFACT_BYTES });
}

function fail(message: string): never {
  throw new Error(message);
}
