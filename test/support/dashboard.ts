import { Template } from 'aws-cdk-lib/assertions';

/** A widget of a dashboard body, as far as the tests read it. */
export interface Widget {
  readonly type: string;
  readonly properties: { title?: string; metrics?: unknown[][]; alarms?: unknown[] };
}

/** The dashboard's body as CloudWatch receives it, with `{"Ref": X}` written as `${X}` (and `${X.Attr}` for GetAtt). */
export function dashboardBody(template: Template): { widgets: Widget[] } {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] } | string;
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((part) => {
    if (typeof part === 'string') return part;
    const token = part as Record<string, unknown>;
    if ('Ref' in token) return `\${${String(token.Ref)}}`;
    if ('Fn::GetAtt' in token) return `\${${(token['Fn::GetAtt'] as string[]).join('.')}}`;
    return `\${${JSON.stringify(token).replace(/"/g, '\'')}}`;
  }).join('');
  return JSON.parse(text) as { widgets: Widget[] };
}

/** A widget metric `[namespace, name, dim, value, …, {options}]` as namespace, name and dimensions. */
export function readMetric(row: unknown[]): { namespace: string; name: string; dimensions: Record<string, string> } {
  const parts = row.filter((part) => typeof part === 'string') as string[];
  const [namespace, name, ...rest] = parts;
  const dimensions: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 2) dimensions[rest[i]] = rest[i + 1];
  return { namespace, name, dimensions };
}

/** `namespace|name|dimension,dimension` (sorted): one metric identity as CloudWatch stores it. */
export function metricKey(namespace: string, name: string, dimensions: Iterable<string>): string {
  return `${namespace}|${name}|${[...dimensions].sort().join(',')}`;
}

/** The metric identities declared by EMF documents (lines on stdout). */
export function emfMetricKeys(documents: Array<Record<string, unknown>>): Set<string> {
  type Directive = { Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> };
  const keys = new Set<string>();
  for (const document of documents) {
    const directives = (document._aws as { CloudWatchMetrics?: Directive[] } | undefined)?.CloudWatchMetrics ?? [];
    for (const directive of directives) {
      for (const metric of directive.Metrics) {
        for (const set of directive.Dimensions) keys.add(metricKey(directive.Namespace, metric.Name, set));
      }
    }
  }
  return keys;
}
