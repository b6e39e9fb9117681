import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AppProps } from 'aws-cdk-lib';

/**
 * Every synth stages the handler bundle (~0.8 MB) into its cloud assembly.
 * Test apps write their assemblies under one temporary folder per test file,
 * which `removeTestApps()` (in `afterAll`) deletes, so test runs do not
 * leave copies of the bundle in the system's temp folder.
 */
let root: string | undefined;

export function testApp(props: AppProps = {}): App {
  root ??= fs.mkdtempSync(path.join(os.tmpdir(), 'outbound-caller-test-'));
  return new App({ outdir: fs.mkdtempSync(path.join(root, 'cdk.out-')), ...props });
}

export function removeTestApps(): void {
  if (root) fs.rmSync(root, { recursive: true, force: true });
  root = undefined;
}
