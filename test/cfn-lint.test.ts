import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';
import { Stack } from 'aws-cdk-lib';
import { OutboundCaller } from '../src';
import { removeTestApps, testApp } from './support/cdk-test-app';
import { REQUIRED_PROPS, fullyConfiguredProps, monitorFully } from './support/fixtures';
import { pythonTool } from './support/python-tools';

/**
 * AWS's CloudFormation linter (cfn-lint, pinned in test/python-tools/requirements.txt
 * and installed by the tests themselves into .tools/python) over the synthesized
 * templates: the schema of every resource type, valid property values and
 * references, and best practices. No errors; every warning is either fixed in the
 * construct or explained in EXPLAINED_WARNINGS below.
 */

afterAll(removeTestApps);

/** One cfn-lint finding (`--format json`). */
interface LintMatch {
  readonly Rule: { readonly Id: string; readonly Description: string };
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Message: string;
  readonly Filename: string;
  readonly Location: { readonly Path: Array<string | number> };
}

/**
 * Warnings that stay, each with why it is not fixed. Keyed `rule @ logical id prefix`.
 *
 * W3005 (DependsOn already enforced by a GetAtt) on each Lambda function: CDK
 * writes `DependsOn: [<role>, <role's DefaultPolicy>]` on a function so that it
 * cannot run before its permissions exist; the policy is not referenced by the
 * function, so that half of the DependsOn is needed, and the role half repeats
 * what the `Role` GetAtt already enforces. CloudFormation deploys it as intended;
 * removing CDK's own dependency by an escape hatch would be churn with no effect.
 */
const EXPLAINED_WARNINGS: Record<string, string> = {
  'W3005 @ CallerHandler': 'CDK\'s DependsOn on the handler role repeats the Role GetAtt (harmless, CDK\'s own)',
  'W3005 @ CallerStatusFunction': 'CDK\'s DependsOn on the status role repeats the Role GetAtt (harmless, CDK\'s own)',
  'W3005 @ CallerDispatcher': 'CDK\'s DependsOn on the dispatcher role repeats the Role GetAtt (harmless, CDK\'s own)',
  'W3005 @ CallerBatchApi': 'CDK\'s DependsOn on the batch API function\'s role repeats the Role GetAtt (harmless, CDK\'s own)',
};

/** The explained warnings that belong to batch calls: only the stacks with batchCalls have them. */
const BATCH_ONLY_WARNINGS = ['W3005 @ CallerDispatcher', 'W3005 @ CallerBatchApi'];

/** The stacks linted: what a user gets by default, and every prop set (batch calls too) with alarms and the dashboard on. */
const STACKS: Record<string, (stack: Stack) => OutboundCaller> = {
  Default: (stack) => new OutboundCaller(stack, 'Caller', REQUIRED_PROPS),
  FullyConfigured: (stack) => {
    const caller = new OutboundCaller(stack, 'Caller', fullyConfiguredProps(stack));
    monitorFully(caller, stack);
    return caller;
  },
};

function synthesize(): string[] {
  const app = testApp();
  const stacks = Object.entries(STACKS).map(([name, withCaller]) => {
    const stack = new Stack(app, name);
    withCaller(stack);
    return stack;
  });
  const assembly = app.synth();
  return stacks.map((stack) => assembly.getStackArtifact(stack.artifactId).templateFullPath);
}

/** Logical id → `rule @ <id without CDK's hash>`; the resource a warning is on, stable across template changes. */
function key(match: LintMatch): string {
  const [section, logicalId] = match.Location.Path;
  const resource = section === 'Resources' ? String(logicalId).replace(/[0-9A-F]{8}$/, '') : String(section);
  return `${match.Rule.Id} @ ${resource}`;
}

describe('cfn-lint', () => {
  let matches: LintMatch[] = [];
  let templates: string[] = [];

  beforeAll(async () => {
    // The first run creates the virtualenv (about a minute); later runs reuse it.
    const cfnLint = pythonTool('cfn-lint');
    templates = synthesize();
    // Connect's regions where callers are most often deployed: resource types and values must be valid in each.
    const args = ['--format', 'json', '--regions', 'us-east-1', 'eu-west-2', '--', ...templates];
    // Exit codes: 0 clean, 2 errors, 4 warnings, 6 both (informational: 8); anything else is cfn-lint failing.
    const stdout = await promisify(execFile)(cfnLint, args, { maxBuffer: 64 * 1024 * 1024 })
      .then((result) => result.stdout)
      .catch((error: { code?: number; stdout?: string }) => {
        if (typeof error.code === 'number' && error.code > 0 && error.code < 16 && error.stdout) return error.stdout;
        throw error;
      });
    matches = JSON.parse(stdout) as LintMatch[];
  }, 10 * 60_000);

  const describeMatches = (list: LintMatch[]): string => list
    .map((m) => `${m.Level} ${m.Rule.Id} in ${path.basename(m.Filename)} at ${m.Location.Path.join('/')}: ${m.Message}`).join('\n');

  test('lints every template it was given (a stack with the defaults, and a fully configured one with alarms and dashboard)', () => {
    expect(templates).toHaveLength(Object.keys(STACKS).length);
  });

  test('reports no errors', () => {
    expect(describeMatches(matches.filter((m) => m.Level === 'Error'))).toBe('');
  });

  test('reports only the explained warnings, in every stack', () => {
    const warnings = matches.filter((m) => m.Level !== 'Error');
    expect(describeMatches(warnings.filter((m) => !(key(m) in EXPLAINED_WARNINGS)))).toBe('');
    // Each explanation is still needed: a warning that went away takes its explanation with it.
    templates.forEach((template, i) => {
      const withBatches = Object.keys(STACKS)[i] !== 'Default';
      const seen = new Set(warnings.filter((m) => m.Filename === template).map(key));
      expect([...seen].sort()).toEqual(Object.keys(EXPLAINED_WARNINGS)
        .filter((warning) => withBatches || !BATCH_ONLY_WARNINGS.includes(warning)).sort());
    });
  });
});
