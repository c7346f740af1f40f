import { describe, expect, it } from 'vitest';
import { defineCodedError, isCodedError } from './coded-error.js';

const FruitError = defineCodedError('FruitError', { bruised: 'the fruit is bruised' });
const VegError = defineCodedError('VegError', { wilted: 'the vegetable wilted' });

describe('defineCodedError', () => {
  it('carries the code, the mapped message and the details', () => {
    const err = new FruitError('bruised', 'apple 3');
    expect(err.code).toBe('bruised');
    expect(err.message).toBe('the fruit is bruised: apple 3');
    expect(err.name).toBe('FruitError');
    expect(new FruitError('bruised').message).toBe('the fruit is bruised');
  });

  it('tells its own domain and code apart from others', () => {
    const err = new FruitError('bruised');
    expect(FruitError.is(err)).toBe(true);
    expect(FruitError.is(err, 'bruised')).toBe(true);
    expect(VegError.is(err)).toBe(false);
    expect(FruitError.is(new Error('bruised'))).toBe(false);
    expect(isCodedError(err) && isCodedError(new VegError('wilted'))).toBe(true);
    expect(isCodedError(new Error('x'))).toBe(false);
  });
});
