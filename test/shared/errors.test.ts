import { describe, expect, it } from 'vitest';
import { CommonErrors, LifeboatError, asLifeboatError, defineErrors } from '../../shared/errors.js';

describe('typed errors', () => {
  it('carries a code, a message and a hint', () => {
    const Errors = defineErrors({ TEST_SOMETHING: { category: 'storage', hint: 'Do this.' } });
    const error = Errors.create('TEST_SOMETHING', 'It broke.');
    expect(error).toBeInstanceOf(LifeboatError);
    expect(error.toBody()).toEqual({
      code: 'TEST_SOMETHING',
      message: 'It broke.',
      hint: 'Do this.',
      category: 'storage',
    });
    expect(Errors.is(error, 'TEST_SOMETHING')).toBe(true);
    expect(CommonErrors.is(error)).toBe(false);
  });

  it('refuses the same code declared twice with another meaning', () => {
    defineErrors({ TEST_TWICE: { category: 'usage', hint: 'a' } });
    expect(() => defineErrors({ TEST_TWICE: { category: 'usage', hint: 'b' } })).toThrow(
      /declared twice/,
    );
  });

  it('wraps unknown failures as internal and aborts as cancelled', () => {
    expect(asLifeboatError(new Error('x')).code).toBe('INTERNAL');
    const abort = new Error('stop');
    abort.name = 'AbortError';
    expect(asLifeboatError(abort).code).toBe('CANCELLED');
  });
});
