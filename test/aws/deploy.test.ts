import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, type Tags } from 'yaml';

const deployDir = join(import.meta.dirname, '../../deploy');

/** CloudFormation's short-form intrinsics, parsed into their long form. */
interface CfnTag {
  tag: string;
  collection?: 'seq';
  resolve(value: unknown): unknown;
}
const intrinsic = (tag: string, fn: string, split = false): CfnTag => ({
  tag: `!${tag}`,
  resolve: (value: unknown) => ({ [fn]: split && typeof value === 'string' ? value.split('.') : value }),
});
const seqOrScalar = (tag: string, fn: string) => [
  { ...intrinsic(tag, fn), collection: 'seq' as const },
  { ...intrinsic(tag, fn) },
];
const CFN_TAGS = [
  intrinsic('Ref', 'Ref'),
  intrinsic('GetAtt', 'Fn::GetAtt', true),
  ...seqOrScalar('Sub', 'Fn::Sub'),
  ...['If', 'Equals', 'Not', 'And', 'Or', 'Join', 'Select', 'Split', 'FindInMap'].map((n) => ({
    ...intrinsic(n, `Fn::${n}`),
    collection: 'seq' as const,
  })),
  intrinsic('GetAZs', 'Fn::GetAZs'),
  intrinsic('ImportValue', 'Fn::ImportValue'),
  intrinsic('Condition', 'Condition'),
] as unknown as Tags;

const KNOWN_TYPES = new Set([
  'AWS::Serverless::Function',
  'AWS::SQS::Queue',
  'AWS::SQS::QueuePolicy',
  'AWS::Events::Rule',
  'AWS::Logs::LogGroup',
  'AWS::Logs::LogStream',
  'AWS::Logs::SubscriptionFilter',
  'AWS::Kinesis::Stream',
  'AWS::IAM::Role',
  'AWS::Lambda::EventSourceMapping',
  'AWS::Lambda::Permission',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::S3::Bucket',
  'AWS::KinesisFirehose::DeliveryStream',
  'AWS::EC2::FlowLog',
]);
const PSEUDO = new Set([
  'AWS::AccountId',
  'AWS::Region',
  'AWS::Partition',
  'AWS::StackName',
  'AWS::NoValue',
  'AWS::URLSuffix',
]);

interface Template {
  AWSTemplateFormatVersion: string;
  Parameters?: Record<string, { Type: string; Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Condition?: string; Properties?: unknown; DependsOn?: string }>;
  Outputs?: Record<string, { Value: unknown; Condition?: string }>;
}

/** Every Ref, GetAtt, ${Name} in Sub, and Condition name used anywhere below `node`. */
function references(node: unknown, out = { refs: new Set<string>(), conditions: new Set<string>() }) {
  if (Array.isArray(node)) for (const n of node) references(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'Ref' && typeof v === 'string') out.refs.add(v);
      else if (k === 'Fn::GetAtt' && Array.isArray(v)) out.refs.add(String(v[0]));
      else if (k === 'Fn::Sub') {
        const text = Array.isArray(v) ? v[0] : v;
        for (const m of String(text).matchAll(/\$\{([^}!]+)\}/g)) out.refs.add(m[1]!.split('.')[0]!);
      } else if (k === 'Fn::If' && Array.isArray(v)) out.conditions.add(String(v[0]));
      else if (k === 'Condition' && typeof v === 'string') out.conditions.add(v);
      references(v, out);
    }
  }
  return out;
}

const templates = readdirSync(deployDir).filter((f) => f.endsWith('.yaml'));

describe('deployment templates', () => {
  it('covers the three delivery paths', () => {
    assert.deepEqual(templates.sort(), [
      'cloudwatch-logs.yaml',
      'firehose-http.yaml',
      's3-notifications.yaml',
    ]);
  });

  for (const file of templates) {
    it(`${file} is well-formed and every reference resolves`, () => {
      const t = parse(readFileSync(join(deployDir, file), 'utf8'), { customTags: CFN_TAGS }) as Template;
      assert.equal(t.AWSTemplateFormatVersion, '2010-09-09');
      const names = new Set([...Object.keys(t.Parameters ?? {}), ...Object.keys(t.Resources), ...PSEUDO]);
      for (const [name, r] of Object.entries(t.Resources)) {
        assert.ok(KNOWN_TYPES.has(r.Type), `${name}: unexpected type ${r.Type}`);
        if (r.Condition) assert.ok(t.Conditions?.[r.Condition], `${name}: unknown condition ${r.Condition}`);
        if (r.DependsOn) assert.ok(t.Resources[r.DependsOn], `${name}: DependsOn ${r.DependsOn}`);
      }
      const used = references({ r: t.Resources, o: t.Outputs, c: t.Conditions });
      for (const ref of used.refs) assert.ok(names.has(ref), `${file}: reference to unknown ${ref}`);
      for (const c of used.conditions) assert.ok(t.Conditions?.[c], `${file}: unknown condition ${c}`);
      for (const [name, p] of Object.entries(t.Parameters ?? {})) {
        assert.ok(used.refs.has(name), `${file}: parameter ${name} is never used`);
        assert.ok(p.Type, `${file}: parameter ${name} has no Type`);
      }
    });
  }

  it('lets the S3 reader get objects below the flow-log prefix only', () => {
    const text = readFileSync(join(deployDir, 's3-notifications.yaml'), 'utf8');
    const t = parse(text, { customTags: CFN_TAGS }) as Template;
    const fn = t.Resources.Function!.Properties as {
      Policies: Array<{ Statement: Array<Record<string, unknown>> }>;
    };
    const statements = fn.Policies.flatMap((p) => p.Statement);
    const s3 = statements.filter((s) => String(s.Action).startsWith('s3:'));
    assert.deepEqual(
      s3.map((s) => s.Action),
      ['s3:GetObject'],
    );
    assert.deepEqual(s3[0]!.Resource, {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
      'Fn::Sub': 'arn:${AWS::Partition}:s3:::${FlowLogBucketName}/${FlowLogPrefix}*',
    });
    assert.ok(
      statements.every((s) => !String(s.Resource).includes('*') || String(s.Action).startsWith('s3:')),
    );
  });
});
