import * as fs from 'fs';
import { CfnGuardValidator, CfnGuardValidatorProps } from '@cdklabs/cdk-validator-cfnguard';
import {
  IPolicyValidationContextBeta1, IPolicyValidationPluginBeta1, PolicyValidationPluginReportBeta1,
  PolicyViolatingResourceBeta1, PolicyViolationBeta1,
} from 'aws-cdk-lib';

/** A guard finding on one resource that the resource itself acknowledges. */
export interface AcknowledgedGuardFinding {
  /** The Control Tower rule, e.g. `lambda_inside_vpc_check`. */
  readonly ruleName: string;
  /** The violating resource's logical id. */
  readonly resourceLogicalId: string;
  /** Its `aws:cdk:path` metadata, when the template carries it. */
  readonly constructPath?: string;
  /** The template it is in. */
  readonly templatePath: string;
}

/** What one `validate()` call found. */
export interface GuardRun {
  /** Violations no resource acknowledges: these fail the synth. */
  readonly unacknowledged: PolicyViolationBeta1[];
  /** Violations dropped because the resource's `Metadata.guard.SuppressedRules` names the rule. */
  readonly acknowledged: AcknowledgedGuardFinding[];
  /** Set when cfn-guard itself failed (the synth then reports the plugin as failed). */
  readonly error?: string;
}

interface TemplateResource {
  readonly Type?: string;
  readonly Metadata?: {
    readonly 'guard'?: { readonly SuppressedRules?: unknown };
    readonly 'aws:cdk:path'?: string;
  };
}

/**
 * Runs `CfnGuardValidator` (the Control Tower rules) and honours each
 * resource's `Metadata.guard.SuppressedRules`, which the bundled rules
 * (cfn-guard 3.1.1) ignore (cdklabs/cdk-validator-cfnguard#202): a violation
 * of rule R by resource X is dropped when X's metadata lists R (exact name).
 * Nothing else is dropped, so a new finding, or a finding on a resource that
 * does not acknowledge it, still fails the synth.
 *
 * Every run is recorded in `runs` (the synth's own report only shows what
 * remains), so a test can assert both sets.
 */
export class AcknowledgingGuardValidator implements IPolicyValidationPluginBeta1 {
  public readonly name = 'cdk-validator-cfnguard (acknowledging)';
  public readonly version?: string;
  public readonly ruleIds?: string[];
  /** One entry per `validate()` call, in order. */
  public readonly runs: GuardRun[] = [];
  private readonly guard: CfnGuardValidator;

  constructor(props: CfnGuardValidatorProps = {}) {
    this.guard = new CfnGuardValidator(props);
    this.version = this.guard.version;
    this.ruleIds = this.guard.ruleIds;
  }

  /** The last run, or an error when the synth did not run the plugin. */
  public get lastRun(): GuardRun {
    const run = this.runs[this.runs.length - 1];
    if (!run) throw new Error('AcknowledgingGuardValidator: no validation ran (was the app synthesized?)');
    return run;
  }

  public validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    let report: PolicyValidationPluginReportBeta1;
    try {
      report = this.guard.validate(context);
    } catch (error) {
      this.runs.push({ unacknowledged: [], acknowledged: [], error: String(error) });
      throw error;
    }
    const templates = new Map<string, Record<string, TemplateResource>>();
    const resourcesOf = (templatePath: string): Record<string, TemplateResource> => {
      let resources = templates.get(templatePath);
      if (!resources) {
        resources = (JSON.parse(fs.readFileSync(templatePath, 'utf-8')).Resources ?? {}) as Record<string, TemplateResource>;
        templates.set(templatePath, resources);
      }
      return resources;
    };

    const unacknowledged: PolicyViolationBeta1[] = [];
    const acknowledged: AcknowledgedGuardFinding[] = [];
    for (const violation of report.violations) {
      const remaining: PolicyViolatingResourceBeta1[] = [];
      for (const resource of violation.violatingResources) {
        const templateResource = resourcesOf(resource.templatePath)[resource.resourceLogicalId];
        if (suppressedRules(templateResource).includes(violation.ruleName)) {
          acknowledged.push({
            ruleName: violation.ruleName,
            resourceLogicalId: resource.resourceLogicalId,
            constructPath: templateResource?.Metadata?.['aws:cdk:path'],
            templatePath: resource.templatePath,
          });
        } else {
          remaining.push(resource);
        }
      }
      if (remaining.length > 0) unacknowledged.push({ ...violation, violatingResources: remaining });
    }
    this.runs.push({ unacknowledged, acknowledged });
    return {
      success: unacknowledged.length === 0,
      violations: unacknowledged,
      pluginVersion: this.version,
      metadata: report.metadata,
    };
  }
}

function suppressedRules(resource: TemplateResource | undefined): string[] {
  const rules = resource?.Metadata?.guard?.SuppressedRules;
  return Array.isArray(rules) ? rules.filter((rule): rule is string => typeof rule === 'string') : [];
}

/** One line per violating resource, for assertion messages. */
export function describeViolations(violations: PolicyViolationBeta1[]): string {
  return violations.flatMap((violation) => violation.violatingResources.map((resource) =>
    `${violation.ruleName} on ${resource.resourceLogicalId}: ${violation.description} (fix: ${violation.fix ?? 'n/a'})`))
    .join('\n');
}
