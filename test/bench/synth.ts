/**
 * Synth-time benchmark, run in a child process of bench.ts (ts-node): builds
 * and synthesizes, in-process, a stack with OutboundCaller and the
 * equivalent NodejsFunction stack, alternately, and sends the times to the
 * parent over IPC.
 *
 * Every synth starts from a new App and an empty asset-hash cache
 * (`AssetStaging.clearAssetHashCache()`), as a `cdk synth` in a new process
 * would: without that, the NodejsFunction's bundling would be skipped after
 * the first synth in this process. One unmeasured synth of each comes first
 * (module loading and JIT warm-up). The built-in CloudFormation validation of
 * newer aws-cdk-lib versions is turned off (CDK_VALIDATION=false and the App
 * prop); 2.257.0 does not have it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, AppProps, AssetStaging, Stack } from 'aws-cdk-lib';
import { NodejsFunctionStack } from './baselines/nodejs-function-stack';
import { OutboundCaller } from '../../src';
import { CONTACT_FLOW_ID, INSTANCE_ID, SOURCE_PHONE_NUMBER } from '../lambda/bundle';

export type SynthVariant = 'outboundCaller' | 'nodejsFunction';

export interface SynthResult {
  readonly timesMs: Record<SynthVariant, number[]>;
  readonly resources: Record<SynthVariant, number>;
  readonly firstMs: Record<SynthVariant, number>;
}

process.env.CDK_VALIDATION = 'false';

function synthOnce(variant: SynthVariant, root: string): { ms: number; resources: number } {
  AssetStaging.clearAssetHashCache();
  const outdir = fs.mkdtempSync(path.join(root, `${variant}-`));
  const start = process.hrtime.bigint();
  // builtinCloudFormationValidation exists only in newer aws-cdk-lib versions; harmless here.
  const app = new App({ outdir, builtinCloudFormationValidation: false } as AppProps);
  const props = { instanceId: INSTANCE_ID, contactFlowId: CONTACT_FLOW_ID, sourcePhoneNumber: SOURCE_PHONE_NUMBER };
  if (variant === 'outboundCaller') {
    const stack = new Stack(app, 'Bench');
    new OutboundCaller(stack, 'Caller', props);
  } else {
    new NodejsFunctionStack(app, 'Bench', props);
  }
  const assembly = app.synth();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const template = assembly.getStackByName('Bench').template as { Resources?: Record<string, unknown> };
  fs.rmSync(outdir, { recursive: true, force: true });
  return { ms, resources: Object.keys(template.Resources ?? {}).length };
}

function main(): void {
  const rounds = Math.max(1, Number(process.argv[2] ?? 5));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'outbound-caller-bench-synth-'));
  const variants: SynthVariant[] = ['outboundCaller', 'nodejsFunction'];
  const result: SynthResult = {
    timesMs: { outboundCaller: [], nodejsFunction: [] },
    resources: { outboundCaller: 0, nodejsFunction: 0 },
    firstMs: { outboundCaller: 0, nodejsFunction: 0 },
  };
  try {
    for (const variant of variants) {
      const first = synthOnce(variant, root);
      result.firstMs[variant] = first.ms;
      result.resources[variant] = first.resources;
    }
    for (let round = 0; round < rounds; round++) {
      // Alternate the order so that neither always runs right after the other.
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const variant of order) result.timesMs[variant].push(synthOnce(variant, root).ms);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  if (process.send) process.send(result);
  else process.stdout.write(JSON.stringify(result) + '\n');
}

main();
