/**
 * Builds dist/go from the code `jsii-pacmak --target go --code-only` generated.
 *
 * jsii-pacmak writes into go.mod, as indirect requirements, the Go modules of
 * aws-cdk-lib's own dependencies at the versions node_modules holds. Those can
 * be newer than any Go module ever published (npm resolves
 * @aws-cdk/cloud-assembly-schema 53.28.0; its Go module stops at 53.25.0), and
 * then neither jsii-pacmak's `go mod tidy` nor a user's `go get` can resolve the
 * package. So the indirect requirements are left to Go: `go mod tidy` takes them
 * from the go.mod files of the direct requirements (aws-cdk-go, constructs-go,
 * jsii-runtime-go), which name published versions. Then `go build` proves the
 * generated code compiles, as jsii-pacmak does.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const goDir = path.join(root, 'dist', 'go');
const modules = fs.existsSync(goDir)
  ? fs.readdirSync(goDir).filter((name) => fs.existsSync(path.join(goDir, name, 'go.mod'))) : [];
if (modules.length !== 1) throw new Error(`expected one generated Go module in dist/go, found ${modules.length}: run jsii-pacmak --target go --code-only first`);
const moduleDir = path.join(goDir, modules[0]);
const goMod = path.join(moduleDir, 'go.mod');
// Left by an earlier jsii-pacmak build that failed: not part of the package.
for (const name of ['local.go.mod', 'local.go.sum']) fs.rmSync(path.join(moduleDir, name), { force: true });

const lines = fs.readFileSync(goMod, 'utf8').split('\n');
const indirect = lines.filter((line) => /\/\/ indirect\s*$/.test(line)).map((line) => line.trim().split(/\s+/).slice(0, 2));
fs.writeFileSync(goMod, lines.filter((line) => !/\/\/ indirect\s*$/.test(line)).join('\n'));

const go = (...args: string[]) => execFileSync('go', args, { cwd: moduleDir, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
go('mod', 'tidy');
go('build', './...');

const required = new Map(go('list', '-m', 'all').split('\n').filter(Boolean).map((line) => line.split(/\s+/) as [string, string]));
const changes = indirect.map(([name, generated]) => `${name} ${generated} -> ${required.get(name) ?? 'not needed'}`);
console.log(`package:go: ${path.relative(root, moduleDir)} builds; indirect requirements left to go mod tidy: ${changes.join(', ') || 'none'}`);
