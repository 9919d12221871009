import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ECS_FIELDS } from '../../src/schema/ecs.js';
import { OCSF_ENDPOINT_FIELDS, OCSF_ENI_FIELDS } from '../../src/schema/ocsf.js';
import { OTEL_ATTRIBUTES } from '../../src/schema/otel.js';

/** README.md documents the same tables the code uses: a row added in code must be documented. */
const docs = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

test('every OTel table row is in README.md', () => {
  for (const [column, attribute] of OTEL_ATTRIBUTES)
    assert.ok(docs.includes(`| \`${column}\` | \`${attribute}\` |`), `${column} -> ${attribute}`);
});

test('every ECS table row is in README.md', () => {
  for (const [column, path] of ECS_FIELDS)
    assert.ok(docs.includes(`| \`${column}\` | \`${path}\` |`), `${column} -> ${path}`);
});

test('every OCSF table row is in README.md', () => {
  for (const [src, dst, key] of OCSF_ENDPOINT_FIELDS) {
    assert.ok(
      docs.includes(`| \`${src}\` / \`${dst}\` | \`src_endpoint.${key}\` / \`dst_endpoint.${key}\` |`),
      key,
    );
  }
  for (const [column, key] of OCSF_ENI_FIELDS)
    assert.ok(docs.includes(`| \`${column}\` | \`${key}\` on the ENI's endpoint |`), key);
});
