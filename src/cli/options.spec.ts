import { InvalidArgumentError } from 'commander';
import { parseBaseUrl, wholeNumber } from './options';

describe('CLI option values', () => {
  it('takes whole numbers written as digits only', () => {
    expect(wholeNumber(0)('0')).toBe(0);
    expect(wholeNumber(1)('500')).toBe(500);
    for (const bad of ['', '-1', '1.5', '1e3', '12ms', ' 7', '0x10', '99999999999999999999']) {
      expect(() => wholeNumber(0)(bad)).toThrow(InvalidArgumentError);
    }
    expect(() => wholeNumber(1)('0')).toThrow('must be a whole number >= 1.');
  });

  it('takes an http(s) base URL, with a path but no trailing slash', () => {
    expect(parseBaseUrl('http://127.0.0.1:3000/')).toBe('http://127.0.0.1:3000');
    expect(parseBaseUrl('https://ops.example.com/queue/')).toBe('https://ops.example.com/queue');
    for (const bad of ['127.0.0.1:3000', 'ftp://example.com', 'http://h/?a=1', 'http://h/#x', '']) {
      expect(() => parseBaseUrl(bad)).toThrow(InvalidArgumentError);
    }
  });
});
