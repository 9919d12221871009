import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { optionsOf, resolveOptions } from '../../src/config/options.js';
import { OTLP_OPTIONS, type OtlpProtocol } from '../../src/sinks/otlp/options.js';

describe('optionsOf', () => {
  it('types resolved options by their specs', () => {
    const options = resolveOptions(OTLP_OPTIONS, {
      flags: { 'otlp-protocol': 'grpc', 'otlp-timeout': '2500', 'otlp-header': ['a=1', 'b=2'] },
      env: {},
    });
    const o = optionsOf(OTLP_OPTIONS, options);
    // the annotations are the point: each line fails to compile if the spec-derived type is wrong
    const protocol: OtlpProtocol | undefined = o['otlp-protocol'];
    const timeout: number | undefined = o['otlp-timeout'];
    const headers: string[] | undefined = o['otlp-header'];
    const endpoint: string | undefined = o['otlp-endpoint'];
    assert.equal(protocol, 'grpc');
    assert.equal(timeout, 2500);
    assert.deepEqual(headers, ['a=1', 'b=2']);
    assert.equal(endpoint, undefined);
  });

  it('gives an option left unset its default, typed as set', () => {
    const o = optionsOf(OTLP_OPTIONS, {});
    const compression: 'gzip' | 'none' = o['otlp-compression'];
    assert.equal(compression, 'none');
  });

  it('refuses a value of the wrong type, naming the option; one value of a list is a list', () => {
    assert.throws(
      () => optionsOf(OTLP_OPTIONS, { 'otlp-timeout': '2500' }),
      /otlp-timeout: expected a number/,
    );
    assert.throws(() => optionsOf(OTLP_OPTIONS, { 'otlp-header': 3 }), /otlp-header: expected a list/);
    // one text value of a repeatable option is a list of one, as resolveOptions makes it
    assert.deepEqual(optionsOf(OTLP_OPTIONS, { 'otlp-header': 'a=1' })['otlp-header'], ['a=1']);
  });
});
