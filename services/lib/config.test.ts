import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig } from './config';

describe('configuration', () => {
  it('applies local defaults and parses lists', () => {
    const cfg = loadConfig({}, { YOUFU_KAFKA_BROKERS: 'a:1, b:2' });
    expect(cfg.YOUFU_KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(cfg.YOUFU_TEMPORAL_NAMESPACE).toBe('youfu');
  });
  it('stops with the name of every bad variable', () => {
    try {
      loadConfig({ YOUFU_X_PORT: z.coerce.number().int() }, { YOUFU_PG_ADMIN_URL: 'not a url', YOUFU_X_PORT: 'abc' });
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).message).toMatch(/YOUFU_PG_ADMIN_URL/);
      expect((e as ConfigError).message).toMatch(/YOUFU_X_PORT/);
    }
  });
  it('requires a real signing key in production', () => {
    expect(() => loadConfig({}, { YOUFU_ENV: 'production' })).toThrow(/YOUFU_JWT_SECRET/);
  });
});
